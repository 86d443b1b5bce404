package batch

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// timer is one window's timer, which the test fires.
type timer struct {
	d       time.Duration
	c       chan time.Time
	stopped atomic.Bool
}

// harness is a Batcher[string, int] whose window closes when the test says
// and whose runs wait for the test to let them end: no test sleeps.
type harness struct {
	b      *Batcher[string, int]
	timers chan *timer // each window's timer, as the Batcher starts it
	runs   chan run    // each run, as it starts
	forgot chan string // each key forgotten
}

// run is one run under way: closing done ends it.
type run struct {
	key   string
	batch []int
	done  chan struct{}
}

func newHarness(window time.Duration, opts ...Option) *harness {
	h := &harness{timers: make(chan *timer, 16), runs: make(chan run, 16), forgot: make(chan string, 16)}
	after := func(d time.Duration) (<-chan time.Time, func() bool) {
		tm := &timer{d: d, c: make(chan time.Time, 1)}
		h.timers <- tm
		return tm.c, func() bool { return !tm.stopped.Swap(true) }
	}
	h.b = New(window, func(key string, batch []int) {
		done := make(chan struct{})
		h.runs <- run{key, slices.Clone(batch), done}
		<-done
	}, append([]Option{WithTimer(after)}, opts...)...)
	h.b.forgot = func(key string) { h.forgot <- key }
	return h
}

// recv is what c receives next; a test that waits 10 s for it has failed
// (a guard against hanging, not a wait the test relies on).
func recv[X any](t *testing.T, c <-chan X, what string) X {
	t.Helper()
	select {
	case x := <-c:
		return x
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s", what)
		panic("unreachable")
	}
}

// none fails if c holds something now.
func none[X any](t *testing.T, c <-chan X, what string) {
	t.Helper()
	select {
	case x := <-c:
		t.Fatalf("unexpected %s: %+v", what, x)
	default:
	}
}

func (h *harness) wantRun(t *testing.T, key string, batch ...int) run {
	t.Helper()
	r := recv(t, h.runs, "run")
	if r.key != key || !slices.Equal(r.batch, batch) {
		t.Fatalf("run of %q with %v; want %q with %v", r.key, r.batch, key, batch)
	}
	return r
}

// wantForgotten waits for key's goroutine to end, and checks that no key
// is left.
func (h *harness) wantForgotten(t *testing.T, key string) {
	t.Helper()
	if k := recv(t, h.forgot, "key forgotten"); k != key {
		t.Fatalf("forgot %q; want %q", k, key)
	}
	h.b.mu.Lock()
	n := len(h.b.keys)
	h.b.mu.Unlock()
	if n != 0 {
		t.Errorf("%d keys still held; want none", n)
	}
}

// The first item opens a window of the Batcher's length; everything that
// arrives before it closes makes one run.
func TestWindowThenOneRun(t *testing.T) {
	h := newHarness(time.Minute)
	h.b.Add("k", 1)
	tm := recv(t, h.timers, "window")
	if tm.d != time.Minute {
		t.Errorf("window %v; want 1m", tm.d)
	}
	h.b.Add("k", 2)
	h.b.Add("k", 3, 4)
	none(t, h.runs, "run before the window closed")
	tm.c <- time.Time{}
	close(h.wantRun(t, "k", 1, 2, 3, 4).done)
	h.wantForgotten(t, "k")
	if !tm.stopped.Load() {
		t.Error("the window's timer was not stopped")
	}
	none(t, h.runs, "second run")
}

// With no window the first run starts at once, and no timer is started.
func TestNoWindow(t *testing.T) {
	h := newHarness(0)
	h.b.Add("k", 1, 2)
	close(h.wantRun(t, "k", 1, 2).done)
	h.wantForgotten(t, "k")
	none(t, h.timers, "window")
}

// Items arriving while a key's run is under way wait for it, and the next
// run takes them all, with no window of its own.
func TestArrivalsDuringARunMakeTheNext(t *testing.T) {
	h := newHarness(time.Minute)
	h.b.Add("k", 1)
	recv(t, h.timers, "window").c <- time.Time{}
	first := h.wantRun(t, "k", 1)
	h.b.Add("k", 2)
	h.b.Add("k", 3)
	none(t, h.runs, "second run while the first is under way")
	close(first.done)
	close(h.wantRun(t, "k", 2, 3).done)
	h.wantForgotten(t, "k")
	none(t, h.timers, "window for a later run")
}

// One key never has two runs at once, however items arrive; every item is
// run exactly once.
func TestOneRunAtATimePerKey(t *testing.T) {
	const adders, each = 8, 50
	var active [2]atomic.Int32
	var mu sync.Mutex
	seen := map[int]int{}
	var wg sync.WaitGroup
	wg.Add(adders * each)
	b := New(0, func(key int, batch []int) {
		if n := active[key].Add(1); n != 1 {
			t.Errorf("key %d: %d runs at once", key, n)
		}
		mu.Lock()
		for _, x := range batch {
			seen[x]++
		}
		mu.Unlock()
		active[key].Add(-1)
		for range batch {
			wg.Done()
		}
	})
	for a := range adders {
		go func() {
			for i := range each {
				b.Add(i%2, a*each+i)
			}
		}()
	}
	all := make(chan struct{})
	go func() { wg.Wait(); close(all) }()
	recv(t, all, "run of every item")
	mu.Lock()
	defer mu.Unlock()
	for x := range adders * each {
		if seen[x] != 1 {
			t.Errorf("item %d run %d times; want once", x, seen[x])
		}
	}
}

// Different keys run at once: one key's run does not hold up another's.
func TestKeysRunConcurrently(t *testing.T) {
	h := newHarness(0)
	h.b.Add("a", 1)
	a := h.wantRun(t, "a", 1)
	h.b.Add("b", 2)
	b := h.wantRun(t, "b", 2) // while a's run is still under way
	close(b.done)
	if k := recv(t, h.forgot, "key forgotten"); k != "b" {
		t.Fatalf("forgot %q; want b", k)
	}
	close(a.done)
	h.wantForgotten(t, "a")
}

// full closes the window early, without its timer, once enough items wait.
func TestFullClosesTheWindowEarly(t *testing.T) {
	h := newHarness(time.Hour, WithFull(func(waiting int) bool { return waiting >= 3 }))
	h.b.Add("k", 1)
	tm := recv(t, h.timers, "window")
	h.b.Add("k", 2)
	none(t, h.runs, "run with 2 of 3 waiting")
	h.b.Add("k", 3)
	close(h.wantRun(t, "k", 1, 2, 3).done)
	h.wantForgotten(t, "k")
	if !tm.stopped.Load() {
		t.Error("the window's timer was not stopped")
	}

	// Full from the first Add: no waiting at all.
	h.b.Add("k", 4, 5, 6)
	recv(t, h.timers, "window")
	close(h.wantRun(t, "k", 4, 5, 6).done)
	h.wantForgotten(t, "k")
}

// A key with nothing left is forgotten, its goroutine ended; the next item
// for it opens a new window.
func TestIdleKeyIsForgotten(t *testing.T) {
	h := newHarness(time.Minute)
	for i := range 3 {
		h.b.Add("k", i)
		recv(t, h.timers, "window").c <- time.Time{}
		close(h.wantRun(t, "k", i).done)
		h.wantForgotten(t, "k")
	}
}
