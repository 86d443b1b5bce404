package standby

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// clockAt is a clock the test moves by hand.
type clockAt struct{ now time.Time }

func (c *clockAt) read() time.Time { return c.now }

func newTestRecent() (*recent, *clockAt) {
	c := &clockAt{now: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	return newRecent(c.read), c
}

// A duplicate is answered with the activity for recentAge, and only for the
// action that moved the instance.
func TestRecentAnswersDuplicatesForRecentAge(t *testing.T) {
	r, c := newTestRecent()
	act := Activity{ScalingActivityID: "asa-1", ScalingGroupID: "asg-a"}
	r.put("i-1", EnterStandby, act, false)
	if got, ok := r.get("i-1", EnterStandby); !ok || got.ScalingActivityID != act.ScalingActivityID {
		t.Errorf("get = %+v, %v; want %+v", got, ok, act)
	}
	if _, ok := r.get("i-1", ExitStandby); ok {
		t.Error("an ExitStandby duplicate answered with EnterStandby's activity")
	}
	c.now = c.now.Add(recentAge)
	if _, ok := r.get("i-1", EnterStandby); !ok {
		t.Error("forgotten at recentAge; want remembered until it has passed")
	}
	c.now = c.now.Add(time.Nanosecond)
	if _, ok := r.get("i-1", EnterStandby); ok {
		t.Error("remembered after recentAge")
	}
}

// An instance put into Standby counts gone, until a read shows it out of
// InService or unseenAge passes.
func TestRecentUnseenUntilSeenOrUnseenAge(t *testing.T) {
	r, c := newTestRecent()
	r.put("i-1", EnterStandby, Activity{ScalingActivityID: "asa-1", ScalingGroupID: "asg-a"}, false)
	r.put("i-2", EnterStandby, Activity{ScalingActivityID: "asa-2", ScalingGroupID: "asg-a"}, false)
	r.put("i-3", EnterStandby, Activity{ScalingActivityID: "asa-3", ScalingGroupID: "asg-b"}, false)
	r.put("i-4", ExitStandby, Activity{ScalingActivityID: "asa-4", ScalingGroupID: "asg-a"}, false)
	unseen := func() []string { ids := r.unseen("asg-a"); slices.Sort(ids); return ids }
	if got := unseen(); !slices.Equal(got, []string{"i-1", "i-2"}) {
		t.Errorf("unseen = %v; want i-1, i-2", got)
	}
	r.saw(map[string]ScalingInstance{"i-1": {InstanceID: "i-1", LifecycleState: "InService"}, "i-2": {InstanceID: "i-2", LifecycleState: "Standby"}})
	if got := unseen(); !slices.Equal(got, []string{"i-1"}) {
		t.Errorf("after a read: unseen = %v; want i-1 (still InService)", got)
	}
	c.now = c.now.Add(unseenAge)
	if got := unseen(); !slices.Equal(got, []string{"i-1"}) {
		t.Errorf("at unseenAge: unseen = %v; want i-1", got)
	}
	if _, ok := r.entering("i-1"); !ok {
		t.Error("at unseenAge: not entering")
	}
	c.now = c.now.Add(time.Nanosecond)
	if got := unseen(); len(got) != 0 {
		t.Errorf("after unseenAge: unseen = %v; want none", got)
	}
	if _, ok := r.entering("i-1"); ok {
		t.Error("after unseenAge: still entering")
	}
}

// An unanswered call counts the instance unsure, and answers no duplicate;
// it never overwrites what is known.
func TestRecentMaybeEntering(t *testing.T) {
	r, _ := newTestRecent()
	r.maybeEntering("i-1", "asg-a")
	if a, ok := r.entering("i-1"); !ok || a.ScalingActivityID != "" || a.ScalingGroupID != "asg-a" {
		t.Errorf("entering = %+v, %v; want asg-a with no activity", a, ok)
	}
	if _, ok := r.get("i-1", EnterStandby); ok {
		t.Error("an unanswered call answered a duplicate")
	}
	act := Activity{ScalingActivityID: "asa-2", ScalingGroupID: "asg-a"}
	r.put("i-2", EnterStandby, act, false)
	r.maybeEntering("i-2", "asg-a")
	if got, ok := r.get("i-2", EnterStandby); !ok || got.ScalingActivityID != act.ScalingActivityID {
		t.Errorf("get = %+v, %v after maybeEntering; want %+v kept", got, ok, act)
	}
}

// Tags are known written for the action that last moved the instance, for
// recentAge; forget drops everything.
func TestRecentTagged(t *testing.T) {
	r, c := newTestRecent()
	r.put("i-1", EnterStandby, Activity{ScalingActivityID: "asa-1"}, true)
	r.markTagged("i-1", ExitStandby)
	if r.isTagged("i-1", EnterStandby) || r.isTagged("i-1", ExitStandby) {
		t.Error("tagged by another action's write")
	}
	r.markTagged("i-1", EnterStandby)
	if !r.isTagged("i-1", EnterStandby) {
		t.Error("not tagged after markTagged")
	}
	c.now = c.now.Add(recentAge + time.Nanosecond)
	if r.isTagged("i-1", EnterStandby) {
		t.Error("tagged after recentAge")
	}
	r.forget("i-1")
	if _, ok := r.by["i-1"]; ok {
		t.Error("remembered after forget")
	}
}

// At most recentSize instances are held: the oldest is forgotten first,
// and an instance moved again keeps its newer record.
func TestRecentEvictsTheOldest(t *testing.T) {
	r, _ := newTestRecent()
	act := Activity{ScalingActivityID: "asa"}
	r.put("i-0", EnterStandby, act, false)
	r.put("i-1", EnterStandby, act, false)
	r.put("i-0", ExitStandby, act, false) // moved again: its first slot is stale
	for i := 3; i <= recentSize+1; i++ {  // slots 3 … recentSize-1, then 0 and 1 again
		r.put(fmt.Sprintf("i-%d", i), EnterStandby, act, false)
	}
	// The ring went round once: slot 0 (i-0's stale one) and slot 1 (i-1) were overwritten.
	if _, ok := r.get("i-0", ExitStandby); !ok {
		t.Error("i-0's newer record forgotten with its stale slot")
	}
	if _, ok := r.get("i-1", EnterStandby); ok {
		t.Error("i-1, the oldest, still held")
	}
	if len(r.by) > recentSize {
		t.Errorf("%d instances held; at most %d", len(r.by), recentSize)
	}
}

// askedSince sees a request's ask or this process's EnterStandby at or
// after t; a full ask map drops those older than recentAge.
func TestRecentAsked(t *testing.T) {
	r, c := newTestRecent()
	start := c.now
	r.ask("i-1")
	if !r.askedSince("i-1", start) || r.askedSince("i-1", start.Add(time.Nanosecond)) {
		t.Error("askedSince does not hold exactly from the ask on")
	}
	r.put("i-2", EnterStandby, Activity{ScalingActivityID: "asa-2"}, false)
	if !r.askedSince("i-2", start) {
		t.Error("an instance this process parked is not asked")
	}
	c.now = c.now.Add(recentAge + time.Nanosecond)
	for i := len(r.asked); i < recentSize; i++ {
		r.asked[fmt.Sprintf("i-fresh-%d", i)] = c.now
	}
	r.ask("i-new")
	if _, ok := r.asked["i-1"]; ok {
		t.Error("an ask older than recentAge kept in a full map")
	}
	if _, ok := r.asked["i-fresh-1"]; !ok {
		t.Error("a recent ask dropped")
	}
	if !r.askedSince("i-new", c.now) {
		t.Error("the new ask not noted")
	}
}
