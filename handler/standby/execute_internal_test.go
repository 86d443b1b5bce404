package standby

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// An instance found where the action leads is answered with what this
// process remembers, else by its ticket's replay when the ticket calls
// for nothing else, else as found; an end that may take back only what
// its rule parked claims nothing its rule's tags no longer show; a dry
// run answers all as found.
func TestSortDone(t *testing.T) {
	alarm := &part{t: &ticket{req: Request{Action: EnterStandby}}}
	busy := &part{t: &ticket{req: Request{Action: EnterStandby}}}
	end := &part{t: &ticket{req: Request{Action: ExitStandby, IfParkedFor: "r-1"}}}
	done := []*target{
		{id: "i-remembered", parts: []*part{alarm}},
		{id: "i-idle", parts: []*part{alarm}},
		{id: "i-busy", parts: []*part{alarm, busy}},
		{id: "i-ours", parts: []*part{end}},
		{id: "i-theirs", parts: []*part{end}},
		{id: "i-untold", parts: []*part{end}},
	}
	eligible := []*target{{id: "i-called", parts: []*part{busy}}}
	ruleOf := map[string]string{"i-ours": "r-1", "i-theirs": "r-2"}
	remembered := map[string]Activity{"i-remembered": {ScalingActivityID: "a-1"}, "i-theirs": {ScalingActivityID: "a-2"}}
	names := func(ts []*target) string {
		var s []string
		for _, m := range ts {
			s = append(s, m.id)
		}
		return strings.Join(s, " ")
	}
	for _, tt := range []struct {
		dryRun bool
		want   [3]string // earlier, replay, as found
	}{
		{false, [3]string{"i-remembered", "i-idle i-ours", "i-busy i-theirs i-untold"}},
		{true, [3]string{"", "", "i-remembered i-idle i-busy i-ours i-theirs i-untold"}},
	} {
		at := sortDone(callShape{action: EnterStandby, dryRun: tt.dryRun}, done, eligible, ruleOf, remembered)
		if diff := cmp.Diff(tt.want, [3]string{names(at.earlier), names(at.replay), names(at.asFound)}); diff != "" {
			t.Errorf("dry run %t: earlier, replay, as found (-want +got):\n%s", tt.dryRun, diff)
		}
	}
	// The rules not read: no end claims anything.
	if at := sortDone(callShape{action: ExitStandby}, done[3:], nil, nil, nil); names(at.asFound) != "i-ours i-theirs i-untold" {
		t.Errorf("rules unread: as found %q", names(at.asFound))
	}
}

// Each ticket replays its own instances, sorted, 20 a call, in the order
// the tickets come.
func TestReplaySets(t *testing.T) {
	a := &part{t: &ticket{root: "a"}}
	b := &part{t: &ticket{root: "b"}}
	targets := []*target{{id: "i-3", parts: []*part{b}}, {id: "i-2", parts: []*part{a, b}}, {id: "i-1", parts: []*part{a}}}
	var got []string
	for _, set := range replaySets(targets) {
		var s []string
		for _, m := range set {
			if len(m.parts) != 1 {
				t.Errorf("%s replayed for %d tickets at once", m.id, len(m.parts))
			}
			s = append(s, m.parts[0].t.root+":"+m.id)
		}
		got = append(got, strings.Join(s, " "))
	}
	if diff := cmp.Diff([]string{"b:i-2 b:i-3", "a:i-1 a:i-2"}, got); diff != "" {
		t.Errorf("replays (-want +got):\n%s", diff)
	}
}
