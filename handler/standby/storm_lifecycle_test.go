package standby_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
)

// clock is a test's clock, moved by hand.
type clock struct{ at atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.at.Store(t.UnixNano())
	return c
}
func (c *clock) now() time.Time          { return time.Unix(0, c.at.Load()).UTC() }
func (c *clock) advance(d time.Duration) { c.at.Add(int64(d)) }

// fleetOf is asg-a with n instances in state, i-000 onwards.
func fleetOf(n int, state string) map[string]map[string]string {
	g := map[string]string{}
	for i := range n {
		g[fmt.Sprintf("i-%03d", i)] = state
	}
	return map[string]map[string]string{"asg-a": g}
}

func answerOf(t *testing.T, r standby.Result, id string) standby.InstanceResult {
	t.Helper()
	for _, l := range r.Instances {
		if l.InstanceID == id {
			return l
		}
	}
	t.Fatalf("no line for %s in %+v", id, r.Instances)
	return standby.InstanceResult{}
}

// Case 1: ECS answering one tag call after long holds up no other alarm of
// the group: the group's plan never waits for ECS, and the alarm whose
// tags are slow is answered within its wait, its tags reported pending.
func TestASlowTagHoldsUpNoOtherAlarm(t *testing.T) {
	f := standbytest.NewFake("cn-hangzhou", fleetOf(4, "InService"))
	release, entered := make(chan struct{}), make(chan struct{})
	f.Before("TagInstances", func() { close(entered); <-release })
	svc := standby.New(standby.Config{Now: func() time.Time { return parkedAt }, TagWait: time.Hour}, f.Cloud()).WithoutBackoff()

	first := make(chan standby.Result)
	go func() {
		answers, _ := svc.Run(context.Background(), inv, alarmRequest("i-000"))
		first <- answers[0]
	}()
	<-entered // i-000 is parked, and its tag call hangs

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	answers, _ := svc.Run(ctx, inv, alarmRequest("i-001"))
	if l := answerOf(t, answers[0], "i-001"); l.Result != "EnteredStandby" || l.TagCode != "" || ctx.Err() != nil {
		t.Errorf("the second alarm, while the first's tags hang: %+v (context %v)", l, ctx.Err())
	}
	close(release)
	if l := answerOf(t, <-first, "i-000"); l.Result != "EnteredStandby" || l.TagCode != "" {
		t.Errorf("the first alarm, once ECS answered: %+v", l)
	}
}

// Case 1: an answer waits for its tags no longer than its wait, whatever
// ECS does; the write ECS has not confirmed is reported, and a retry may
// finish it.
func TestAnAnswerWaitsForItsTagsNoLongerThanItsWait(t *testing.T) {
	f := standbytest.NewFake("cn-hangzhou", fleetOf(2, "InService"))
	release := make(chan struct{})
	defer close(release)
	f.Before("TagInstances", func() { <-release })
	svc := standby.New(standby.Config{Now: func() time.Time { return parkedAt }, TagWait: 10 * time.Millisecond}, f.Cloud()).WithoutBackoff()
	answers, _ := svc.Run(context.Background(), inv, alarmRequest("i-000"))
	l := answerOf(t, answers[0], "i-000")
	if l.Result != "EnteredStandby" || l.TagCode != "Timeout" || !l.Left() || f.State("i-000") != "Standby" {
		t.Errorf("tags that ECS has not answered: %+v, %s; want EnteredStandby, TagCode Timeout, left to a retry", l, f.State("i-000"))
	}
}

// Case 2: a storm's instances parked for one rule share their tag calls,
// 50 instances a call.
func TestAStormsTagsShareTheirCalls(t *testing.T) {
	f := standbytest.NewFake("cn-hangzhou", fleetOf(200, "InService"))
	var reqs []standby.Request
	for i := range 120 {
		req := enter(fmt.Sprintf("cms:trans-%d", i), fmt.Sprintf("i-%03d", i))
		req.Reason = standby.Reason{Source: "cms-alarm-callback", Rule: "cpu-high", Event: fmt.Sprintf("cms:trans-%d", i)}
		reqs = append(reqs, req)
	}
	answers, _ := tagged(standby.Config{MaxInstances: 1000}, f).Run(context.Background(), inv, reqs...)
	for _, a := range answers {
		if l := a.Instances[0]; l.Result != "EnteredStandby" || l.TagCode != "" {
			t.Fatalf("%+v", l)
		}
	}
	calls := f.Calls("TagInstances")
	if len(calls) != 3 {
		t.Errorf("%d TagInstances calls for 120 instances of one rule; want ⌈120/50⌉ = 3", len(calls))
	}
	for _, c := range calls {
		if len(c.IDs) > standby.TagBatch {
			t.Errorf("a tag call names %d instances", len(c.IDs))
		}
	}
	if tags := f.Tags("i-119"); tags[standby.TagRule] != "cpu-high" || tags[standby.TagUntil] == "" {
		t.Errorf("i-119's tags %v", tags)
	}
}

// Case 3: tags ECS never confirms are never forgotten: each delivery's
// answer leaves them to a retry, and the sweep tells the instances parked
// by this function, untagged, from those someone else parked, judges
// their lease from what the tags should say, and writes them once ECS
// takes them.
func TestOwedTagsAreNeverForgotten(t *testing.T) {
	f := standbytest.NewFake("cn-hangzhou", fleetOf(20, "InService"))
	f.SetTags("i-019", nil)
	f.Move("i-019", "Standby") // someone else's
	throttled := &standby.Error{Kind: standby.Throttled, Code: "Throttling", Message: "throttled"}
	f.Fail("TagInstances", 0, throttled)
	c := newClock(parkedAt)
	svc := standby.New(standby.Config{Now: c.now, Lease: time.Hour, TagWait: time.Second}, f.Cloud()).WithoutBackoff()
	for range 4 { // each delivered 4 times
		for i := range 19 {
			answers, _ := svc.Run(context.Background(), inv, alarmRequest(fmt.Sprintf("i-%03d", i)))
			if l := answers[0].Instances[0]; !l.Left() || l.TagCode != "Throttling" && l.TagCode != "Timeout" { // Timeout: still retrying when the wait ended
				t.Fatalf("a delivery whose tags ECS throttles: %+v; want left to a retry", l)
			}
		}
	}
	sweep := func() map[string]standby.SweepLine {
		swept, _, _ := svc.Sweep(context.Background(), inv, standby.Request{Action: standby.Sweep, ScalingGroupID: "asg-a"})
		out := map[string]standby.SweepLine{}
		for _, l := range swept.Instances {
			out[l.InstanceID] = l
		}
		return out
	}
	lines := sweep()
	if l := lines["i-000"]; l.Result != standby.Untagged || l.Until != parkedAt.Add(time.Hour).Format(time.RFC3339) {
		t.Errorf("i-000, parked untagged: %+v; want Untagged, until the lease the tags should say", l)
	}
	if l := lines["i-019"]; l.Result != standby.NotParked {
		t.Errorf("i-019, someone else's: %+v", l)
	}
	c.advance(2 * time.Hour)
	if l := sweep()["i-000"]; l.Result != standby.Untagged || l.Reason == "" {
		t.Errorf("i-000 past its lease: %+v", l)
	}
	f.Heal()
	sweep() // writes them again
	if tags := f.Tags("i-000"); tags[standby.TagRule] != "cpu-high" {
		t.Errorf("after ECS healed, the sweep wrote %v", tags)
	}
	if l := sweep()["i-000"]; l.Result != standby.LeaseEnded {
		t.Errorf("i-000, its tags written, its lease over: %+v", l)
	}
}

// Case 4: a sweep takes back every ended lease of a wave, in calls of 20,
// whatever MAX_INSTANCES says (it bounds requests, not the sweep).
func TestASweepFinishesAWave(t *testing.T) {
	f := standbytest.NewFake("cn-hangzhou", fleetOf(1000, "InService"))
	for i := range 300 {
		id := fmt.Sprintf("i-%03d", i)
		f.Move(id, "Standby")
		f.SetTags(id, standby.Tags{standby.TagRule: "r", standby.TagSince: parkedAt.Add(-48 * time.Hour).Format(time.RFC3339),
			standby.TagUntil: parkedAt.Add(-24 * time.Hour).Format(time.RFC3339)})
	}
	svc := tagged(standby.Config{MaxInstances: 20, LeaseEnd: standby.LeaseExit, MinInService: standby.Share{Percent: 50}, MaxStandby: standby.Share{Percent: 25}}, f)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	swept, _, err := svc.Sweep(ctx, inv, standby.Request{Action: standby.Sweep, ScalingGroupID: "asg-a"})
	returned := 0
	for _, l := range swept.Instances {
		if l.Result == standby.Returned {
			returned++
		}
	}
	if err != nil || returned != 300 || swept.Left != 0 {
		t.Errorf("returned %d of 300, %d left, %v", returned, swept.Left, err)
	}
	for _, c := range f.Calls("Standby") {
		if len(c.IDs) > 20 {
			t.Errorf("an ExitStandby call of %d instances", len(c.IDs))
		}
	}
}

// Case 4: a sweep out of time leaves the rest for the next, and counts
// them.
func TestASweepOutOfTimeLeavesTheRest(t *testing.T) {
	f := standbytest.NewFake("cn-hangzhou", fleetOf(10, "Standby"))
	for i := range 10 {
		f.SetTags(fmt.Sprintf("i-%03d", i), standby.Tags{standby.TagSince: parkedAt.Add(-48 * time.Hour).Format(time.RFC3339), standby.TagUntil: parkedAt.Add(-24 * time.Hour).Format(time.RFC3339)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second) // under the sweep's reserve
	defer cancel()
	swept, _, _ := tagged(standby.Config{LeaseEnd: standby.LeaseExit}, f).Sweep(ctx, inv, standby.Request{Action: standby.Sweep, ScalingGroupID: "asg-a"})
	if swept.Left != 10 || len(f.Calls("Standby")) != 0 {
		t.Errorf("left %d, %d calls; want all 10 left for the next sweep, no call", swept.Left, len(f.Calls("Standby")))
	}
}

// Case 5: a sweep never takes back an instance a live request parked after
// the tags it read. An operator took i-000 back (its old, ended tags stay);
// an alarm parks it again, and its new tags are still being written when
// the sweep reads the old ones: the sweep leaves it parked.
func TestASweepNeverUndoesALiveAlarm(t *testing.T) {
	ended := standby.Tags{standby.TagRule: "cpu-high", standby.TagSince: parkedAt.Add(-48 * time.Hour).Format(time.RFC3339),
		standby.TagUntil: parkedAt.Add(-24 * time.Hour).Format(time.RFC3339)}
	f := standbytest.NewFake("cn-hangzhou", fleetOf(4, "InService"))
	f.SetTags("i-000", ended)
	release := make(chan struct{})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	f.Before("TagInstances", func() { <-release })
	svc := standby.New(standby.Config{Now: func() time.Time { return parkedAt }, Lease: 6 * time.Hour, LeaseEnd: standby.LeaseExit, TagWait: 10 * time.Millisecond}, f.Cloud()).WithoutBackoff()
	answers, _ := svc.Run(context.Background(), inv, alarmRequest("i-000"))
	if l := answers[0].Instances[0]; l.Result != "EnteredStandby" {
		t.Fatalf("the alarm: %+v", l)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	swept, _, _ := svc.Sweep(ctx, inv, standby.Request{Action: standby.Sweep, ScalingGroupID: "asg-a"})
	if r := sweptResults(swept)["i-000"]; r == standby.Returned || f.State("i-000") != "Standby" {
		t.Errorf("the sweep answered %s for i-000, now %s; want it left parked", r, f.State("i-000"))
	}
	close(release)
}

// Case 5 and 8: an alarm of its rule that asks for an instance while the
// sweep reads its ended lease keeps it parked.
func TestASweepLeavesAnInstanceAskedForMeanwhile(t *testing.T) {
	f := standbytest.NewFake("cn-hangzhou", fleetOf(4, "InService"))
	f.Move("i-000", "Standby")
	f.SetTags("i-000", standby.Tags{standby.TagRule: "cpu-high", standby.TagSince: parkedAt.Add(-48 * time.Hour).Format(time.RFC3339),
		standby.TagUntil: parkedAt.Add(-24 * time.Hour).Format(time.RFC3339)})
	svc := tagged(standby.Config{LeaseEnd: standby.LeaseExit}, f)
	f.Before("InstanceTags", func() {
		svc.Run(context.Background(), inv, alarmRequest("i-000")) // the alarm fires again
	})
	swept, _, _ := svc.Sweep(context.Background(), inv, standby.Request{Action: standby.Sweep, ScalingGroupID: "asg-a"})
	if r := sweptResults(swept)["i-000"]; r == standby.Returned || f.State("i-000") != "Standby" {
		t.Errorf("the sweep answered %s for i-000, now %s; want it left parked", r, f.State("i-000"))
	}
}

// Case 6: a lease its tags cannot have been given is reported, and
// trusted neither way.
func TestLeasesThatCannotBeTrue(t *testing.T) {
	day := 24 * time.Hour
	at := func(d time.Duration) string { return parkedAt.Add(d).Format(time.RFC3339) }
	for name, tags := range map[string]standby.Tags{
		"until far past the longest lease": {standby.TagSince: at(-day), standby.TagUntil: "9999-12-31T23:59:59Z"},
		"until before since":               {standby.TagSince: at(-day), standby.TagUntil: at(-2 * day)},
		"until no time":                    {standby.TagSince: at(-day), standby.TagUntil: "tomorrow"},
		"since no time":                    {standby.TagSince: "yesterday", standby.TagUntil: at(time.Hour)},
		"no since":                         {standby.TagRule: "r", standby.TagUntil: at(-time.Hour)},
	} {
		f := standbytest.NewFake("cn-hangzhou", fleetOf(3, "Standby"))
		f.SetTags("i-000", tags)
		swept, _, _ := tagged(standby.Config{LeaseEnd: standby.LeaseExit}, f).Sweep(context.Background(), inv, standby.Request{Action: standby.Sweep, ScalingGroupID: "asg-a"})
		for _, l := range swept.Instances {
			if l.InstanceID == "i-000" && (l.Result != standby.LeaseInvalid || l.Reason == "") {
				t.Errorf("%s: %+v; want LeaseInvalid, with why", name, l)
			}
		}
		if f.State("i-000") != "Standby" {
			t.Errorf("%s: taken back", name)
		}
	}
	f := standbytest.NewFake("cn-hangzhou", fleetOf(3, "Standby"))
	f.SetTags("i-000", standby.Tags{standby.TagSince: at(-standby.MaxLease), standby.TagUntil: at(0)})
	swept, _, _ := tagged(standby.Config{}, f).Sweep(context.Background(), inv, standby.Request{Action: standby.Sweep, ScalingGroupID: "asg-a"})
	if r := sweptResults(swept)["i-000"]; r != standby.LeaseEnded {
		t.Errorf("a lease of exactly MaxLease, ended: %s", r)
	}
}

// Case 8: an alarm still firing for an instance its rule parked renews the
// lease, and the sweep leaves it; another rule's alarm renews nothing.
func TestAFiringAlarmRenewsItsLease(t *testing.T) {
	f := standbytest.NewFake("cn-hangzhou", fleetOf(4, "InService"))
	c := newClock(parkedAt)
	svc := standby.New(standby.Config{Now: c.now, Lease: time.Hour, LeaseEnd: standby.LeaseExit}, f.Cloud()).WithoutBackoff()
	other := enter("cms:trans-9", "i-001")
	other.Reason = standby.Reason{Source: "cms-alarm-callback", Rule: "disk-full"}
	for _, req := range []standby.Request{alarmRequest("i-000"), other} {
		svc.Run(context.Background(), inv, req)
	}
	c.advance(50 * time.Minute)
	again := alarmRequest("i-000", "i-001") // cpu-high fires again for both
	again.Identity = "cms:trans-2"
	svc.Run(context.Background(), inv, again)
	waitFor(t, func() bool {
		return f.Tags("i-000")[standby.TagUntil] == c.now().Add(time.Hour).Truncate(time.Second).Format(time.RFC3339)
	})
	if got := f.Tags("i-001")[standby.TagUntil]; got != parkedAt.Add(time.Hour).Format(time.RFC3339) {
		t.Errorf("disk-full's instance renewed by cpu-high: until %s", got)
	}
	c.advance(30 * time.Minute) // i-001's lease is over, i-000's renewed one runs
	swept, _, _ := svc.Sweep(context.Background(), inv, standby.Request{Action: standby.Sweep, ScalingGroupID: "asg-a"})
	if r := sweptResults(swept); r["i-000"] != standby.Leased || r["i-001"] != standby.Returned {
		t.Errorf("sweep %v; want i-000 Leased (renewed), i-001 Returned", r)
	}
}

// waitFor waits for what a background write makes true, as a person
// refreshing would: the write has no one to answer.
func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("not so after 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}
