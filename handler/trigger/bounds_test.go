package trigger

import (
	"net/http"
	"runtime"
	"strings"
	"testing"

	"ess-standby/handler/internal/samples"
	"ess-standby/handler/standby"
)

// readHostile reads one hostile input as the function would, to the end of
// validation.
func readHostile(name string, payload []byte) error {
	var events []Event
	if strings.HasPrefix(name, "form:") {
		events = []Event{fromHTTP(HTTPRequest{Method: "POST", Path: "/", Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Body: payload})}
	} else if d := Decode(payload, Options{}); d.HTTP != nil {
		events = FromHTTP(*d.HTTP, Options{}).Events
	} else {
		events = d.Events
	}
	var all standby.Problems
	svc := standby.New(standby.Config{MaxInstances: standby.MaxNamed}, standby.Cloud{}) // one for all a group's events, as the function has
	for _, ev := range events {
		svc.Check(&ev.Draft)
		all.Include("", ev.Draft.Problems)
	}
	return all.Err()
}

// allocated is how many bytes f allocates: an upper bound of the memory
// above idle it can hold at its peak, since nothing it frees is counted
// off. The least of three runs, so a stray allocation elsewhere does not
// count.
func allocated(f func()) uint64 {
	least := ^uint64(0)
	for range 3 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	return least
}

// Any input of at most 1 MiB costs a bounded, small amount of memory to
// read, and is refused in a bounded message: the many elements are counted
// before any is kept or reported.
func TestHostileInputsAreCheap(t *testing.T) {
	const limit = 10 << 20
	for name, payload := range samples.Hostile() {
		t.Run(name, func(t *testing.T) {
			var err error
			n := allocated(func() { err = readHostile(name, payload) })
			if n > limit {
				t.Errorf("reading %d bytes allocated %.1f MiB, more than %d", len(payload), float64(n)/(1<<20), limit>>20)
			}
			if err == nil {
				t.Fatalf("a hostile input was accepted")
			}
			if msg := standby.AsError(err).Message; len(msg) > 8<<10 {
				t.Errorf("a refusal of %d bytes: %.200s…", len(msg), msg)
			}
		})
	}
}

// BenchmarkHostileInputs reports, for the worst input of at most 1 MiB of
// each decoder, the bytes it allocates (B/op): an upper bound of its peak
// memory above idle.
func BenchmarkHostileInputs(b *testing.B) {
	for name, payload := range samples.Hostile() {
		b.Run(strings.NewReplacer(" ", "_", ":", "").Replace(name), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				readHostile(name, payload)
			}
		})
	}
}
