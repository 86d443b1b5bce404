package handler

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"ess-standby/handler/standby"
)

// A batch's report follows what standby.LastWins decides: an event left
// no instance is superseded by the event deciding its first, saying so
// (and, for a recovery beside an alarm, that it does not end it); the
// others keep, and run with, only the instances left to them.
func TestBatchLastWinsReports(t *testing.T) {
	alarm := func(index int, rule string, ids ...string) checked {
		return checked{index: index, req: standby.Request{Action: standby.EnterStandby, InstanceIDs: ids, Reason: standby.Reason{Rule: rule}}}
	}
	recovery := func(index int, rule string, ids ...string) checked {
		return checked{index: index, req: standby.Request{Action: standby.ExitStandby, InstanceIDs: ids, IfParkedFor: rule, Reason: standby.Reason{Rule: rule}}}
	}
	for _, tt := range []struct {
		name   string
		events []checked
		want   []EventReport // of events 0 to 4
		run    [][]string    // the instances of the requests run
	}{
		{"an alarm, then its recovery", []checked{alarm(1, "r-1", "i-1"), recovery(3, "r-1", "i-1")},
			[]EventReport{{}, {Result: "Superseded", Reason: "event 3 of this batch decides its instances"}, {}, {InstanceIDs: []string{"i-1"}}, {}},
			[][]string{{"i-1"}}},
		{"another rule's alarm, then a recovery", []checked{alarm(0, "r-2", "i-1"), recovery(4, "r-1", "i-1")},
			[]EventReport{{InstanceIDs: []string{"i-1"}}, {}, {}, {}, {Result: "Superseded", Reason: "event 0 of this batch decides its instances: an alarm of another rule, which this recovery does not end"}},
			[][]string{{"i-1"}}},
		{"an alarm keeps what no later event names", []checked{alarm(0, "r-1", "i-1", "i-2"), recovery(2, "r-1", "i-2")},
			[]EventReport{{InstanceIDs: []string{"i-1"}}, {}, {InstanceIDs: []string{"i-2"}}, {}, {}},
			[][]string{{"i-1"}, {"i-2"}}},
	} {
		reports := make([]EventReport, 5)
		kept := lastWins(tt.events, reports)
		var run [][]string
		for _, c := range kept {
			run = append(run, c.req.InstanceIDs)
		}
		if diff := cmp.Diff(tt.want, reports); diff != "" {
			t.Errorf("%s: reports (-want +got):\n%s", tt.name, diff)
		}
		if diff := cmp.Diff(tt.run, run); diff != "" {
			t.Errorf("%s: requests run (-want +got):\n%s", tt.name, diff)
		}
	}
}
