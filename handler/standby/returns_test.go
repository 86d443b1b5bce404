package standby_test

import (
	"context"
	"strings"
	"testing"

	"ess-standby/handler/standby"
	"ess-standby/handler/standby/standbytest"
)

// recovery is the way back an end asks for: only what rule parked.
func recovery(rule string, ids ...string) standby.Request {
	return standby.Request{Action: standby.ExitStandby, InstanceIDs: ids, Identity: "ok-of-" + rule, IfParkedFor: rule, Reason: standby.Reason{Rule: rule}}
}

// An exit that may take back only what a rule parked takes back the
// instances whose tags name that rule, and leaves the others in Standby,
// each with its reason: one another rule parked, one nobody tagged.
func TestAnEndTakesBackOnlyWhatItsRuleParked(t *testing.T) {
	f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-a": {"i-a1": "Standby", "i-a2": "Standby", "i-a3": "Standby", "i-a4": "InService"}})
	f.SetTags("i-a1", standby.Tags{standby.TagRule: "r-1", standby.TagSource: "cms-alarm-callback"})
	f.SetTags("i-a2", standby.Tags{standby.TagRule: "r-2", standby.TagSource: "cms-alarm-callback"})
	a, _ := run(t, standby.Config{}, f, inv, recovery("r-1", "i-a1", "i-a2", "i-a3", "i-a4"))
	want := map[string]string{
		"i-a1": "ExitedStandby",
		"i-a2": `Skipped: parked for "r-2"`,
		"i-a3": "Skipped: in Standby without the function's tags",
		"i-a4": "Skipped: already InService",
	}
	for _, line := range a.Instances {
		if w := want[line.InstanceID]; !strings.HasPrefix(line.Result+": "+line.Reason, w) {
			t.Errorf("%s: %s: %s; want %s", line.InstanceID, line.Result, line.Reason, w)
		}
	}
	if f.State("i-a2") != "Standby" || f.State("i-a3") != "Standby" || len(f.Tags("i-a1")) != 0 || f.Tags("i-a2")[standby.TagRule] != "r-2" {
		t.Errorf("states %s %s, tags %v %v", f.State("i-a2"), f.State("i-a3"), f.Tags("i-a1"), f.Tags("i-a2"))
	}
	if calls := f.Calls("Standby"); len(calls) != 1 || len(calls[0].IDs) != 1 {
		t.Errorf("Standby calls %+v; want one, for i-a1", calls)
	}
	// A dry run judges the same, and plans only i-a1.
	f.Move("i-a1", "Standby")
	f.SetTags("i-a1", standby.Tags{standby.TagRule: "r-1"})
	a, _ = run(t, standby.Config{DryRun: true}, f, inv, recovery("r-1", "i-a1", "i-a2"))
	if len(a.Planned) != 1 || a.Planned[0].InstanceIDs[0] != "i-a1" || a.Instances[1].Result != "Skipped" {
		t.Errorf("dry run: planned %+v, lines %+v", a.Planned, a.Instances)
	}
}

// Tags that cannot be read take nothing back and leave it to a retry,
// which finishes it; an executed event's end needs ECS to report the
// instance Running, and a status that cannot be read is no Running.
func TestAnEndThatCannotReadWaitsForARetry(t *testing.T) {
	f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-a": {"i-a1": "Standby"}})
	f.SetTags("i-a1", standby.Tags{standby.TagRule: "r-1"})
	for _, method := range []string{"InstanceTags", "InstanceStatuses"} {
		f.Fail(method, 0, throttled)
		req := recovery("r-1", "i-a1")
		req.IfRunning = true
		a, _ := run(t, standby.Config{}, f, inv, req)
		if line := a.Instances[0]; !line.Left() || line.Code != "Throttling" || len(f.Calls("Standby")) != 0 {
			t.Errorf("%s failing: %+v after %d Standby calls; want it left to retry", method, line, len(f.Calls("Standby")))
		}
		f.Heal()
	}
	f.SetStatus("i-a1", "Starting")
	req := recovery("r-1", "i-a1")
	req.IfRunning = true
	if a, _ := run(t, standby.Config{}, f, inv, req); a.Instances[0].Result != "Skipped" || !strings.Contains(a.Instances[0].Reason, `"Starting", not Running`) {
		t.Errorf("ECS reports it Starting: %+v", a.Instances[0])
	}
	f.SetStatus("i-a1", "Running")
	if a, _ := run(t, standby.Config{}, f, inv, req); a.Instances[0].Result != "ExitedStandby" {
		t.Errorf("the retry: %+v", a.Instances[0])
	}
}

// One alarm's recovery is no reason to ignore another alarm: planned
// together, an exit that may take back only what its rule parked does not
// override another rule's request to park the instance, whichever comes
// first; the same rule's alert then recovery end recovered.
func TestARecoveryNeverOverridesAnotherRulesAlarm(t *testing.T) {
	alarm := func(rule string) standby.Request {
		return standby.Request{Action: standby.EnterStandby, InstanceIDs: []string{"i-a1"}, Identity: "alarm", Reason: standby.Reason{Rule: rule}}
	}
	for _, tt := range []struct {
		name string
		reqs []standby.Request
		want string
	}{
		{"another rule's alarm, then the recovery", []standby.Request{alarm("r-2"), recovery("r-1", "i-a1")}, "Standby"},
		{"the recovery, then another rule's alarm", []standby.Request{recovery("r-1", "i-a1"), alarm("r-2")}, "Standby"},
		{"the same rule's alarm, then its recovery", []standby.Request{alarm("r-1"), recovery("r-1", "i-a1")}, "InService"},
	} {
		f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-a": {"i-a1": "InService"}})
		answers, _ := standby.New(standby.Config{}, f).WithoutBackoff().Run(context.Background(), inv, tt.reqs...)
		if f.State("i-a1") != tt.want {
			t.Errorf("%s: i-a1 is %s, want %s; answered %+v", tt.name, f.State("i-a1"), tt.want, answers)
		}
	}
}
