package standby_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
)

var roleCreds = standby.Credentials{AccessKeyID: "STS.role", AccessKeySecret: "role-secret", SecurityToken: "role-token"}

var inv = standby.Invocation{RequestID: "r1", Region: "cn-hangzhou", Credentials: roleCreds}

// fleet is two groups: asg-a with i-a1, i-a2; asg-b with i-b1 (all
// InService unless states says otherwise).
func fleet(states map[string]string) *standbytest.Fake {
	groups := map[string]map[string]string{"asg-a": {"i-a1": "InService", "i-a2": "InService"}, "asg-b": {"i-b1": "InService"}}
	for id, st := range states {
		for _, g := range groups {
			if _, ok := g[id]; ok {
				g[id] = st
			}
		}
	}
	return standbytest.NewFake("cn-hangzhou", groups)
}

// run runs one request of the event "event-1" and returns its answer, and
// the failure of its first instance refused or left to retry, if any.
func run(t *testing.T, cfg standby.Config, f *standbytest.Fake, inv standby.Invocation, req standby.Request) (standby.Result, *standby.Error) {
	t.Helper()
	if req.Action == "" {
		req.Action = standby.EnterStandby
	}
	req.Identity = "event-1"
	answers, _ := standby.New(cfg, f.Cloud()).WithoutBackoff().Run(context.Background(), inv, req)
	return answers[0], firstFailure(answers[0])
}

// ignoreErr compares lines by what they answer: their Err is the failure
// behind Code and Reason, compared on its own where it matters.
var ignoreErr = cmpopts.IgnoreFields(standby.InstanceResult{}, "Err")

func firstFailure(a standby.Result) *standby.Error {
	for _, line := range a.Instances {
		if line.Left() || line.Refusal() {
			return line.Err
		}
	}
	return nil
}

func groupsOf(calls []standbytest.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.GroupID)
	}
	return out
}

// The group named by the request, else by SCALING_GROUP_ID, scopes the
// state read (so a group-scoped RAM policy suffices); with neither, each
// instance's group is looked up.
func TestScalingGroupComesFromRequestThenSettingThenLookup(t *testing.T) {
	tests := []struct {
		name        string
		setting     string
		req         standby.Request
		wantScope   string
		wantGroups  []string
		wantSkipped []standby.Skipped
	}{
		{"request names it", "asg-b", standby.Request{ScalingGroupID: "asg-a", InstanceIDs: []string{"i-a1", "i-a2"}}, "asg-a", []string{"asg-a"}, nil},
		{"setting names it", "asg-a", standby.Request{InstanceIDs: []string{"i-a1"}}, "asg-a", []string{"asg-a"}, nil},
		{"looked up per instance", "", standby.Request{InstanceIDs: []string{"i-a1", "i-b1", "i-a2"}}, "", []string{"asg-a", "asg-b"}, nil},
		{"an instance outside the named group", "asg-a", standby.Request{InstanceIDs: []string{"i-a1", "i-b1"}}, "asg-a", []string{"asg-a"},
			[]standby.Skipped{{InstanceID: "i-b1", Reason: "not in scaling group asg-a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fleet(nil)
			a, err := run(t, standby.Config{ScalingGroupID: tt.setting}, f, inv, tt.req)
			if err != nil {
				t.Fatalf("Run = %v", err)
			}
			if got := groupsOf(f.Calls("ScalingInstances")); !slices.Equal(got, []string{tt.wantScope}) {
				t.Errorf("state reads scoped to %q, want %q", got, tt.wantScope)
			}
			// Groups are planned at once: in no particular order.
			if got := groupsOf(f.Calls("Standby")); !slices.Equal(slices.Sorted(slices.Values(got)), tt.wantGroups) {
				t.Errorf("calls to %v, want %v", got, tt.wantGroups)
			}
			if diff := cmp.Diff(tt.wantSkipped, a.Skipped); diff != "" {
				t.Errorf("Skipped (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLookupKeepsInstancesOfAGroupInOneCall(t *testing.T) {
	tokens := func(clientToken string) []string {
		f := fleet(nil)
		if _, err := run(t, standby.Config{}, f, inv, standby.Request{InstanceIDs: []string{"i-a1", "i-b1", "i-a2"}, ClientToken: clientToken}); err != nil {
			t.Fatal(err)
		}
		calls := f.Calls("Standby")
		slices.SortFunc(calls, func(a, b standbytest.Call) int { return strings.Compare(a.GroupID, b.GroupID) })
		if len(calls) != 2 || fmt.Sprint(calls[0].IDs, calls[1].IDs) != "[i-a1 i-a2] [i-b1]" {
			t.Fatalf("calls %v, want [i-a1 i-a2] and [i-b1]", calls)
		}
		return []string{calls[0].Standby.ClientToken, calls[1].Standby.ClientToken}
	}
	first := tokens("tok")
	if first[0] == first[1] {
		t.Errorf("tokens %q: two calls need two tokens", first)
	}
	// Derived from the caller's: the same token again makes the same calls,
	// another token other calls.
	if again := tokens("tok"); !slices.Equal(again, first) {
		t.Errorf("the same request made tokens %q, then %q", first, again)
	}
	if other := tokens("tok2"); other[0] == first[0] || other[1] == first[1] {
		t.Errorf("another ClientToken made the tokens %q of the first, %q", other, first)
	}
}

// A caller's token too long to take a suffix is hashed, so that each call's
// token stays within Auto Scaling's 64 characters and is its own.
func TestDerivedTokensStayWithin64(t *testing.T) {
	f := fleet(nil)
	if _, err := run(t, standby.Config{}, f, inv, standby.Request{InstanceIDs: []string{"i-a1", "i-b1"}, ClientToken: strings.Repeat("t", 64)}); err != nil {
		t.Fatal(err)
	}
	calls := f.Calls("Standby")
	if len(calls) != 2 || calls[0].Standby.ClientToken == calls[1].Standby.ClientToken {
		t.Fatalf("calls %+v", calls)
	}
	for _, c := range calls {
		if len(c.Standby.ClientToken) > 64 {
			t.Errorf("token %q is longer than 64", c.Standby.ClientToken)
		}
	}
}

func TestInstancesInNoGroup(t *testing.T) {
	f := fleet(nil)
	a, _ := run(t, standby.Config{}, f, inv, standby.Request{InstanceIDs: []string{"i-orphan1", "i-orphan2"}})
	for _, line := range a.Instances {
		if !line.Refusal() || line.Code != "InvalidInstanceId.NotFound" || line.Err.Kind != standby.NotFound || line.Reason != "in no scaling group of region cn-hangzhou" {
			t.Errorf("%s: %+v, want refused, 404 InvalidInstanceId.NotFound", line.InstanceID, line)
		}
	}
	if len(a.Instances) != 2 || len(f.Calls("Standby")) != 0 {
		t.Errorf("%d lines, %d calls; want both orphans reported and no call", len(a.Instances), len(f.Calls("Standby")))
	}
	// Some found, some not: the found ones are acted on, the others reported.
	a, err := run(t, standby.Config{}, f, inv, standby.Request{InstanceIDs: []string{"i-a1", "i-orphan1"}})
	want := []standby.Skipped{{InstanceID: "i-orphan1", Reason: "in no scaling group of region cn-hangzhou"}}
	if err != nil || len(f.Calls("Standby")) != 1 || !cmp.Equal(a.Skipped, want) {
		t.Errorf("Run = %+v, %v after %d calls; want i-a1 acted on and i-orphan1 skipped", a, err, len(f.Calls("Standby")))
	}
}

// When the state read finds none of the instances of a named group, Auto
// Scaling is asked anyway, so that its own answer comes back: what
// DescribeScalingInstances answers for a group that does not exist is
// undocumented. Both possible answers of the state read lead to the API's
// own code.
func TestAGroupThatDoesNotExist(t *testing.T) {
	req := standby.Request{ScalingGroupID: "asg-gone", InstanceIDs: []string{"i-a1"}}
	f := fleet(nil)
	a, err := run(t, standby.Config{}, f, inv, req)
	if err == nil || err.Code != "InvalidScalingGroupId.NotFound" || len(f.Calls("Standby")) != 1 {
		t.Fatalf("Run = %v after %d calls; want Auto Scaling's InvalidScalingGroupId.NotFound from the call", err, len(f.Calls("Standby")))
	}
	want := []standby.InstanceResult{{InstanceID: "i-a1", ScalingGroupID: "asg-gone", Result: "Refused", Code: "InvalidScalingGroupId.NotFound", Reason: "The specified scaling group does not exist."}}
	if diff := cmp.Diff(want, a.Instances, ignoreErr); diff != "" {
		t.Errorf("Instances (-want +got):\n%s", diff)
	}

	f = fleet(nil)
	f.Fail("ScalingInstances", 1, &standby.Error{Kind: standby.NotFound, Code: "InvalidScalingGroupId.NotFound", Message: "The specified scaling group does not exist."})
	if _, err := run(t, standby.Config{}, f, inv, req); err == nil || err.Code != "InvalidScalingGroupId.NotFound" || len(f.Calls("Standby")) != 0 {
		t.Errorf("Run = %v; want the state read's InvalidScalingGroupId.NotFound, and no call", err)
	}

	// A dry run plans the call that would let Auto Scaling answer.
	f = fleet(nil)
	a, err = run(t, standby.Config{DryRun: true}, f, inv, req)
	if err != nil || len(a.Planned) != 1 || a.Instances[0].Result != "Planned" || len(f.Calls("Standby")) != 0 {
		t.Errorf("dry run = %+v, %v", a, err)
	}
}

func TestSessionPrefersInvocationCredentialsAndRequestRegion(t *testing.T) {
	envCreds := standby.Credentials{AccessKeyID: "LTAIenv", AccessKeySecret: "env-secret"}
	tests := []struct {
		name       string
		cfg        standby.Config
		inv        standby.Invocation
		req        standby.Request
		wantRegion string
		wantKey    string
		wantCode   string
	}{
		{"invocation credentials first", standby.Config{Credentials: envCreds}, standby.Invocation{Region: "cn-shanghai", Credentials: roleCreds}, standby.Request{}, "cn-shanghai", "STS.role", ""},
		{"settings credentials without a role", standby.Config{Credentials: envCreds}, standby.Invocation{Region: "cn-shanghai"}, standby.Request{}, "cn-shanghai", "LTAIenv", ""},
		{"request region first", standby.Config{Region: "cn-beijing"}, standby.Invocation{Region: "cn-shanghai", Credentials: roleCreds}, standby.Request{RegionID: "ap-southeast-1"}, "ap-southeast-1", "STS.role", ""},
		{"setting before FC's region", standby.Config{Region: "cn-beijing"}, standby.Invocation{Region: "cn-shanghai", Credentials: roleCreds}, standby.Request{}, "cn-beijing", "STS.role", ""},
		{"FC_REGION last", standby.Config{FCRegion: "cn-shenzhen"}, standby.Invocation{Credentials: roleCreds}, standby.Request{}, "cn-shenzhen", "STS.role", ""},
		{"no region at all", standby.Config{}, standby.Invocation{Credentials: roleCreds}, standby.Request{}, "", "", "MissingParameter"},
		{"no credentials at all", standby.Config{}, standby.Invocation{Region: "cn-shanghai"}, standby.Request{}, "", "", "MissingCredentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fleet(nil)
			tt.req.InstanceIDs = []string{"i-a1"}
			_, err := run(t, tt.cfg, f, tt.inv, tt.req)
			calls := f.Calls("")
			if tt.wantCode != "" {
				if err == nil || err.Code != tt.wantCode || len(calls) != 0 {
					t.Errorf("Run = %v after %d calls, want %s and no call", err, len(calls), tt.wantCode)
				}
				return
			}
			if len(calls) == 0 {
				t.Fatalf("Run = %v with no call", err)
			}
			if s := calls[0].Session; s.Region != tt.wantRegion || s.Credentials.AccessKeyID != tt.wantKey {
				t.Errorf("session %s as %s, want %s as %s", s.Region, s.Credentials.AccessKeyID, tt.wantRegion, tt.wantKey)
			}
		})
	}
}

func TestAutoScalingErrorsPassThrough(t *testing.T) {
	f := fleet(nil)
	refusal := &standby.Error{Kind: standby.Conflict, Code: "IncorrectInstanceStatus", Message: "The current status of the instance does not support this action.", Cause: errors.New("EnterStandby: HTTP 400")}
	f.Fail("Standby", 0, refusal)
	a, err := run(t, standby.Config{ScalingGroupID: "asg-a"}, f, inv, standby.Request{InstanceIDs: []string{"i-a1"}})
	if err != refusal || len(f.Calls("Standby")) != 1 {
		t.Fatalf("Run = %v after %d calls, want Auto Scaling's error after 1 call (not retried)", err, len(f.Calls("Standby")))
	}
	want := []standby.InstanceResult{{InstanceID: "i-a1", ScalingGroupID: "asg-a", LifecycleState: "InService", Result: "Refused",
		Code: "IncorrectInstanceStatus", Reason: "The current status of the instance does not support this action."}}
	if diff := cmp.Diff(want, a.Instances, ignoreErr); diff != "" {
		t.Errorf("Instances (-want +got):\n%s", diff)
	}
}

func TestCredentialsNeverPrint(t *testing.T) {
	c := standby.Credentials{AccessKeyID: "STS.id", AccessKeySecret: "s3cr3t", SecurityToken: "t0k3n"}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "creds", c, "inv", standby.Invocation{Credentials: c})
	for _, text := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%+v", standby.Invocation{Credentials: c}), logs.String()} {
		if strings.Contains(text, "s3cr3t") || strings.Contains(text, "t0k3n") {
			t.Errorf("%q shows a credential", text)
		}
	}
}

func TestDryRunPlansAndChangesNothing(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  standby.Config
		req  standby.Request
	}{
		{"request asks", standby.Config{}, standby.Request{InstanceIDs: []string{"i-a1", "i-b1"}, DryRun: true}},
		{"setting asks", standby.Config{DryRun: true}, standby.Request{InstanceIDs: []string{"i-a1", "i-b1"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := fleet(nil)
			got, err := run(t, tt.cfg, f, inv, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !got.DryRun || len(got.Planned) != 2 || got.Planned[0].ScalingGroupID != "asg-a" || got.Planned[1].ScalingGroupID != "asg-b" ||
				got.Planned[0].ClientToken == got.Planned[1].ClientToken || got.Instances[0].Result != "Planned" || fmt.Sprint(got.InstanceIDs) != "[i-a1 i-b1]" {
				t.Errorf("dry run = %+v; want two planned calls, one per group, with their own tokens", got)
			}
			if len(f.Calls("Standby")) != 0 || len(f.Calls("ScalingInstances")) != 1 || f.State("i-a1") != "InService" {
				t.Errorf("dry run made %d Standby calls and %d state reads, want 0 and 1", len(f.Calls("Standby")), len(f.Calls("ScalingInstances")))
			}
		})
	}
}

// With Wait, the activities are polled until final: the answer carries
// their last status.
func TestWaitPollsUntilFinal(t *testing.T) {
	f := fleet(nil)
	f.Pending(2)
	a, err := run(t, standby.Config{Wait: true}, f, inv, standby.Request{InstanceIDs: []string{"i-a1"}})
	if err != nil || len(a.Activities) != 1 || a.Activities[0].StatusCode != "Successful" || len(f.Calls("ActivityStatuses")) != 3 {
		t.Errorf("Run = %+v, %v after %d polls; want Successful after 3", a, err, len(f.Calls("ActivityStatuses")))
	}
	// A failed poll leaves the status last seen, and the invocation succeeds:
	// the activity was started.
	f = fleet(nil)
	f.Fail("ActivityStatuses", 0, &standby.Error{Kind: standby.Forbidden, Code: "Forbidden.Unauthorized", Message: "no"})
	a, err = run(t, standby.Config{Wait: true}, f, inv, standby.Request{InstanceIDs: []string{"i-a1"}})
	if err != nil || a.ScalingActivityID == "" || a.Activities[0].StatusCode != "" {
		t.Errorf("Run = %+v, %v", a, err)
	}
}
