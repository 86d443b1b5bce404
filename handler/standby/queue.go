package standby

import (
	"sync"
	"time"
)

// queue runs the work waiting for one key a batch at a time, and merges
// whatever waits: the first item to reach an idle key opens a window, for
// those arriving with it to join; whatever arrives while a batch runs makes
// the next batch. So work for one key never interleaves, and a storm of it
// is done in few batches. Each busy key has one goroutine, which ends when
// the key has nothing left.
type queue[K comparable, T any] struct {
	window time.Duration
	// full closes the window early once so many items wait (tests, which
	// decide what arrives together).
	full func(waiting int) bool
	run  func(key K, batch []T)

	mu    sync.Mutex
	lines map[K]*pending[T]
}

type pending[T any] struct {
	waiting []T
	arrived chan struct{} // pinged on each arrival, for the window
}

func newQueue[K comparable, T any](window time.Duration, run func(K, []T)) *queue[K, T] {
	return &queue[K, T]{window: window, run: run, lines: map[K]*pending[T]{}}
}

// add queues items for key, all in the same batch.
func (q *queue[K, T]) add(key K, items ...T) {
	q.mu.Lock()
	l, busy := q.lines[key]
	if !busy {
		l = &pending[T]{arrived: make(chan struct{}, 1)}
		q.lines[key] = l
	}
	l.waiting = append(l.waiting, items...)
	q.mu.Unlock()
	select {
	case l.arrived <- struct{}{}:
	default:
	}
	if !busy {
		go q.drive(key, l)
	}
}

// drive runs the key's batches until none is left.
func (q *queue[K, T]) drive(key K, l *pending[T]) {
	q.await(l)
	for {
		q.mu.Lock()
		batch := l.waiting
		l.waiting = nil
		if len(batch) == 0 {
			delete(q.lines, key)
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()
		q.run(key, batch)
	}
}

// await holds the first batch open for the window.
func (q *queue[K, T]) await(l *pending[T]) {
	if q.window <= 0 {
		return
	}
	timer := time.NewTimer(q.window)
	defer timer.Stop()
	for {
		q.mu.Lock()
		n := len(l.waiting)
		q.mu.Unlock()
		if q.full != nil && q.full(n) {
			return
		}
		select {
		case <-timer.C:
			return
		case <-l.arrived:
		}
	}
}

// lines are the scaling groups' lines: one plan of a group at a time, in a
// process, and each plan takes every part waiting for the group, whichever
// read brought it.
type lines struct {
	mu      sync.Mutex
	by      map[groupKey]*line
	changed map[groupKey]uint64 // the epoch of each group's last change
}

type line struct {
	planning sync.Mutex // held while one of the group's plans runs
	waiting  []*part    // guarded by lines.mu
	users    int        // reads with parts for it; the line is forgotten at 0
}

// changedSince says whether a plan changed the group since epoch.
func (ls *lines) changedSince(key groupKey, epoch uint64) bool {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.changed[key] > epoch
}

// change notes that the group changed at epoch.
func (ls *lines) change(key groupKey, epoch uint64) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.changed[key] = epoch
}

// plan runs one plan of the group with parts, and with whatever else waits
// for it, once the group's plan before it is done. Parts another read's
// plan took along are planned there.
func (ls *lines) plan(key groupKey, parts []*part, run func(groupKey, []*part)) {
	ls.mu.Lock()
	l := ls.by[key]
	if l == nil {
		l = &line{}
		ls.by[key] = l
	}
	l.users++
	l.waiting = append(l.waiting, parts...)
	ls.mu.Unlock()

	l.planning.Lock()
	ls.mu.Lock()
	batch := l.waiting
	l.waiting = nil
	ls.mu.Unlock()
	if len(batch) > 0 {
		run(key, batch)
	}
	l.planning.Unlock()

	ls.mu.Lock()
	if l.users--; l.users == 0 {
		delete(ls.by, key)
	}
	ls.mu.Unlock()
}
