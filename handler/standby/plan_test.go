package standby_test

import (
	"context"
	"testing"
	"time"

	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
)

var throttled = &standby.Error{Kind: standby.Throttled, Code: "Throttling", Message: "Request was denied due to request throttling."}

// An instance asked for again while its activity is still under way (an
// Auto Scaling that answers before it moves) is answered with that
// activity, and counts gone: the floor holds.
func TestAnInstanceOnItsWayIsNotCountedTwice(t *testing.T) {
	f, ids := group(3)
	f.Lag()
	svc := standby.New(standby.Config{MinInService: standby.Share{Count: 2}}, f.Cloud()).WithoutBackoff()
	svc.Run(context.Background(), inv, enter("first", ids[0]))
	answers, _ := svc.Run(context.Background(), inv, enter("second", ids[1], ids[0]))
	lines := answers[0].Instances
	f.Settle()
	if lines[0].Result != "Refused" || lines[1].Result != "EnteredStandby" || lines[1].Reason != "on its way into Standby, by this activity" {
		t.Errorf("lines %+v; want %s refused (the floor), %s on its way", lines, ids[1], ids[0])
	}
	if f.State(ids[1]) != "InService" || f.State(ids[2]) != "InService" {
		t.Errorf("%s %s, %s %s; want both InService (MIN_IN_SERVICE=2)", ids[1], f.State(ids[1]), ids[2], f.State(ids[2]))
	}
	// One whose activity is over, though it reads InService, was taken
	// back: asked for again, it is called for.
	f, ids = group(4)
	svc = standby.New(standby.Config{MinInService: standby.Share{Count: 1}}, f.Cloud()).WithoutBackoff()
	f.Lag()
	svc.Run(context.Background(), inv, enter("first", ids[0]))
	f.Settle()
	f.Move(ids[0], "InService") // an operator took it back before any read saw it
	answers, _ = svc.Run(context.Background(), inv, enter("again", ids[0]))
	if line := answers[0].Instances[0]; line.Result != "EnteredStandby" || line.Reason != "" || f.State(ids[0]) != "Standby" {
		t.Errorf("%+v, %s; want it called for again, and in Standby", line, f.State(ids[0]))
	}
}

// A request naming two groups whose one group's read again fails: the
// other group's instance is done, and reported so.
func TestOneGroupsFailureIsItsOwn(t *testing.T) {
	f := fleet(map[string]string{"i-a2": "Standby"})
	svc := standby.New(standby.Config{}, f.Cloud()).WithoutBackoff()
	// X, holding asg-a's line, takes i-a2 out of Standby once Y's read has
	// begun: Y's read of asg-a is then stale, and read again, which fails.
	// Y starts only once X is in its call, so X's plan comes first.
	xCalling, yReading := make(chan struct{}), make(chan struct{})
	f.Before("ScalingInstances", func() {}) // X's read
	f.Before("ScalingInstances", func() { close(yReading) })
	f.Before("Standby", func() { close(xCalling); <-yReading })
	f.FailAfter("ScalingInstances", 2, 0, throttled)
	go svc.Run(context.Background(), inv, standby.Request{Action: standby.ExitStandby, InstanceIDs: []string{"i-a2"}, Identity: "x"})
	<-xCalling
	answers, _ := svc.Run(context.Background(), inv, enter("y", "i-a1", "i-b1"))
	if l := answers[0].Instances; !l[0].Left() || l[1].Result != "EnteredStandby" || f.State("i-b1") != "Standby" || f.State("i-a2") != "InService" {
		t.Errorf("lines %+v; want i-a1 left to retry, i-b1 done", l)
	}
}

// An instance the read did not find (a group named, an instance gone) is
// called for on its own: Auto Scaling's refusal of it refuses no other.
func TestAnUnverifiedInstanceIsCalledForAlone(t *testing.T) {
	f, ids := group(4)
	svc := standby.New(standby.Config{ScalingGroupID: "asg-s"}, f.Cloud()).WithoutBackoff().MergeWhen(2)
	done := make(chan standby.Result, 2)
	for _, id := range []string{ids[1], "i-gone"} {
		go func() {
			inv := inv
			inv.RequestID = id
			a, _ := svc.Run(context.Background(), inv, enter(id, id))
			done <- a[0]
		}()
	}
	for range 2 {
		a := <-done
		line := a.Instances[0]
		switch line.InstanceID {
		case ids[1]:
			if line.Result != "EnteredStandby" {
				t.Errorf("%+v; want it done", line)
			}
		default:
			if line.Result != "Refused" || line.Code != "InvalidInstanceId.NotFound" {
				t.Errorf("%+v; want Auto Scaling's refusal", line)
			}
		}
	}
}

// A call refused for one instance's state is narrowed by reading again;
// when that read fails, what may be retried is left to retry, not refused.
func TestANarrowingThatCannotReadLeavesItToRetry(t *testing.T) {
	f, ids := group(4)
	f.Before("Standby", func() { f.Move(ids[0], "Protected") })
	f.FailAfter("ScalingInstances", 1, 0, throttled)
	answers, _ := standby.New(standby.Config{}, f.Cloud()).WithoutBackoff().Run(context.Background(), inv, enter("e", ids[0], ids[1]))
	for _, line := range answers[0].Instances {
		if !line.Left() {
			t.Errorf("%+v; want left to retry", line)
		}
	}
	// Read well, the call is narrowed: the other is done.
	f, ids = group(4)
	f.Before("Standby", func() { f.Move(ids[0], "Protected") })
	answers, _ = standby.New(standby.Config{}, f.Cloud()).WithoutBackoff().Run(context.Background(), inv, enter("e", ids[0], ids[1]))
	if l := answers[0].Instances; l[0].Result != "Skipped" || l[1].Result != "EnteredStandby" {
		t.Errorf("lines %+v; want %s skipped (Protected), %s done", l, ids[0], ids[1])
	}
}

// One action per instance per plan: an alarm and its recovery waiting
// together for the group end as the later asks.
func TestTheLaterActionWins(t *testing.T) {
	for _, start := range []string{"InService", "Standby"} {
		f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-a": {"i-x": start, "i-y": "InService"}})
		answers, _ := standby.New(standby.Config{}, f.Cloud()).WithoutBackoff().Run(context.Background(), inv,
			enter("alert", "i-x"), standby.Request{Action: standby.ExitStandby, InstanceIDs: []string{"i-x"}, Identity: "ok"})
		if f.State("i-x") != "InService" || len(f.Calls("Standby")) > 1 {
			t.Errorf("from %s: i-x is %s after %d calls; want InService, the recovery's", start, f.State("i-x"), len(f.Calls("Standby")))
		}
		if l := answers[0].Instances[0]; l.Result != "Skipped" || l.Reason != "a later request for it asks ExitStandby" {
			t.Errorf("from %s: the alert's line %+v", start, l)
		}
	}
}

// Each group its own line: one group's slow plan holds up no other.
func TestGroupsArePlannedAtOnce(t *testing.T) {
	f := fleet(nil)
	second := make(chan struct{})
	f.Before("Standby", func() {
		select {
		case <-second:
		case <-time.After(10 * time.Second): // a bound on the test
			t.Error("one group's call waited for the other group's plan")
		}
	})
	f.Before("Standby", func() { close(second) })
	answers, _ := standby.New(standby.Config{}, f.Cloud()).WithoutBackoff().Run(context.Background(), inv, enter("e", "i-a1", "i-b1"))
	for _, line := range answers[0].Instances {
		if line.Result != "EnteredStandby" {
			t.Errorf("%+v", line)
		}
	}
}
