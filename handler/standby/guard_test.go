package standby_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
)

// sampleFleet is the sample fleet's shape (essemu.SampleFleet): asg-web
// with w1 to w4 InService, w5 in Standby and w6 Pending; asg-api with p1
// to p3 InService.
func sampleFleet() *standbytest.Fake {
	return standbytest.NewFake("cn-hangzhou", map[string]map[string]string{
		"asg-web": {"i-w1": "InService", "i-w2": "InService", "i-w3": "InService", "i-w4": "InService", "i-w5": "Standby", "i-w6": "Pending"},
		"asg-api": {"i-p1": "InService", "i-p2": "InService", "i-p3": "InService"},
	})
}

// Each guard rail refuses what it must before any change: no Standby call
// is made for a refused instance, each refused line says which rule, and
// the run's stats name the guard for the log line.
func TestGuardRailsRefuseBeforeAnyChange(t *testing.T) {
	tests := []struct {
		name      string
		cfg       standby.Config
		req       standby.Request
		wantCode  string // of every line
		wantGuard string
		wantReads int // state reads made before the refusal
	}{
		{"group not allowed", standby.Config{AllowedGroups: []string{"asg-api"}},
			enter("e", "i-w1"), "Forbidden.ScalingGroupNotAllowed", "ALLOWED_SCALING_GROUP_IDS", 1},
		{"group not allowed, named in the request", standby.Config{AllowedGroups: []string{"asg-api"}},
			standby.Request{Action: standby.EnterStandby, ScalingGroupID: "asg-web", InstanceIDs: []string{"i-w1"}, Identity: "e"},
			"Forbidden.ScalingGroupNotAllowed", "ALLOWED_SCALING_GROUP_IDS", 0},
		{"too few left InService, by count", standby.Config{MinInService: standby.Share{Count: 4}},
			enter("e", "i-w1", "i-w2"), "Forbidden.MinInService", "MIN_IN_SERVICE", 1},
		{"too few left InService, by percent", standby.Config{MinInService: standby.Share{Percent: 70}},
			enter("e", "i-w1", "i-w2"), "Forbidden.MinInService", "MIN_IN_SERVICE", 1},
		// asg-web has 6 instances, i-w5 already in Standby (parked by
		// whoever): a cap of 1, or of 20% (1.2, rounded down), is full.
		{"the cap full, by count", standby.Config{MaxStandby: standby.Share{Count: 1}},
			enter("e", "i-w1"), "Forbidden.MaxStandby", "MAX_STANDBY", 1},
		{"the cap full, by percent", standby.Config{MaxStandby: standby.Share{Percent: 20}},
			enter("e", "i-w1", "i-w2"), "Forbidden.MaxStandby", "MAX_STANDBY", 1},
		{"the cap tighter than the floor", standby.Config{MaxStandby: standby.Share{Count: 1}, MinInService: standby.Share{Count: 1}},
			enter("e", "i-w1"), "Forbidden.MaxStandby", "MAX_STANDBY", 1},
		{"the floor tighter than the cap", standby.Config{MaxStandby: standby.Share{Count: 5}, MinInService: standby.Share{Count: 4}},
			enter("e", "i-w1"), "Forbidden.MinInService", "MIN_IN_SERVICE", 1},
		{"too many instances", standby.Config{MaxInstances: 2},
			enter("e", "i-w1", "i-w2", "i-w3"), "InvalidParameter", "MAX_INSTANCES", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := sampleFleet()
			answers, st := standby.New(tt.cfg, f.Cloud()).WithoutBackoff().Run(context.Background(), inv, tt.req)
			for _, line := range answers[0].Instances {
				if line.Result != "Refused" || line.Code != tt.wantCode || line.Err == nil || line.Err.Kind == standby.Internal {
					t.Errorf("%s: %+v; want Refused %s", line.InstanceID, line, tt.wantCode)
				}
			}
			if len(answers[0].Instances) != len(tt.req.InstanceIDs) || st.Guard != tt.wantGuard {
				t.Errorf("%d lines, guard %q; want %d, %q", len(answers[0].Instances), st.Guard, len(tt.req.InstanceIDs), tt.wantGuard)
			}
			if n := len(f.Calls("Standby")); n != 0 {
				t.Errorf("a refused request made %d Standby calls", n)
			}
			if n := len(f.Calls("ScalingInstances")); n != tt.wantReads {
				t.Errorf("%d state reads, want %d", n, tt.wantReads)
			}
		})
	}
	t.Run("enough left InService", func(t *testing.T) {
		f := sampleFleet()
		answers, st := standby.New(standby.Config{MinInService: standby.Share{Percent: 50}, AllowedGroups: []string{"asg-web"}}, f.Cloud()).
			WithoutBackoff().Run(context.Background(), inv, enter("e", "i-w1"))
		if line := answers[0].Instances[0]; line.Result != "EnteredStandby" || st.Guard != "" || f.State("i-w1") != "Standby" {
			t.Errorf("one of four InService instances (keeping 3 of 6) answered %+v, guard %q", line, st.Guard)
		}
	})
}

// A dry run reads and judges as a run does, and changes nothing: what it
// would call is planned, what it would skip is skipped, and a guard that
// would refuse refuses.
func TestDryRunPastAGuard(t *testing.T) {
	f := sampleFleet()
	answers, _ := standby.New(standby.Config{DryRun: true, MinInService: standby.Share{Count: 1}}, f.Cloud()).
		WithoutBackoff().Run(context.Background(), inv, enter("e", "i-w1", "i-w5", "i-w6"))
	a := answers[0]
	want := []standby.Skipped{{InstanceID: "i-w5", Reason: "already Standby"}, {InstanceID: "i-w6", Reason: "Pending: only InService instances can enter Standby"}}
	if !a.DryRun || len(a.Planned) != 1 || a.Instances[0].Result != "Planned" || firstFailure(a) != nil {
		t.Errorf("dry run answered %+v; want one call planned", a)
	}
	if diff := cmp.Diff(want, a.Skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	if n := len(f.Calls("Standby")); n != 0 || f.State("i-w1") != "InService" {
		t.Errorf("a dry run made %d Standby calls", n)
	}

	f = sampleFleet()
	answers, st := standby.New(standby.Config{DryRun: true, MinInService: standby.Share{Count: 4}}, f.Cloud()).
		WithoutBackoff().Run(context.Background(), inv, enter("e", "i-w1"))
	if line := answers[0].Instances[0]; line.Result != "Refused" || line.Code != "Forbidden.MinInService" || st.Guard != "MIN_IN_SERVICE" || len(f.Calls("Standby")) != 0 {
		t.Errorf("a dry run past a guard answered %+v, guard %q; it must say the guard would refuse", line, st.Guard)
	}
}

// ExitStandby is the way back: an instance in Standby goes InService, one
// already InService is skipped, and the call names ExitStandby.
func TestExitStandby(t *testing.T) {
	f := sampleFleet()
	answers, _ := standby.New(standby.Config{}, f.Cloud()).WithoutBackoff().Run(context.Background(), inv,
		standby.Request{Action: standby.ExitStandby, InstanceIDs: []string{"i-w5", "i-w1"}, Identity: "exit"})
	a := answers[0]
	calls := f.Calls("Standby")
	if f.State("i-w5") != "InService" || len(calls) != 1 || calls[0].Standby.Action != standby.ExitStandby || a.Instances[0].Result != "ExitedStandby" {
		t.Errorf("after ExitStandby: i-w5 %s, calls %+v, lines %+v", f.State("i-w5"), calls, a.Instances)
	}
	if diff := cmp.Diff([]standby.Skipped{{InstanceID: "i-w1", Reason: "already InService"}}, a.Skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
}

// MAX_STANDBY lets in, first come first, as many as the cap leaves room
// for, counting what is in Standby already whoever parked it; what the
// counts cannot say refuses nothing on a guess, and leaves all to a retry.
func TestTheCapLetsInWhatFits(t *testing.T) {
	f := sampleFleet() // asg-web: 6, one in Standby
	answers, st := standby.New(standby.Config{MaxStandby: standby.Share{Percent: 50}}, f.Cloud()).WithoutBackoff().
		Run(context.Background(), inv, enter("e", "i-w1", "i-w2", "i-w3", "i-w4"))
	got := map[string]string{}
	for _, line := range answers[0].Instances {
		got[line.InstanceID] = line.Result + " " + line.Code
	}
	want := map[string]string{"i-w1": "EnteredStandby ", "i-w2": "EnteredStandby ", "i-w3": "Refused Forbidden.MaxStandby", "i-w4": "Refused Forbidden.MaxStandby"}
	if diff := cmp.Diff(want, got); diff != "" || st.Guard != "MAX_STANDBY" {
		t.Errorf("50%% of 6 with one parked (-want +got):\n%s guard %q", diff, st.Guard)
	}
	if msg := answers[0].Instances[2].Reason; msg != "scaling group asg-web may have at most 3 of its 6 instances in Standby (MAX_STANDBY=50%), and has 1: 2 of the 4 asked for may enter Standby" {
		t.Errorf("the refusal says %q", msg)
	}
	for _, blank := range []bool{false, true} {
		f := sampleFleet()
		if blank {
			f.Blank("CountInstances", 0) // an answer without its count
		} else {
			f.Fail("CountInstances", 0, throttled)
		}
		answers, _ := standby.New(standby.Config{MaxStandby: standby.Share{Count: 5}}, f.Cloud()).WithoutBackoff().Run(context.Background(), inv, enter("e", "i-w1"))
		if line := answers[0].Instances[0]; !line.Left() || len(f.Calls("Standby")) != 0 {
			t.Errorf("counts unreadable (blank %t): %+v after %d Standby calls; want it left to retry", blank, line, len(f.Calls("Standby")))
		}
	}
}

// The cap holds under concurrency: 38 alarms at once, one per InService
// instance of a group of 40 of which 2 are parked already (by someone
// else), with MAX_STANDBY=25%: 8 more are parked, never 9, and 30 are
// refused; whether
// the plans are one at a time or one for all, and whether Auto Scaling's
// counts show the instances parked at once or only later (Lag).
func TestTheCapHoldsUnderConcurrency(t *testing.T) {
	for _, merged := range []bool{false, true} {
		for _, lag := range []bool{false, true} {
			t.Run(fmt.Sprintf("merged %t, lag %t", merged, lag), func(t *testing.T) {
				f, ids := group(40)
				f.Move(ids[38], "Standby")
				f.Move(ids[39], "Standby")
				if lag {
					f.Lag()
				}
				svc := standby.New(standby.Config{MaxStandby: standby.Share{Percent: 25}}, f.Cloud()).WithoutBackoff()
				if merged {
					svc.MergeWhen(38)
				}
				answers := alarmsAtOnce(svc, ids[:38])
				f.Settle()
				parked := inState(f, ids, "Standby")
				got := results(answers...)
				if parked != 10 || got["EnteredStandby"] != 8 || got["Refused"] != 30 {
					t.Errorf("%d in Standby, answers %v; want 10 (8 more), 30 refused", parked, got)
				}
				for _, a := range answers {
					if l := a.Instances[0]; l.Result == "Refused" && l.Code != "Forbidden.MaxStandby" {
						t.Errorf("refused %+v; want Forbidden.MaxStandby", l)
					}
				}
			})
		}
	}
}

// An instance this process parked that lands between the reads around the
// counts may be in them or not: what it decides is left to a retry, which
// lets it in, never refused for good on a count that may hold it twice.
// Read before the counts, it is counted once, and exactly.
func TestAnInstanceLandingDuringTheCountsIsUnsettled(t *testing.T) {
	for _, cfg := range []standby.Config{{MaxStandby: standby.Share{Count: 2}}, {MinInService: standby.Share{Percent: 50}}} {
		f, ids := group(4)
		svc := standby.New(cfg, f.Cloud()).WithoutBackoff()
		f.Lag()
		if a, _ := svc.Run(context.Background(), inv, enter("a", ids[0])); a[0].Instances[0].Result != "EnteredStandby" {
			t.Fatalf("the first: %+v", a[0].Instances[0])
		}
		f.Before("CountInstances", f.Settle) // it lands after the read before the counts
		a, _ := svc.Run(context.Background(), inv, enter("b", ids[1]))
		if l := a[0].Instances[0]; !l.Left() || !strings.HasPrefix(l.Code, "Unsettled.") || len(f.Calls("Standby")) != 1 {
			t.Errorf("%+v: the second answered %s %s: %s; want it left to a retry", cfg, l.Result, l.Code, l.Reason)
		}
		if a, _ := svc.Run(context.Background(), inv, enter("b", ids[1])); a[0].Instances[0].Result != "EnteredStandby" {
			t.Errorf("%+v: the retry answered %+v; want it let in (2 of 4)", cfg, a[0].Instances[0])
		}
	}
}

// An exit of the same plan, still on its way out, may free room the
// counts do not show yet: the enter it may make room for is left to a
// retry, not refused for good; once the exit shows, it goes through.
func TestAnExitOnItsWayLeavesTheCapUnsettled(t *testing.T) {
	for _, lag := range []bool{false, true} {
		f, ids := group(8)
		f.Move(ids[0], "Standby")
		f.SetTags(ids[0], standby.Tags{standby.TagRule: "r-1"})
		if lag {
			f.Lag()
		}
		svc := standby.New(standby.Config{MaxStandby: standby.Share{Count: 1}}, f.Cloud()).WithoutBackoff()
		a, _ := svc.Run(context.Background(), inv, recovery("r-1", ids[0]), enter("b", ids[1]))
		want := "EnteredStandby"
		if lag {
			want = "Failed Unsettled.MaxStandby"
		}
		if got := strings.TrimSpace(a[1].Instances[0].Result + " " + a[1].Instances[0].Code); a[0].Instances[0].Result != "ExitedStandby" || got != want {
			t.Errorf("lag %t: the exit %+v, the enter %s; want %s", lag, a[0].Instances[0], got, want)
		}
		f.Settle()
		if a, _ := svc.Run(context.Background(), inv, enter("b", ids[1])); a[0].Instances[0].Result != "EnteredStandby" {
			t.Errorf("lag %t: the retry %+v", lag, a[0].Instances[0])
		}
	}
}

// What the guards know to be on its way is what they read before the
// counts: another request's read that shows it landed meanwhile (noting it
// seen) does not take it out of the reckoning, so neither the cap nor the
// floor is passed.
func TestAnotherReadDoesNotHideWhatIsOnItsWay(t *testing.T) {
	for _, cfg := range []standby.Config{{MaxStandby: standby.Share{Count: 1}}, {MinInService: standby.Share{Count: 3}}} {
		f, ids := group(4)
		svc := standby.New(cfg, f.Cloud()).WithoutBackoff()
		f.Lag()
		if a, _ := svc.Run(context.Background(), inv, enter("a", ids[0])); a[0].Instances[0].Result != "EnteredStandby" {
			t.Fatalf("the first: %+v", a[0].Instances[0])
		}
		// After the counts (the last of them, the total), ids[0] lands, and
		// another request's read notes it.
		last := func() {
			f.Settle()
			svc.Saw(standby.ScalingInstance{InstanceID: ids[0], ScalingGroupID: "asg-s", LifecycleState: "Standby"})
		}
		if cfg.MaxStandby.Count > 0 {
			f.Before("CountInstances", func() { f.Before("CountInstances", func() { f.Before("CountInstances", last) }) })
		} else {
			f.Before("CountInstances", func() { f.Before("CountInstances", last) })
		}
		a, _ := svc.Run(context.Background(), inv, enter("b", ids[1]))
		if f.State(ids[1]) == "Standby" || a[0].Instances[0].Result == "EnteredStandby" {
			t.Errorf("%+v: the second answered %+v; its group would pass the guard", cfg, a[0].Instances[0])
		}
	}
}

// lossy is an Auto Scaling whose answers to one call's token are lost on
// their way back: the call is made, the caller hears a timeout.
type lossy struct {
	*standbytest.Fake
	lose string
}

func (l *lossy) Standby(ctx context.Context, s standby.Session, c standby.Call) (standby.Activity, error) {
	a, err := l.Fake.Standby(ctx, s, c)
	if err == nil && c.ClientToken == l.lose {
		return standby.Activity{}, &standby.Error{Kind: standby.Timeout, Code: "Timeout", Message: "the answer was lost"}
	}
	return a, err
}

// A call whose answer is lost may have put its instance on its way: the
// guards count it unsure (the next request is left to a retry, not let
// past the cap), and its own retry, with its token, is answered with the
// activity and takes its own room.
func TestALostAnswerCountsAsOnItsWay(t *testing.T) {
	f, ids := group(4)
	l := &lossy{Fake: f}
	svc := standby.New(standby.Config{MaxStandby: standby.Share{Count: 1}}, standby.Cloud{Scaling: l, Instances: l.Fake}).WithoutBackoff()
	f.Lag()
	plan, _ := standby.New(standby.Config{DryRun: true}, f.Cloud()).WithoutBackoff().Run(context.Background(), inv, enter("a", ids[0]))
	l.lose = plan[0].Planned[0].ClientToken
	if a, _ := svc.Run(context.Background(), inv, enter("a", ids[0])); !a[0].Instances[0].Left() {
		t.Fatalf("the first, its answer lost: %+v", a[0].Instances[0])
	}
	b, _ := svc.Run(context.Background(), inv, enter("b", ids[1]))
	if l := b[0].Instances[0]; f.State(ids[1]) != "InService" || !l.Left() || l.Code != "Unsettled.MaxStandby" {
		t.Errorf("the next: %+v; want it left to a retry", l)
	}
	l.lose = ""
	if a, _ := svc.Run(context.Background(), inv, enter("a", ids[0])); a[0].Instances[0].Result != "EnteredStandby" || a[0].Instances[0].ScalingActivityID == "" {
		t.Errorf("the first's retry: %+v; want its activity", a[0].Instances[0])
	}
}
