package standby

import (
	"sync"
	"time"
)

// recent remembers, for a while, the activity that moved each instance this
// process moved. A duplicate of a request (a re-delivery, or the same alarm
// from another invocation) is answered with it, without calling Auto
// Scaling again. And until a read shows an instance it put into Standby out
// of InService, MIN_IN_SERVICE counts it gone: whether Auto Scaling's
// answer to EnterStandby comes before the instance leaves InService, and so
// before the counts show it, is undocumented. It holds at most recentSize
// instances: the oldest are forgotten first.
type recent struct {
	mu    sync.Mutex
	by    map[string]movedBy // guarded by mu
	ring  [recentSize]string // guarded by mu: instance IDs, oldest overwritten first
	next  int                // guarded by mu
	clock func() time.Time   // immutable
	// asked is when a request last asked to put each instance into
	// Standby, whatever came of it (guarded by mu): an alarm still firing
	// for an instance keeps a sweep from taking it back.
	asked map[string]time.Time
}

type movedBy struct {
	action   Action
	activity Activity
	at       time.Time
	seen     bool // a read has shown it where the action leads
	tagged   bool // its tags are written (or, taken back, removed)
	// unanswered: the call went unanswered; activity names only its group.
	unanswered bool
	slot       int
}

const (
	recentSize = 4096
	recentAge  = time.Hour // as long as MAX_EVENT_AGE's default: older duplicates are ignored anyway
	// unseenAge is how long an instance put into Standby counts as gone
	// before a read shows it: an activity that never moves it (Failed,
	// Rejected) must not hold the group's room for good.
	unseenAge = 5 * time.Minute
)

func newRecent(clock func() time.Time) *recent {
	return &recent{by: map[string]movedBy{}, asked: map[string]time.Time{}, clock: clock}
}

// ask notes that a request asked to put an instance into Standby now.
func (r *recent) ask(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clock()
	if len(r.asked) >= recentSize {
		for old, at := range r.asked {
			if now.Sub(at) > recentAge {
				delete(r.asked, old)
			}
		}
	}
	if len(r.asked) < 2*recentSize {
		r.asked[id] = now
	}
}

// askedSince says whether a request asked to put an instance into Standby,
// or this process put it there, at or after t.
func (r *recent) askedSince(id string, t time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, moved := r.by[id]
	return !r.asked[id].Before(t) || moved && m.action == EnterStandby && !m.at.Before(t)
}

// put notes that activity a took an instance where action leads; seen: a
// read has shown it there already.
func (r *recent) put(id string, action Action, a Activity, seen bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.insert(id, movedBy{action: action, activity: a, at: r.clock(), seen: seen})
}

// insert records m for id in the next slot, forgetting the oldest. r.mu is
// held.
func (r *recent) insert(id string, m movedBy) {
	if old := r.ring[r.next]; old != "" && r.by[old].slot == r.next {
		delete(r.by, old)
	}
	r.ring[r.next] = id
	m.slot = r.next
	r.by[id] = m
	r.next = (r.next + 1) % recentSize
}

// markTagged notes that an instance's tags are as the action leaves them.
func (r *recent) markTagged(id string, action Action) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.by[id]; ok && m.action == action {
		m.tagged = true
		r.by[id] = m
	}
}

// isTagged says whether this process wrote (or removed) an instance's tags
// for the action that last moved it.
func (r *recent) isTagged(id string, action Action) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.by[id]
	return ok && m.action == action && m.tagged && r.clock().Sub(m.at) <= recentAge
}

// forget drops what it knew of an instance: it was taken back.
func (r *recent) forget(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.by, id)
}

// get returns the activity that last took the instance where action leads.
func (r *recent) get(id string, action Action) (Activity, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.by[id]
	if !ok || m.action != action || m.unanswered || r.clock().Sub(m.at) > recentAge {
		return Activity{}, false
	}
	return m.activity, true
}

// maybeEntering notes that a call to put an instance into Standby went
// unanswered (timed out, failed on its way back): it may be on its way,
// with an activity no one knows. Until a read shows it, or unseenAge
// passes, the guards count it unsure; nothing answers a duplicate with it.
func (r *recent) maybeEntering(id, group string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.by[id]; ok {
		return // what is known of it stays
	}
	r.insert(id, movedBy{action: EnterStandby, activity: Activity{ScalingGroupID: group}, at: r.clock(), unanswered: true})
}

// entering returns what is known of an instance this process asked into
// Standby: its activity, whose ID is empty when the call went unanswered.
func (r *recent) entering(id string) (Activity, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.by[id]
	if !ok || m.action != EnterStandby || r.clock().Sub(m.at) > unseenAge {
		return Activity{}, false
	}
	return m.activity, true
}

// saw notes what a read showed of instances: one put into Standby that has
// left InService no longer needs counting gone.
func (r *recent) saw(found map[string]ScalingInstance) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, in := range found {
		if m, ok := r.by[id]; ok && m.action == EnterStandby && in.LifecycleState != "InService" {
			m.seen = true
			r.by[id] = m
		}
	}
}

// unseen lists the instances of group this process put into Standby
// lately that no read has shown out of InService yet.
func (r *recent) unseen(group string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for id, m := range r.by {
		if m.action == EnterStandby && !m.seen && m.activity.ScalingGroupID == group && r.clock().Sub(m.at) <= unseenAge {
			ids = append(ids, id)
		}
	}
	return ids
}
