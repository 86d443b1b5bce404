// Package batch runs the work waiting for a key in batches, one at a time
// per key. The first item to reach an idle key opens a window, for those
// arriving with it to join; then one run takes everything waiting, and
// whatever arrives while it runs makes the next run. So work for one key
// never interleaves, a storm of it is done in few runs, and one key's slow
// run holds up no other key.
package batch

import (
	"sync"
	"time"
)

// Batcher batches items by key and hands each batch to its run function.
// Each busy key has one goroutine, which ends when the key has nothing left
// and the key is forgotten. It is safe for concurrent use.
type Batcher[K comparable, T any] struct {
	window time.Duration          // immutable
	run    func(key K, batch []T) // immutable
	full   func(waiting int) bool // immutable; nil: the window closes on its timer only
	after  After                  // immutable
	// forgot, when set (tests), is called as a key's goroutine ends.
	forgot func(key K) // immutable

	mu   sync.Mutex
	keys map[K]*keyWork[T] // guarded by mu: the busy keys
}

// keyWork is one busy key's work: what waits for its next run.
type keyWork[T any] struct {
	waiting []T           // guarded by Batcher.mu
	arrived chan struct{} // pinged on each arrival, for the window; never closed
}

// After starts a timer: c receives once d has passed, and stop releases
// the timer. The default is time.NewTimer's.
type After func(d time.Duration) (c <-chan time.Time, stop func() bool)

// Option sets something of a Batcher other than its window and run.
type Option func(*options)

type options struct {
	full  func(int) bool
	after After
}

// WithFull closes a key's window early once full says the items waiting
// are enough (tests, which decide what arrives together).
func WithFull(full func(waiting int) bool) Option {
	return func(o *options) { o.full = full }
}

// WithTimer times the window with after instead of a real timer (tests,
// which decide when the window closes).
func WithTimer(after After) Option {
	return func(o *options) { o.after = after }
}

func realTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

// New returns a Batcher that holds each idle key's first items open for
// window (0: not at all) and hands each batch to run, in the key's own
// goroutine.
func New[K comparable, T any](window time.Duration, run func(key K, batch []T), opts ...Option) *Batcher[K, T] {
	o := options{after: realTimer}
	for _, opt := range opts {
		opt(&o)
	}
	return &Batcher[K, T]{window: window, run: run, full: o.full, after: o.after, keys: map[K]*keyWork[T]{}}
}

// Add queues items for key, all in the same batch.
func (b *Batcher[K, T]) Add(key K, items ...T) {
	b.mu.Lock()
	l, busy := b.keys[key]
	if !busy {
		l = &keyWork[T]{arrived: make(chan struct{}, 1)}
		b.keys[key] = l
	}
	l.waiting = append(l.waiting, items...)
	b.mu.Unlock()
	select {
	case l.arrived <- struct{}{}:
	default:
	}
	if !busy {
		go b.drive(key, l)
	}
}

// drive runs the key's batches until none is left, then forgets the key.
func (b *Batcher[K, T]) drive(key K, l *keyWork[T]) {
	b.await(l)
	for {
		b.mu.Lock()
		batch := l.waiting
		l.waiting = nil
		if len(batch) == 0 {
			delete(b.keys, key)
			b.mu.Unlock()
			if b.forgot != nil {
				b.forgot(key)
			}
			return
		}
		b.mu.Unlock()
		b.run(key, batch)
	}
}

// await holds the first batch open for the window, or until full.
func (b *Batcher[K, T]) await(l *keyWork[T]) {
	if b.window <= 0 {
		return
	}
	c, stop := b.after(b.window)
	defer stop()
	for {
		b.mu.Lock()
		n := len(l.waiting)
		b.mu.Unlock()
		if b.full != nil && b.full(n) {
			return
		}
		select {
		case <-c:
			return
		case <-l.arrived:
		}
	}
}
