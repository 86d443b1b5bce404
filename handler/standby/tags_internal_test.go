package standby

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A plan's moves call for: the first request's tags on what entered
// Standby, dated to the second; the removal of its tags from what left
// it, in ID order; a later until on what its rule's alarm found parked;
// nothing for what this process tagged already, nor twice for one
// instance, nor a renewal for a rule no tag holds exactly.
func TestTagWrites(t *testing.T) {
	now := time.Date(2026, 11, 27, 4, 30, 0, 500, time.FixedZone("CST", 8*3600))
	of := func(rule string) *part {
		return &part{t: &ticket{req: Request{Reason: Reason{Source: "cms-alarm-callback", Rule: rule}}}}
	}
	entered := &target{id: "i-in", parts: []*part{of("r-1"), of("r-2")}}
	mv := moves{
		entered: []*target{entered, {id: "i-tagged", parts: []*part{of("r-1")}}, entered},
		exited:  []*target{{id: "i-out2"}, {id: "i-out1"}, {id: "i-out2"}},
		renew:   []*target{{id: "i-renew", parts: []*part{of("r-1")}}, {id: "i-plain", parts: []*part{of("")}}, {id: "i-cut", parts: []*part{of("a://b")}}},
	}
	tagged := func(id string, a Action) bool { return id == "i-tagged" && a == EnterStandby }
	var got []string
	for _, w := range tagWrites(now, 2*time.Hour, mv, tagged) {
		var kv []string
		for _, k := range []string{TagSource, TagRule, TagSince, TagUntil} {
			if v, ok := w.tags[k]; ok {
				kv = append(kv, strings.TrimPrefix(k, TagPrefix)+"="+v)
			}
		}
		got = append(got, strings.Join(append([]string{w.m.id, string(w.action), w.renewRule}, kv...), " "))
	}
	want := []string{
		"i-in EnterStandby  source=cms-alarm-callback rule=r-1 since=2026-11-26T20:30:00Z until=2026-11-26T22:30:00Z",
		"i-out1 ExitStandby ",
		"i-out2 ExitStandby ",
		"i-renew EnterStandby r-1 until=2026-11-26T22:30:00Z",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tag writes (-want +got):\n%s", diff)
	}
}
