package standby_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
)

var parkedAt = time.Date(2026, 11, 27, 4, 30, 15, 0, time.UTC)

// tagged is a service whose clock stands at parkedAt, with a lease of 6 h.
func tagged(cfg standby.Config, f *standbytest.Fake) *standby.Service {
	cfg.Now, cfg.Lease = func() time.Time { return parkedAt }, 6*time.Hour
	return standby.New(cfg, f.Cloud()).WithoutBackoff()
}

func alarmRequest(ids ...string) standby.Request {
	req := enter("cms:trans-1", ids...)
	req.Reason = standby.Reason{Source: "cms-alarm-callback", Rule: "cpu-high", Event: "cms:trans-1"}
	return req
}

var alarmTags = standby.Tags{
	"ess-standby:source": "cms-alarm-callback", "ess-standby:rule": "cpu-high",
	"ess-standby:since": "2026-11-27T04:30:15Z", "ess-standby:until": "2026-11-27T10:30:15Z",
}

// An instance parked says why on itself: what asked, for which event,
// since when and until when; the function's ExitStandby removes exactly
// those tags, and leaves the others.
func TestParkingTagsTheInstance(t *testing.T) {
	f := fleet(nil)
	f.SetTags("i-a1", standby.Tags{"team": "web"})
	svc := tagged(standby.Config{}, f)
	answers, _ := svc.Run(context.Background(), inv, alarmRequest("i-a1", "i-a2"))
	if line := answers[0].Instances[0]; line.Result != "EnteredStandby" || line.TagCode != "" || line.Left() {
		t.Fatalf("line %+v", line)
	}
	want := standby.Tags{"team": "web"}
	for k, v := range alarmTags {
		want[k] = v
	}
	if diff := cmp.Diff(want, f.Tags("i-a1")); diff != "" {
		t.Errorf("i-a1's tags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(alarmTags, f.Tags("i-a2")); diff != "" {
		t.Errorf("i-a2's tags (-want +got):\n%s", diff)
	}
	if calls := f.Calls("TagInstances"); len(calls) != 1 || strings.Join(calls[0].IDs, ",") != "i-a1,i-a2" {
		t.Errorf("tag calls %+v, want one for both", calls)
	}

	answers, _ = svc.Run(context.Background(), inv, standby.Request{Action: standby.ExitStandby, InstanceIDs: []string{"i-a1"}, Identity: "exit"})
	if line := answers[0].Instances[0]; line.Result != "ExitedStandby" || line.TagCode != "" {
		t.Fatalf("exit line %+v", line)
	}
	if diff := cmp.Diff(standby.Tags{"team": "web"}, f.Tags("i-a1")); diff != "" {
		t.Errorf("after ExitStandby, i-a1's tags (-want +got):\n%s", diff)
	}
}

// A dry run tags nothing, and neither does an instance found already in
// Standby that this event did not park.
func TestNothingParkedNothingTagged(t *testing.T) {
	f := fleet(nil)
	tagged(standby.Config{DryRun: true}, f).Run(context.Background(), inv, alarmRequest("i-a1"))
	f.Move("i-b1", "Standby") // an operator parked it
	answers, _ := tagged(standby.Config{}, f).Run(context.Background(), inv, alarmRequest("i-b1"))
	if line := answers[0].Instances[0]; line.Result != "Skipped" {
		t.Errorf("line %+v, want skipped", line)
	}
	if calls := f.Calls("TagInstances"); len(calls) != 0 || len(f.Tags("i-a1")) != 0 || len(f.Tags("i-b1")) != 0 {
		t.Errorf("tag calls %+v", calls)
	}
}

// A tag call that fails never blocks or undoes the Standby. A failure a
// retry may mend leaves the instance to the invocation's retry, which
// replays its call (no second activity) and writes the tags; one that
// cannot be mended is reported, and the invocation is not failed for it.
func TestATagFailureNeverUndoesTheStandby(t *testing.T) {
	f := fleet(nil)
	f.Fail("TagInstances", 0, &standby.Error{Kind: standby.Throttled, Code: "Throttling", Message: "too many requests"})
	svc := tagged(standby.Config{}, f)
	answers, _ := svc.Run(context.Background(), inv, alarmRequest("i-a1"))
	line := answers[0].Instances[0]
	if line.Result != "EnteredStandby" || line.TagCode != "Throttling" || !line.Left() || line.Untagged() || f.State("i-a1") != "Standby" {
		t.Fatalf("line %+v (i-a1 %s); want in Standby, its tags left to the retry", line, f.State("i-a1"))
	}
	if !strings.Contains(line.Err.Message, "EnteredStandby, but its tags (ess-standby:*) were not written") {
		t.Errorf("the line's failure says %q", line.Err.Message)
	}
	f.Heal()
	answers, _ = standby.New(standby.Config{Now: func() time.Time { return parkedAt }, Lease: 6 * time.Hour}, f.Cloud()).WithoutBackoff().Run(context.Background(), inv, alarmRequest("i-a1"))
	if line := answers[0].Instances[0]; line.Result != "EnteredStandby" || line.Left() || len(f.Calls("Standby")) != 2 || len(answersActivities(answers)) != 1 {
		t.Errorf("the retry answered %+v after %d Standby calls", line, len(f.Calls("Standby")))
	}
	if diff := cmp.Diff(alarmTags, f.Tags("i-a1")); diff != "" {
		t.Errorf("after the retry, tags (-want +got):\n%s", diff)
	}

	f = fleet(nil)
	f.Fail("TagInstances", 0, &standby.Error{Kind: standby.Forbidden, Code: "NoPermission.Tag", Message: "not allowed"})
	answers, _ = tagged(standby.Config{}, f).Run(context.Background(), inv, alarmRequest("i-a1"))
	if line := answers[0].Instances[0]; line.Result != "EnteredStandby" || line.TagCode != "NoPermission.Tag" || line.Left() || !line.Untagged() {
		t.Errorf("line %+v; want in Standby, untagged for good", line)
	}
}

func answersActivities(answers []standby.Result) []string {
	var ids []string
	for _, a := range answers {
		for _, act := range a.Activities {
			ids = append(ids, act.ScalingActivityID)
		}
	}
	return ids
}

// Requests merged into one plan share its calls; each instance is tagged
// for the first request naming it, and one tag call is made per set of
// tags.
func TestMergedRequestsTagForTheirOwn(t *testing.T) {
	f := fleet(nil)
	svc := tagged(standby.Config{}, f).MergeWhen(2)
	other := enter("ecs:e-1", "i-a2")
	other.Reason = standby.Reason{Source: "eventbridge:ecs:Instance:PreemptibleInstanceInterruption", Rule: "ecs:Instance:PreemptibleInstanceInterruption", Event: "ecs:e-1"}
	svc.Run(context.Background(), inv, alarmRequest("i-a1"), other)
	if f.Tags("i-a1")["ess-standby:rule"] != "cpu-high" || f.Tags("i-a2")["ess-standby:rule"] != "ecs:Instance:PreemptibleInstanceInterruption" {
		t.Errorf("tags i-a1 %v, i-a2 %v", f.Tags("i-a1"), f.Tags("i-a2"))
	}
	if standbyCalls, tagCalls := len(f.Calls("Standby")), len(f.Calls("TagInstances")); standbyCalls != 1 || tagCalls != 2 {
		t.Errorf("%d Standby calls, %d tag calls; want 1 and 2", standbyCalls, tagCalls)
	}
}

// What an event says becomes a value ECS takes: no control characters,
// no http://, nothing ECS reserves at the start, at most 128 characters.
func TestTagValuesAreWhatECSTakes(t *testing.T) {
	for in, want := range map[string]string{
		"cpu-high":                  "cpu-high",
		"aliyun-rule":               "_aliyun-rule",
		"acs:ecs":                   "_acs:ecs",
		"see https://example.com/x": "see https:example.com/x",
		"line\nbreak\x7f":           "linebreak",
		strings.Repeat("é", 200):    strings.Repeat("é", 128),
	} {
		f := fleet(nil)
		req := alarmRequest("i-a1")
		req.Reason.Rule = in
		tagged(standby.Config{}, f).Run(context.Background(), inv, req)
		if got := f.Tags("i-a1")["ess-standby:rule"]; got != want {
			t.Errorf("rule %q tagged %q, want %q", in, got, want)
		}
	}
}

// A duplicate of a request (a re-delivery, or the same alarm again) is
// answered from what this process moved, and its tags are not written
// again; the way back removes them once.
func TestDuplicatesTagOnce(t *testing.T) {
	f := fleet(nil)
	svc := tagged(standby.Config{}, f)
	for range 3 {
		svc.Run(context.Background(), inv, alarmRequest("i-a1"))
	}
	if n := len(f.Calls("TagInstances")); n != 1 || f.Tags("i-a1")["ess-standby:rule"] != "cpu-high" {
		t.Errorf("%d tag calls for three deliveries, tags %v; want 1", n, f.Tags("i-a1"))
	}
	exit := standby.Request{Action: standby.ExitStandby, InstanceIDs: []string{"i-a1"}, Identity: "exit"}
	svc.Run(context.Background(), inv, exit)
	svc.Run(context.Background(), inv, exit)
	if n := len(f.Calls("UntagInstances")); n != 1 || len(f.Tags("i-a1")) != 0 {
		t.Errorf("%d untag calls for two deliveries, tags %v; want 1, none left", n, f.Tags("i-a1"))
	}
}
