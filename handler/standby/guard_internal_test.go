package standby

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The room is the tighter guard's: sure counts what is on its way where it
// is going and the unsure against it, maybe counts the exits under way as
// done; each refusal says its counts.
func TestRoomFor(t *testing.T) {
	floor, capOf := Share{Count: 3}, Share{Count: 2}
	for _, tt := range []struct {
		name        string
		l           limits
		f           guardFacts
		asked       int
		sure, maybe int
		guard       string
		refusal     string // its message's start
		unsettled   string // its code
	}{
		{"room for all", limits{minInService: floor}, guardFacts{counts: counts{inService: 6, total: 6}}, 3, 3, 3, "", "", ""},
		{"the floor", limits{minInService: floor}, guardFacts{counts: counts{inService: 4, total: 6}}, 3, 1, 1, "MIN_IN_SERVICE",
			"scaling group asg-a must keep 3 of its 6 instances InService (MIN_IN_SERVICE=3), and has 4: 1 of the 3 asked for may enter Standby", ""},
		{"the floor by percent, rounded up", limits{minInService: Share{Percent: 50}}, guardFacts{counts: counts{inService: 5, total: 5}}, 5, 2, 2, "MIN_IN_SERVICE",
			"scaling group asg-a must keep 3 of its 5 instances InService (MIN_IN_SERVICE=50%), and has 5", ""},
		{"the cap", limits{maxStandby: capOf}, guardFacts{counts: counts{inService: 5, standby: 1, total: 6}}, 3, 1, 1, "MAX_STANDBY",
			"scaling group asg-a may have at most 2 of its 6 instances in Standby (MAX_STANDBY=2), and has 1", ""},
		{"the cap by percent, rounded down", limits{maxStandby: Share{Percent: 25}}, guardFacts{counts: counts{inService: 7, total: 7}}, 3, 1, 1, "MAX_STANDBY",
			"scaling group asg-a may have at most 1 of its 7 instances in Standby (MAX_STANDBY=25%)", ""},
		{"the tighter of both", limits{minInService: floor, maxStandby: capOf}, guardFacts{counts: counts{inService: 6, total: 6}}, 3, 2, 2, "MAX_STANDBY", "scaling group asg-a may have", ""},
		{"under way counts where it goes", limits{maxStandby: capOf}, guardFacts{counts: counts{inService: 6, total: 6}, underWay: map[string]Activity{"i-9": {}}}, 2, 1, 1, "MAX_STANDBY",
			"scaling group asg-a may have at most 2 of its 6 instances in Standby (MAX_STANDBY=2), and has 1", ""},
		{"under way leaves the floor", limits{minInService: floor}, guardFacts{counts: counts{inService: 6, total: 6}, underWay: map[string]Activity{"i-9": {}}}, 3, 2, 2, "MIN_IN_SERVICE",
			"scaling group asg-a must keep 3 of its 6 instances InService (MIN_IN_SERVICE=3), and has 5", ""},
		{"the unsure unsettle", limits{maxStandby: capOf}, guardFacts{counts: counts{inService: 6, total: 6}, unsure: 1}, 2, 1, 2, "MAX_STANDBY", "", "Unsettled.MaxStandby"},
		{"exits under way unsettle", limits{minInService: floor}, guardFacts{counts: counts{inService: 3, standby: 1, total: 4}, returning: 1}, 1, 0, 1, "MIN_IN_SERVICE", "", "Unsettled.MinInService"},
		{"beyond what exits may free, refused", limits{minInService: floor}, guardFacts{counts: counts{inService: 3, total: 5}, returning: 1}, 2, 0, 1, "MIN_IN_SERVICE",
			"scaling group asg-a must keep 3 of its 5 instances InService (MIN_IN_SERVICE=3), and has 3: 1 of the 2 asked for", "Unsettled.MinInService"},
	} {
		r := roomFor(tt.l, "asg-a", tt.f, tt.asked)
		got := fmt.Sprintf("sure %d, maybe %d, guard %q", r.sure, r.maybe, r.guard)
		if want := fmt.Sprintf("sure %d, maybe %d, guard %q", tt.sure, tt.maybe, tt.guard); got != want {
			t.Errorf("%s: %s, want %s", tt.name, got, want)
		}
		if tt.refusal != "" && (r.refusal == nil || !strings.HasPrefix(r.refusal.Message, tt.refusal) || r.refusal.Kind != Forbidden) {
			t.Errorf("%s: refusal %+v, want %q…", tt.name, r.refusal, tt.refusal)
		}
		if tt.unsettled != "" && (r.unsettled == nil || r.unsettled.Code != tt.unsettled || r.unsettled.Kind != Unavailable) {
			t.Errorf("%s: unsettled %+v, want %s", tt.name, r.unsettled, tt.unsettled)
		}
	}
}

// First come first: the room's sure are let go, up to maybe unsettled, the
// rest refused; those on their way are answered apart and take no room.
func TestAdmit(t *testing.T) {
	targets := func(ids ...string) []*target {
		var out []*target
		for _, id := range ids {
			out = append(out, &target{id: id})
		}
		return out
	}
	names := func(ts []*target) string {
		var s []string
		for _, m := range ts {
			s = append(s, m.id)
		}
		return strings.Join(s, " ")
	}
	capTwo := limits{maxStandby: Share{Count: 2}}
	for _, tt := range []struct {
		name  string
		f     guardFacts
		asked []string
		want  [4]string // on its way, admitted, unsettled, refused
	}{
		{"room for all", guardFacts{counts: counts{inService: 6, total: 6}}, []string{"i-1", "i-2"}, [4]string{"", "i-1 i-2", "", ""}},
		{"room for one", guardFacts{counts: counts{inService: 5, standby: 1, total: 6}}, []string{"i-1", "i-2", "i-3"}, [4]string{"", "i-1", "", "i-2 i-3"}},
		{"one unsure", guardFacts{counts: counts{inService: 5, standby: 1, total: 6}, unsure: 1, returning: 1}, []string{"i-1", "i-2", "i-3"}, [4]string{"", "", "i-1 i-2", "i-3"}},
		{"one on its way", guardFacts{counts: counts{inService: 6, total: 6}, underWay: map[string]Activity{"i-2": {}}}, []string{"i-1", "i-2", "i-3"}, [4]string{"i-2", "i-1", "", "i-3"}},
		{"all on their way", guardFacts{counts: counts{total: 6}, underWay: map[string]Activity{"i-1": {}, "i-2": {}, "i-3": {}}}, []string{"i-1", "i-2", "i-3"}, [4]string{"i-1 i-2 i-3", "", "", ""}},
	} {
		d := admit(capTwo, "asg-a", tt.f, targets(tt.asked...))
		got := [4]string{names(d.onItsWay), names(d.admitted), names(d.unsettled), names(d.refused)}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: on its way, admitted, unsettled, refused (-want +got):\n%s", tt.name, diff)
		}
		if len(d.refused) > 0 && d.refusal == nil || len(d.unsettled) > 0 && d.unsettledErr == nil || (len(d.refused)+len(d.unsettled) > 0) != (d.guard == "MAX_STANDBY") {
			t.Errorf("%s: refusal %v, unsettled %v, guard %q", tt.name, d.refusal, d.unsettledErr, d.guard)
		}
	}
}

// Counts that contradict the state read are no counts; none there and
// none found is nothing to judge.
func TestCheckCounts(t *testing.T) {
	for _, tt := range []struct {
		c        counts
		verified int
		want     string
	}{
		{counts{inService: 2, standby: 1, total: 3}, 2, "judged"},
		{counts{inService: 1, total: 3}, 2, "ServiceUnavailable"},
		{counts{inService: 2, standby: 2, total: 3}, 0, "ServiceUnavailable"},
		{counts{}, 0, "empty"},
		{counts{}, 1, "ServiceUnavailable"},
	} {
		c, err := checkCounts("asg-a", tt.c, tt.verified)
		got := "judged"
		switch {
		case err != nil:
			got = AsError(err).Code
		case c.empty:
			got = "empty"
		}
		if got != tt.want {
			t.Errorf("%+v with %d verified: %s, want %s", tt.c, tt.verified, got, tt.want)
		}
	}
}

// An instance on its way waits for its activity's status while a read
// shows it InService; out of InService, or with no activity known, it is
// unsure; forgotten or gone, it is left out. Its activity under way keeps
// it on its way; over, or unknown, it is unsure.
func TestStillEnteringAndSettle(t *testing.T) {
	in := ScalingInstance{LifecycleState: "InService"}
	entering := map[string]Activity{
		"i-1": {ScalingActivityID: "a-1"}, "i-2": {ScalingActivityID: "a-1"}, "i-3": {ScalingActivityID: "a-2"},
		"i-4": {ScalingActivityID: "a-3"}, "i-landed": {ScalingActivityID: "a-1"}, "i-lost": {}, "i-gone": {ScalingActivityID: "a-1"},
	}
	found := map[string]ScalingInstance{"i-1": in, "i-2": in, "i-3": in, "i-4": in, "i-lost": in, "i-forgotten": in, "i-landed": {LifecycleState: "Standby"}}
	w := stillEntering([]string{"i-1", "i-3", "i-landed", "i-lost", "i-gone", "i-forgotten", "i-2", "i-4"}, entering, found)
	if diff := cmp.Diff(onTheirWay{activities: []string{"a-1", "a-2", "a-3"}, of: map[string][]string{"a-1": {"i-1", "i-2"}, "a-2": {"i-3"}, "a-3": {"i-4"}}, unsure: 2}, w, cmp.AllowUnexported(onTheirWay{})); diff != "" {
		t.Errorf("stillEntering (-want +got):\n%s", diff)
	}
	underWay, unknown, over := w.settle(entering, map[string]string{"a-1": "InProgress", "a-2": "Successful"})
	if diff := cmp.Diff(map[string]Activity{"i-1": {ScalingActivityID: "a-1"}, "i-2": {ScalingActivityID: "a-1"}}, underWay); diff != "" || unknown != 1 || !cmp.Equal(over, []string{"i-3"}) {
		t.Errorf("settle: under way (-want +got):\n%s unknown %d, over %v", diff, unknown, over)
	}
}
