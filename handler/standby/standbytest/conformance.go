package standbytest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"ess-standby/handler/standby"
)

// Region is where the suite's groups are.
const Region = "cn-hangzhou"

// Subject is an Auto Scaling under test, with what the suite needs to
// steer and observe it.
type Subject struct {
	AutoScaling standby.AutoScaling
	Session     standby.Session // in Region, with credentials it accepts
	// Fail makes the next n calls of method (ScalingInstances,
	// CountInstances, Standby or ActivityStatuses) fail as Auto Scaling
	// would answer err: its code, at the HTTP status of its kind.
	Fail func(method string, n int, err *standby.Error)
	// State reports an instance's lifecycle state; "" when in no group.
	State func(id string) string
}

// Harness makes a subject holding groups: group → instance → lifecycle
// state, all in Region.
type Harness func(t *testing.T, groups map[string]map[string]string) Subject

// Conformance runs the contract of standby.AutoScaling against an
// implementation: every one (the fake the core's tests use, the SDK client
// over the emulator) must pass it, so that what the core's tests learn from
// one holds of the other.
func Conformance(t *testing.T, newSubject Harness) {
	fleet := func() map[string]map[string]string {
		many := map[string]string{}
		for i := range 120 {
			many[fmt.Sprintf("i-many%03d", i)] = "InService"
		}
		return map[string]map[string]string{
			"asg-a":    {"i-a1": "InService", "i-a2": "InService", "i-a3": "Standby", "i-a4": "Pending"},
			"asg-b":    {"i-b1": "InService"},
			"asg-many": many,
		}
	}
	ctx := context.Background()
	t.Run("ScalingInstances", func(t *testing.T) {
		s := newSubject(t, fleet())
		got, err := s.AutoScaling.ScalingInstances(ctx, s.Session, "", []string{"i-a1", "i-b1", "i-a3", "i-nowhere"})
		want := []standby.ScalingInstance{{InstanceID: "i-a1", ScalingGroupID: "asg-a", LifecycleState: "InService"},
			{InstanceID: "i-b1", ScalingGroupID: "asg-b", LifecycleState: "InService"}, {InstanceID: "i-a3", ScalingGroupID: "asg-a", LifecycleState: "Standby"}}
		if err != nil || !sameInstances(got, want) {
			t.Errorf("looked up = %+v, %v; want %+v (an unknown ID is left out)", got, err, want)
		}
		got, err = s.AutoScaling.ScalingInstances(ctx, s.Session, "asg-a", []string{"i-a1", "i-b1"})
		if err != nil || !sameInstances(got, want[:1]) {
			t.Errorf("scoped to asg-a = %+v, %v; want i-a1 alone", got, err)
		}
		other := s.Session
		other.Region = "cn-beijing"
		if got, err := s.AutoScaling.ScalingInstances(ctx, other, "", []string{"i-a1"}); err != nil || len(got) != 0 {
			t.Errorf("in another region = %+v, %v; want none", got, err)
		}
		// Undocumented: an empty answer, or InvalidScalingGroupId.NotFound.
		got, err = s.AutoScaling.ScalingInstances(ctx, s.Session, "asg-gone", []string{"i-a1"})
		if len(got) != 0 || err != nil && standby.AsError(err).Code != "InvalidScalingGroupId.NotFound" {
			t.Errorf("scoped to a group that does not exist = %+v, %v", got, err)
		}
		var twenty []string
		for i := range 20 {
			twenty = append(twenty, fmt.Sprintf("i-many%03d", i*5))
		}
		if got, err := s.AutoScaling.ScalingInstances(ctx, s.Session, "asg-many", twenty); err != nil || len(got) != 20 {
			t.Errorf("20 of a group of 120 = %d, %v", len(got), err)
		}
	})
	t.Run("CountInstances", func(t *testing.T) {
		s := newSubject(t, fleet())
		for _, c := range []struct {
			group, state string
			want         int
		}{{"asg-many", "", 120}, {"asg-many", "InService", 120}, {"asg-a", "", 4}, {"asg-a", "InService", 2}, {"asg-a", "Standby", 1}, {"asg-b", "Pending", 0}} {
			if n, err := s.AutoScaling.CountInstances(ctx, s.Session, c.group, c.state); err != nil || n != c.want {
				t.Errorf("CountInstances(%s, %q) = %d, %v; want %d", c.group, c.state, n, err, c.want)
			}
		}
	})
	t.Run("Standby and back", func(t *testing.T) {
		s := newSubject(t, fleet())
		enter := standby.StandbyCall{Action: standby.EnterStandby, ScalingGroupID: "asg-a", InstanceIDs: []string{"i-a1", "i-a2"}, ClientToken: "conformance-1"}
		a, err := s.AutoScaling.Standby(ctx, s.Session, enter)
		if err != nil || a.ScalingActivityID == "" || a.ScalingGroupID != "asg-a" || !slices.Equal(a.InstanceIDs, enter.InstanceIDs) || s.State("i-a1") != "Standby" {
			t.Fatalf("EnterStandby = %+v, %v; i-a1 is %s", a, err, s.State("i-a1"))
		}
		// The same token and call: the same activity, nothing started.
		again, err := s.AutoScaling.Standby(ctx, s.Session, enter)
		if err != nil || again.ScalingActivityID != a.ScalingActivityID {
			t.Errorf("the same call again = %+v, %v; want activity %s", again, err, a.ScalingActivityID)
		}
		// The same token for another call: refused.
		other := enter
		other.InstanceIDs = []string{"i-a1"}
		expectCode(t, "the token of another call", "IdempotentParameterMismatch", standby.Conflict)(s.AutoScaling.Standby(ctx, s.Session, other))
		exit := standby.StandbyCall{Action: standby.ExitStandby, ScalingGroupID: "asg-a", InstanceIDs: []string{"i-a1"}, ClientToken: "conformance-2"}
		if _, err := s.AutoScaling.Standby(ctx, s.Session, exit); err != nil || s.State("i-a1") != "InService" {
			t.Errorf("ExitStandby = %v; i-a1 is %s", err, s.State("i-a1"))
		}
	})
	t.Run("Standby refusals", func(t *testing.T) {
		s := newSubject(t, fleet())
		call := func(group string, ids ...string) standby.StandbyCall {
			return standby.StandbyCall{Action: standby.EnterStandby, ScalingGroupID: group, InstanceIDs: ids}
		}
		expectCode(t, "a Pending instance", "IncorrectInstanceStatus", standby.Conflict)(s.AutoScaling.Standby(ctx, s.Session, call("asg-a", "i-a4")))
		expectCode(t, "an instance in Standby", "IncorrectInstanceStatus", standby.Conflict)(s.AutoScaling.Standby(ctx, s.Session, call("asg-a", "i-a3")))
		expectCode(t, "an instance of another group", "InvalidInstanceId.NotFound", standby.NotFound)(s.AutoScaling.Standby(ctx, s.Session, call("asg-a", "i-b1")))
		expectCode(t, "a group that does not exist", "InvalidScalingGroupId.NotFound", standby.NotFound)(s.AutoScaling.Standby(ctx, s.Session, call("asg-gone", "i-a1")))
		if s.State("i-a1") != "InService" || s.State("i-a4") != "Pending" {
			t.Errorf("a refused call changed something: i-a1 %s, i-a4 %s", s.State("i-a1"), s.State("i-a4"))
		}
	})
	t.Run("ActivityStatuses", func(t *testing.T) {
		s := newSubject(t, fleet())
		a, err := s.AutoScaling.Standby(ctx, s.Session, standby.StandbyCall{Action: standby.EnterStandby, ScalingGroupID: "asg-b", InstanceIDs: []string{"i-b1"}, Async: true})
		if err != nil {
			t.Fatal(err)
		}
		final := ""
		for poll := 0; poll < 5 && final != "Successful"; poll++ {
			statuses, err := s.AutoScaling.ActivityStatuses(ctx, s.Session, []string{a.ScalingActivityID, "asa-nowhere"})
			if err != nil || len(statuses) != 1 || statuses[0].ScalingActivityID != a.ScalingActivityID || !slices.Contains([]string{"InProgress", "Successful"}, statuses[0].StatusCode) {
				t.Fatalf("poll %d = %+v, %v; want the activity alone, InProgress or Successful", poll, statuses, err)
			}
			final = statuses[0].StatusCode
		}
		if final != "Successful" {
			t.Errorf("the activity is %s after 5 polls", final)
		}
	})
	t.Run("error families", func(t *testing.T) {
		errs := []*standby.Error{
			{Kind: standby.Throttled, Code: "Throttling", Message: "Request was denied due to request throttling."},
			{Kind: standby.Throttled, Code: "Throttling.User", Message: "Request was denied due to user flow control."},
			{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: "The request has failed due to a temporary failure of the server."},
			{Kind: standby.Unavailable, Code: "InternalError", Message: "The request processing has failed due to some unknown error."},
			{Kind: standby.Forbidden, Code: "Forbidden.Unauthorized", Message: "A required authorization for the specified action is not supplied."},
			{Kind: standby.Conflict, Code: "IncorrectScalingGroupStatus", Message: "The current status of the specified scaling group does not support this action."},
			{Kind: standby.Invalid, Code: "InvalidParameter", Message: "The specified parameter is not valid."},
		}
		for _, method := range []string{"ScalingInstances", "CountInstances", "Standby", "ActivityStatuses"} {
			for _, want := range errs {
				s := newSubject(t, fleet())
				s.Fail(method, 1, want)
				var err error
				switch method {
				case "ScalingInstances":
					_, err = s.AutoScaling.ScalingInstances(ctx, s.Session, "", []string{"i-a1"})
				case "CountInstances":
					_, err = s.AutoScaling.CountInstances(ctx, s.Session, "asg-a", "")
				case "Standby":
					_, err = s.AutoScaling.Standby(ctx, s.Session, standby.StandbyCall{Action: standby.EnterStandby, ScalingGroupID: "asg-a", InstanceIDs: []string{"i-a1"}})
				case "ActivityStatuses":
					_, err = s.AutoScaling.ActivityStatuses(ctx, s.Session, []string{"asa-1"})
				}
				expectCode(t, method+" answered "+want.Code, want.Code, want.Kind)(nil, err)
				if method == "Standby" && s.State("i-a1") != "InService" {
					t.Errorf("a failed EnterStandby changed i-a1 to %s", s.State("i-a1"))
				}
				// The failure was once: the next call succeeds.
				if _, err := s.AutoScaling.CountInstances(ctx, s.Session, "asg-a", ""); err != nil {
					t.Errorf("after one failure of %s, a call failed: %v", method, err)
				}
			}
		}
	})
}

// expectCode checks that a call failed with code, of kind.
func expectCode(t *testing.T, what, code string, kind standby.Kind) func(any, error) {
	t.Helper()
	return func(_ any, err error) {
		t.Helper()
		var e *standby.Error
		if !errors.As(err, &e) || e.Code != code || e.Kind != kind {
			t.Errorf("%s: %v; want %s, kind %d", what, err, code, kind)
		}
	}
}

func sameInstances(got, want []standby.ScalingInstance) bool {
	key := func(in standby.ScalingInstance) string { return in.InstanceID }
	g, w := slices.Clone(got), slices.Clone(want)
	slices.SortFunc(g, func(a, b standby.ScalingInstance) int { return cmp.Compare(key(a), key(b)) })
	slices.SortFunc(w, func(a, b standby.ScalingInstance) int { return cmp.Compare(key(a), key(b)) })
	return slices.Equal(g, w)
}
