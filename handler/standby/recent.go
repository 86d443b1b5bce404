package standby

import (
	"sync"
	"time"
)

// recent remembers, for a while, the activity that moved each instance this
// process moved, so that a duplicate of a request (a re-delivery, or the
// same alarm from another invocation) is answered with it, without calling
// Auto Scaling again. It holds at most recentSize instances: the oldest
// are forgotten first.
type recent struct {
	mu    sync.Mutex
	by    map[string]movedBy
	ring  [recentSize]string // instance IDs, oldest overwritten first
	next  int
	clock func() time.Time
}

type movedBy struct {
	action   Action
	activity Activity
	at       time.Time
	slot     int
}

const (
	recentSize = 4096
	recentAge  = time.Hour // as long as MAX_EVENT_AGE's default: older duplicates are ignored anyway
)

func newRecent() *recent { return &recent{by: map[string]movedBy{}, clock: time.Now} }

func (r *recent) put(id string, action Action, a Activity) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old := r.ring[r.next]; old != "" && r.by[old].slot == r.next {
		delete(r.by, old)
	}
	r.ring[r.next] = id
	r.by[id] = movedBy{action: action, activity: a, at: r.clock(), slot: r.next}
	r.next = (r.next + 1) % recentSize
}

// get returns the activity that last took the instance where action leads.
func (r *recent) get(id string, action Action) (Activity, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.by[id]
	if !ok || m.action != action || r.clock().Sub(m.at) > recentAge {
		return Activity{}, false
	}
	return m.activity, true
}
