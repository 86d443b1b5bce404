package standby_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
)

// leases is asg-a with one instance InService and three in Standby: one
// whose lease ended, one whose lease runs, one parked by someone else;
// asg-b with one whose lease ended.
func leases() *standbytest.Fake {
	f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{
		"asg-a": {"i-a1": "InService", "i-ended": "Standby", "i-leased": "Standby", "i-theirs": "Standby"},
		"asg-b": {"i-b-ended": "Standby"},
	})
	lease := func(until time.Time) standby.Tags {
		return standby.Tags{"ess-standby:source": "cms-alarm-callback", "ess-standby:since": until.Add(-24 * time.Hour).Format(time.RFC3339), "ess-standby:until": until.Format(time.RFC3339)}
	}
	f.SetTags("i-ended", lease(parkedAt.Add(-time.Hour)))
	f.SetTags("i-b-ended", lease(parkedAt.Add(-time.Minute)))
	f.SetTags("i-leased", lease(parkedAt.Add(time.Hour)))
	f.SetTags("i-theirs", standby.Tags{"team": "web"})
	return f
}

func sweep(t *testing.T, cfg standby.Config, f *standbytest.Fake, req standby.Request) (standby.Swept, error) {
	t.Helper()
	req.Action = standby.Sweep
	swept, _, err := tagged(cfg, f).Sweep(context.Background(), inv, req)
	return swept, err
}

func sweptResults(swept standby.Swept) map[string]string {
	out := map[string]string{}
	for _, l := range swept.Instances {
		out[l.InstanceID] = l.Result
	}
	return out
}

// A sweep reports each Standby instance of the groups the function may act
// on: whose lease runs, whose lease ended, and which it did not park. By
// default (LEASE_END=report) it changes nothing.
func TestSweepReports(t *testing.T) {
	f := leases()
	swept, err := sweep(t, standby.Config{AllowedGroups: []string{"asg-a", "asg-b"}}, f, standby.Request{})
	want := map[string]string{"i-ended": "LeaseEnded", "i-leased": "Leased", "i-theirs": "NotParked", "i-b-ended": "LeaseEnded"}
	if diff := cmp.Diff(want, sweptResults(swept)); err != nil || diff != "" {
		t.Errorf("sweep = %v (-want +got):\n%s", err, diff)
	}
	if !cmp.Equal(swept.Groups, []string{"asg-a", "asg-b"}) || len(f.Calls("Standby")) != 0 || f.State("i-ended") != "Standby" {
		t.Errorf("groups %v, %d Standby calls; want both groups, none", swept.Groups, len(f.Calls("Standby")))
	}
	for _, l := range swept.Instances {
		if l.InstanceID == "i-ended" && (l.Until != parkedAt.Add(-time.Hour).Format(time.RFC3339) || l.Tags["ess-standby:source"] != "cms-alarm-callback" || l.Reason != "its lease ended 1h0m0s ago (LEASE_END=report)") {
			t.Errorf("the ended lease's line %+v", l)
		}
	}
}

// With LEASE_END=exit an ended lease is taken back, as any request would
// be: its tags go with it, the instance parked by someone else stays, and
// a dry run only plans it.
func TestSweepTakesBackEndedLeases(t *testing.T) {
	f := leases()
	swept, err := sweep(t, standby.Config{AllowedGroups: []string{"asg-a"}, LeaseEnd: standby.LeaseExit}, f, standby.Request{})
	if want := map[string]string{"i-ended": "Returned", "i-leased": "Leased", "i-theirs": "NotParked"}; err != nil || !cmp.Equal(sweptResults(swept), want) {
		t.Errorf("sweep = %v, %v; want %v", sweptResults(swept), err, want)
	}
	if f.State("i-ended") != "InService" || len(f.Tags("i-ended")) != 0 || f.State("i-theirs") != "Standby" || f.Tags("i-theirs")["team"] != "web" {
		t.Errorf("i-ended %s %v, i-theirs %s %v", f.State("i-ended"), f.Tags("i-ended"), f.State("i-theirs"), f.Tags("i-theirs"))
	}

	f = leases()
	swept, _ = sweep(t, standby.Config{AllowedGroups: []string{"asg-a"}, LeaseEnd: standby.LeaseExit, DryRun: true}, f, standby.Request{})
	if got := sweptResults(swept)["i-ended"]; got != "Planned" || len(f.Calls("Standby")) != 0 {
		t.Errorf("a dry run's sweep answered %s after %d calls; want it planned, no call", got, len(f.Calls("Standby")))
	}
}

// A sweep keeps to the groups the function may act on: the allowlist, or,
// with none, every group of the region; a group it cannot read fails it,
// once the others are swept: its retry does the rest.
func TestSweepKeepsToItsGroups(t *testing.T) {
	f := leases()
	swept, err := sweep(t, standby.Config{}, f, standby.Request{})
	if want := map[string]string{"i-ended": "LeaseEnded", "i-leased": "Leased", "i-theirs": "NotParked", "i-b-ended": "LeaseEnded"}; err != nil || !cmp.Equal(sweptResults(swept), want) ||
		!cmp.Equal(swept.Groups, []string{"asg-a", "asg-b"}) || len(f.Calls("ScalingGroups")) != 1 {
		t.Errorf("a sweep without an allowlist: %v %v, %v", swept.Groups, sweptResults(swept), err)
	}
	if _, err := sweep(t, standby.Config{AllowedGroups: []string{"asg-a"}}, leases(), standby.Request{ScalingGroupID: "asg-b"}); standby.AsError(err).Code != "Forbidden.ScalingGroupNotAllowed" {
		t.Errorf("a sweep of a group not allowed: %v", err)
	}
	f = leases()
	swept, err = sweep(t, standby.Config{}, f, standby.Request{ScalingGroupID: "asg-b"})
	if !cmp.Equal(sweptResults(swept), map[string]string{"i-b-ended": "LeaseEnded"}) || err != nil || len(f.Calls("ScalingGroups")) != 0 {
		t.Errorf("the sweep of a named group: %v, %v", sweptResults(swept), err)
	}
	f = leases()
	f.FailGroup("InstancesIn", "asg-a", 0, &standby.Error{Kind: standby.Forbidden, Code: "Forbidden.Unauthorized", Message: "no"})
	swept, err = sweep(t, standby.Config{AllowedGroups: []string{"asg-a", "asg-b"}}, f, standby.Request{})
	if standby.AsError(err).Code != "Forbidden.Unauthorized" || !cmp.Equal(sweptResults(swept), map[string]string{"i-b-ended": "LeaseEnded"}) {
		t.Errorf("one group unreadable: %v, %v; want the failure, the other group swept", sweptResults(swept), err)
	}
}
