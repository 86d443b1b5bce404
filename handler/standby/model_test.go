package standby_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"ess-standby/handler/standby"
)

// LastWins leaves each instance to the requests that stand for it, and
// tells each request that drops one which request decides it, and why.
func TestLastWins(t *testing.T) {
	alarm := func(rule string, ids ...string) standby.Request {
		return standby.Request{Action: standby.EnterStandby, InstanceIDs: ids, Reason: standby.Reason{Rule: rule}}
	}
	exit := func(ids ...string) standby.Request {
		return standby.Request{Action: standby.ExitStandby, InstanceIDs: ids}
	}
	kept := func(ids ...string) standby.Claim { return standby.Claim{Keep: ids} }
	dropped := func(by int, why standby.Why, ids ...string) standby.Claim {
		o := standby.Claim{}
		for _, id := range ids {
			o.Drop = append(o.Drop, standby.Drop{InstanceID: id, By: by, Why: why})
		}
		return o
	}
	for _, tt := range []struct {
		name string
		reqs []standby.Request
		want []standby.Claim
	}{
		{"one request keeps all", []standby.Request{alarm("r-1", "i-1", "i-2")}, []standby.Claim{kept("i-1", "i-2")}},
		{"two alarms both stand", []standby.Request{alarm("r-1", "i-1"), alarm("r-2", "i-1")}, []standby.Claim{kept("i-1"), kept("i-1")}},
		{"an alarm, then its recovery", []standby.Request{alarm("r-1", "i-1"), recovery("r-1", "i-1")},
			[]standby.Claim{dropped(1, standby.LaterAsksOtherwise, "i-1"), kept("i-1")}},
		{"an alarm, then an exit", []standby.Request{alarm("r-1", "i-1"), exit("i-1")},
			[]standby.Claim{dropped(1, standby.LaterAsksOtherwise, "i-1"), kept("i-1")}},
		{"another rule's alarm, then a recovery", []standby.Request{alarm("r-2", "i-1"), recovery("r-1", "i-1")},
			[]standby.Claim{kept("i-1"), dropped(0, standby.AlarmStands, "i-1")}},
		{"a recovery, then another rule's alarm", []standby.Request{recovery("r-1", "i-1"), alarm("r-2", "i-1")},
			[]standby.Claim{dropped(1, standby.AlarmStands, "i-1"), kept("i-1")}},
		{"a recovery, then its rule's alarm again", []standby.Request{recovery("r-1", "i-1"), alarm("r-1", "i-1")},
			[]standby.Claim{dropped(1, standby.LaterAsksOtherwise, "i-1"), kept("i-1")}},
		{"an exit, then an alarm", []standby.Request{exit("i-1"), alarm("r-1", "i-1")},
			[]standby.Claim{dropped(1, standby.LaterAsksOtherwise, "i-1"), kept("i-1")}},
		{"another rule's alarm, the rule's alarm, its recovery", []standby.Request{alarm("r-2", "i-1"), alarm("r-1", "i-1"), recovery("r-1", "i-1")},
			[]standby.Claim{kept("i-1"), dropped(0, standby.Interrupted, "i-1"), dropped(0, standby.AlarmStands, "i-1")}},
		{"the rule's alarm, its recovery, another rule's alarm", []standby.Request{alarm("r-1", "i-1"), recovery("r-1", "i-1"), alarm("r-2", "i-1")},
			[]standby.Claim{dropped(2, standby.Interrupted, "i-1"), dropped(2, standby.AlarmStands, "i-1"), kept("i-1")}},
		{"each instance on its own", []standby.Request{alarm("r-1", "i-1", "i-2", "i-3"), exit("i-2"), alarm("r-2", "i-3")},
			[]standby.Claim{{Keep: []string{"i-1", "i-3"}, Drop: []standby.Drop{{InstanceID: "i-2", By: 1, Why: standby.LaterAsksOtherwise}}}, kept("i-2"), kept("i-3")}},
		{"the last of those that stand decides", []standby.Request{exit("i-1"), alarm("r-1", "i-1"), alarm("r-2", "i-1")},
			[]standby.Claim{dropped(2, standby.LaterAsksOtherwise, "i-1"), kept("i-1"), kept("i-1")}},
	} {
		if diff := cmp.Diff(tt.want, standby.LastWins(tt.reqs)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
