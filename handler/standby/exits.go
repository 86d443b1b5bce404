package standby

import (
	"slices"
	"sync"
	"time"
)

// exits remembers, per group, the instances this process asked out of
// Standby (a sweep's exits, an OK's, a request's) until a read shows them
// InService. Until then the counts may still show them in Standby: Auto
// Scaling answers ExitStandby before its activity has run, and a call
// whose answer was lost may have reached it. A guard that refuses while
// such an exit is under way refuses on counts that may be about to
// change, so its refusal is Unsettled (left to a retry), not final. The
// plan's own exits are counted by the plan (moves.exited); these are
// any plan's, so a refusal beside a sweep's exits of a moment ago is not
// answered as final.
//
// An exit is forgotten once a guard's read shows it InService (it is then
// in the counts read after), or shows it gone from the group, when Auto
// Scaling refuses the call for good (it moved nothing), and after
// unseenAge: an activity that never runs must not hold refusals open for
// good. Its zero value is ready to use.
type exits struct {
	mu sync.Mutex
	by map[string]map[string]time.Time // group → instance → when its exit was asked
}

// asked notes, as its call is made, an ExitStandby of instances of group.
func (e *exits) asked(group string, ids []string, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.by == nil {
		e.by = map[string]map[string]time.Time{}
	}
	e.expire(group, now)
	if e.by[group] == nil {
		e.by[group] = map[string]time.Time{}
	}
	for _, id := range ids {
		e.by[group][id] = now
	}
}

// drop forgets exits of group: refused for good, or seen done.
func (e *exits) drop(group string, ids []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, id := range ids {
		delete(e.by[group], id)
	}
	if len(e.by[group]) == 0 {
		delete(e.by, group)
	}
}

// pending lists, sorted, the instances of group whose exits no read has
// shown done, asked within unseenAge of now.
func (e *exits) pending(group string, now time.Time) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.expire(group, now)
	ids := make([]string, 0, len(e.by[group]))
	for id := range e.by[group] {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// expire forgets group's exits asked more than unseenAge before now. e.mu
// is held.
func (e *exits) expire(group string, now time.Time) {
	for id, at := range e.by[group] {
		if now.Sub(at) > unseenAge {
			delete(e.by[group], id)
		}
	}
	if len(e.by[group]) == 0 {
		delete(e.by, group)
	}
}

// exitCalled notes a Standby call about to be made: an exit is under way
// from now on, as far as the guards know (exits).
func (g *groupPlan) exitCalled(c Call) {
	if c.Action == ExitStandby {
		g.s.exits.asked(c.ScalingGroupID, c.InstanceIDs, g.s.now())
	}
}

// exitAnswered notes what became of a Standby call: an exit Auto Scaling
// refused for good moved nothing. One answered, or unanswered (it may
// have reached Auto Scaling), stays under way until a read shows it.
func (g *groupPlan) exitAnswered(c Call, err error) {
	if c.Action == ExitStandby && err != nil && !Retryable(err) {
		g.s.exits.drop(c.ScalingGroupID, c.InstanceIDs)
	}
}
