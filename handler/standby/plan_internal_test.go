package standby

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// targetIDs lists targets' instances.
func targetIDs(targets []*target) []string {
	var out []string
	for _, m := range targets {
		out = append(out, m.id)
	}
	return out
}

// Each instance is one target, in the order parts name it, with every
// part naming it; unverified only while no read found it.
func TestTargetsOf(t *testing.T) {
	a := &part{ids: []string{"i-2", "i-1"}}
	b := &part{ids: []string{"i-1", "i-3", "i-4"}, unverified: true}
	state := map[string]ScalingInstance{"i-1": {LifecycleState: "InService"}, "i-2": {LifecycleState: "InService"}, "i-4": {LifecycleState: "Standby"}}
	got := map[string]string{}
	targets := targetsOf([]*part{a, b}, state)
	for _, m := range targets {
		got[m.id] = fmt.Sprintf("%d parts, unverified %t", len(m.parts), m.unverified)
	}
	want := map[string]string{"i-2": "1 parts, unverified false", "i-1": "2 parts, unverified false", "i-3": "1 parts, unverified true", "i-4": "1 parts, unverified false"}
	if diff := cmp.Diff(want, got); diff != "" || !slices.Equal(targetIDs(targets), []string{"i-2", "i-1", "i-3", "i-4"}) {
		t.Errorf("targets %v (-want +got):\n%s", targetIDs(targets), diff)
	}
}

// One action per instance: it moves from its action's from, is done at
// its to, and is skipped otherwise, saying why; one not found is skipped
// unless unverified, which the call lets Auto Scaling answer.
func TestSortOut(t *testing.T) {
	state := map[string]ScalingInstance{
		"i-in": {LifecycleState: "InService"}, "i-sb": {LifecycleState: "Standby"}, "i-pe": {LifecycleState: "Pending"},
	}
	targets := []*target{{id: "i-in"}, {id: "i-sb"}, {id: "i-pe"}, {id: "i-gone"}, {id: "i-new", unverified: true}}
	for _, tt := range []struct {
		action               Action
		eligible, done, skip string
	}{
		{EnterStandby, "i-in i-new", "i-sb", "i-pe: Pending: only InService instances can enter Standby; i-gone: not in scaling group asg-a"},
		{ExitStandby, "i-sb i-new", "i-in", "i-pe: Pending: only Standby instances can leave Standby; i-gone: not in scaling group asg-a"},
	} {
		at := sortOut(tt.action, "asg-a", state, targets)
		var skips []string
		for _, s := range at.skips {
			skips = append(skips, s.m.id+": "+s.reason)
		}
		got := [3]string{strings.Join(targetIDs(at.eligible), " "), strings.Join(targetIDs(at.done), " "), strings.Join(skips, "; ")}
		if diff := cmp.Diff([3]string{tt.eligible, tt.done, tt.skip}, got); diff != "" {
			t.Errorf("%s: eligible, done, skipped (-want +got):\n%s", tt.action, diff)
		}
	}
}

// The calls take 20 instances each, sorted by ID, the unverified in calls
// of their own.
func TestCallSets(t *testing.T) {
	var eligible []*target
	for i := 24; i >= 0; i-- {
		eligible = append(eligible, &target{id: fmt.Sprintf("i-%02d", i), unverified: i%12 == 0})
	}
	var got []string
	for _, set := range callSets(eligible) {
		got = append(got, strings.Join(targetIDs(set), ","))
	}
	var first, second []string
	for i := range 25 {
		if i%12 != 0 {
			first = append(first, fmt.Sprintf("i-%02d", i))
		}
	}
	second = first[20:]
	want := []string{strings.Join(first[:20], ","), strings.Join(second, ","), "i-00,i-12,i-24"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// Parts share calls only with parts of the same action, Async and dry run:
// the shapes in the order they came, each one's parts in order.
func TestByShape(t *testing.T) {
	of := func(name string, a Action, async, dryRun bool) *part {
		return &part{t: &ticket{root: name, req: Request{Action: a, Async: async}, dryRun: dryRun}}
	}
	parts := []*part{
		of("enter-1", EnterStandby, false, false), of("exit-1", ExitStandby, false, false), of("enter-async", EnterStandby, true, false),
		of("enter-2", EnterStandby, false, false), of("enter-dry", EnterStandby, false, true), of("exit-2", ExitStandby, false, false),
	}
	var got []string
	for _, same := range byShape(parts) {
		var names []string
		for _, p := range same {
			names = append(names, p.t.root)
		}
		got = append(got, strings.Join(names, " "))
	}
	if diff := cmp.Diff([]string{"enter-1 enter-2", "exit-1 exit-2", "enter-async", "enter-dry"}, got); diff != "" {
		t.Errorf("shapes (-want +got):\n%s", diff)
	}
}

// What a request's line says of an instance it leaves to another: its own
// rule's recovery, another rule's alarm that stands, or a later request
// asking otherwise.
func TestDropReason(t *testing.T) {
	alarm := Request{Action: EnterStandby, Reason: Reason{Rule: "r-2"}}
	for _, tt := range []struct {
		why  Why
		by   Request
		want string
	}{
		{Interrupted, alarm, `its rule's recovery came later; it stays parked for "r-2"`},
		{AlarmStands, alarm, `a request of another rule ("r-2") asks EnterStandby`},
		{LaterAsksOtherwise, alarm, "a later request for it asks EnterStandby"},
		{LaterAsksOtherwise, Request{Action: ExitStandby}, "a later request for it asks ExitStandby"},
	} {
		if got := dropReason(tt.why, tt.by); got != tt.want {
			t.Errorf("dropReason(%v, %s) = %q, want %q", tt.why, tt.by.Action, got, tt.want)
		}
	}
}
