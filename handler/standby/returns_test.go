package standby_test

import (
	"context"
	"strings"
	"testing"

	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
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
		{"another rule's alarm, the rule's alarm, its recovery", []standby.Request{alarm("r-2"), alarm("r-1"), recovery("r-1", "i-a1")}, "Standby"},
		{"the rule's alarm, another rule's alarm, its recovery", []standby.Request{alarm("r-1"), alarm("r-2"), recovery("r-1", "i-a1")}, "Standby"},
	} {
		f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-a": {"i-a1": "InService"}})
		answers, _ := standby.New(standby.Config{}, f.Cloud()).WithoutBackoff().Run(context.Background(), inv, tt.reqs...)
		if f.State("i-a1") != tt.want {
			t.Errorf("%s: i-a1 is %s, want %s; answered %+v", tt.name, f.State("i-a1"), tt.want, answers)
		}
		if rule := f.Tags("i-a1")[standby.TagRule]; tt.want == "Standby" && rule != "r-2" {
			t.Errorf("%s: parked for %q, want r-2, the alarm that still fires", tt.name, rule)
		}
	}
}

// Planned together, [ALERT r-1, OK r-1, ALERT r-2] parks the instance for
// r-2, the alarm that still fires: its tags say so, its OK takes it back,
// and r-1's alert, which its own recovery overrode, is not answered as
// parking it.
func TestTheRuleThatParksIsTheOneThatStillFires(t *testing.T) {
	f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-a": {"i-a1": "InService"}})
	alarm := func(rule string) standby.Request {
		return standby.Request{Action: standby.EnterStandby, InstanceIDs: []string{"i-a1"}, Identity: "alarm-" + rule, Reason: standby.Reason{Rule: rule}}
	}
	svc := standby.New(standby.Config{}, f.Cloud()).WithoutBackoff()
	a, _ := svc.Run(context.Background(), inv, alarm("r-1"), recovery("r-1", "i-a1"), alarm("r-2"))
	if f.State("i-a1") != "Standby" || f.Tags("i-a1")[standby.TagRule] != "r-2" || a[0].Instances[0].Result != "Skipped" || a[2].Instances[0].Result != "EnteredStandby" {
		t.Errorf("i-a1 %s, tags %v; answers %+v", f.State("i-a1"), f.Tags("i-a1"), a)
	}
	if b, _ := svc.Run(context.Background(), inv, recovery("r-2", "i-a1")); f.State("i-a1") != "InService" {
		t.Errorf("r-2's OK: %+v", b[0].Instances[0])
	}
}

// A failed status read, which only an executed event's end needs, fails
// only those ends: an alarm's OK planned with it goes through.
func TestAStatusFailureFailsOnlyWhatNeedsIt(t *testing.T) {
	f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-a": {"i-a1": "Standby", "i-a2": "Standby"}})
	f.SetTags("i-a1", standby.Tags{standby.TagRule: "r-1"})
	f.SetTags("i-a2", standby.Tags{standby.TagRule: "SystemMaintenance.Reboot/e-1"})
	f.Fail("InstanceStatuses", 0, &standby.Error{Kind: standby.Forbidden, Code: "Forbidden.RAM", Message: "no ecs:DescribeInstanceStatus"})
	end := recovery("SystemMaintenance.Reboot/e-1", "i-a2")
	end.IfRunning = true
	a, _ := standby.New(standby.Config{}, f.Cloud()).WithoutBackoff().Run(context.Background(), inv, recovery("r-1", "i-a1"), end)
	if a[0].Instances[0].Result != "ExitedStandby" || a[1].Instances[0].Code != "Forbidden.RAM" || f.State("i-a2") != "Standby" {
		t.Errorf("the OK %+v, the end %+v", a[0].Instances[0], a[1].Instances[0])
	}
}

// A rule a tag cannot hold exactly (cut at 128 characters, or changed to
// what ECS takes) may collide with another: it takes nothing back.
func TestARuleATagCannotHoldTakesNothingBack(t *testing.T) {
	long := strings.Repeat("x", 128)
	for _, rules := range [][2]string{{long + "-A", long + "-B"}, {"a:b", "a://b"}, {long + "-A", long + "-A"}} {
		f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-a": {"i-a1": "InService"}})
		svc := standby.New(standby.Config{}, f.Cloud()).WithoutBackoff()
		svc.Run(context.Background(), inv, standby.Request{Action: standby.EnterStandby, InstanceIDs: []string{"i-a1"}, Identity: "e1", Reason: standby.Reason{Rule: rules[0]}})
		a, _ := svc.Run(context.Background(), inv, recovery(rules[1], "i-a1"))
		if l := a[0].Instances[0]; f.State("i-a1") != "Standby" || !strings.Contains(l.Reason, "not a rule a tag holds exactly") {
			t.Errorf("parked for %.20q…, the end of %.20q…: %+v, i-a1 %s", rules[0], rules[1], l, f.State("i-a1"))
		}
	}
}

// An end claims no exit it did not make: once r-1's OK took the instance
// back, r-2's OK is answered that it is InService already, not with r-1's
// activity.
func TestAnEndClaimsNoOtherExit(t *testing.T) {
	f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-a": {"i-a1": "Standby"}})
	f.SetTags("i-a1", standby.Tags{standby.TagRule: "r-1"})
	svc := standby.New(standby.Config{}, f.Cloud()).WithoutBackoff()
	if a, _ := svc.Run(context.Background(), inv, recovery("r-1", "i-a1")); a[0].Instances[0].Result != "ExitedStandby" {
		t.Fatalf("r-1's OK: %+v", a[0].Instances[0])
	}
	a, _ := svc.Run(context.Background(), inv, recovery("r-2", "i-a1"))
	if l := a[0].Instances[0]; l.Result != "Skipped" || l.ScalingActivityID != "" || len(a[0].Activities) != 0 || len(f.Calls("Standby")) != 1 {
		t.Errorf("r-2's OK: %+v, activities %+v, %d Standby calls", l, a[0].Activities, len(f.Calls("Standby")))
	}
}

// An end whose tags could not be removed is left to a retry, and the retry
// (in this process or another) finishes it: the instance is back
// InService, and its tags still name the end's rule, so the retry replays
// the exit and removes them.
func TestARetriedEndRemovesItsTags(t *testing.T) {
	for _, sameProcess := range []bool{true, false} {
		f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-a": {"i-a1": "Standby"}})
		f.SetTags("i-a1", standby.Tags{standby.TagRule: "r-1", standby.TagSource: "cms-alarm-callback"})
		svc := standby.New(standby.Config{}, f.Cloud()).WithoutBackoff()
		f.Fail("UntagInstances", 0, &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: "unavailable"})
		if a, _ := svc.Run(context.Background(), inv, recovery("r-1", "i-a1")); !a[0].Instances[0].Left() {
			t.Fatalf("the first: %+v", a[0].Instances[0])
		}
		f.Heal()
		if !sameProcess {
			svc = standby.New(standby.Config{}, f.Cloud()).WithoutBackoff()
		}
		b, _ := svc.Run(context.Background(), inv, recovery("r-1", "i-a1"))
		if l := b[0].Instances[0]; len(f.Tags("i-a1")) != 0 || l.Left() || l.Result != "ExitedStandby" {
			t.Errorf("same process %t: the retry answered %+v; tags %v", sameProcess, l, f.Tags("i-a1"))
		}
	}
}
