// Package standbytest holds an in-memory Auto Scaling for the core's tests:
// a hand-written fake with groups, lifecycle states, activities and
// idempotent client tokens, which records every call and fails when told
// to.
package standbytest

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"ess-standby/handler/standby"
)

// Fake implements the core's ports (standby.Cloud) in memory. Every group is in one
// region, Region. Its methods are safe for concurrent use.
type Fake struct {
	Region string

	mu         sync.Mutex
	groups     []string
	groupOf    map[string]string // instance → group
	state      map[string]string // instance → lifecycle state
	tokens     map[string]token
	activities []activity
	pending    int // how many polls new activities stay InProgress
	failures   []failure
	before     []hook
	calls      []Call
	lag        bool                    // Standby calls move nothing until Settle
	unsettled  map[string]string       // instance → the state a lagging call moves it to
	tags       map[string]standby.Tags // instance → its tags, ECS's or (eci-) ECI's
	status     map[string]string       // instance → ECS status, when not Running
	vpc        map[string]string       // group → its VPC; none: the classic network
	address    map[string]string       // instance → its private IP
}

// Call is one call the fake received.
type Call struct {
	Method  string // the method called: ScalingInstances, Standby, GroupVPCs, ...
	Session standby.Session
	GroupID string   // the group the call names, if any
	IDs     []string // the instances (or activities, groups, addresses) it names
	VpcID   string   // the VPC an InstancesByPrivateIP call looks in
	Standby standby.Call
}

type token struct {
	fingerprint string
	activity    standby.Activity
}

type activity struct {
	id      string
	pending int  // ActivityStatuses answers InProgress this many more times
	lagging bool // InProgress until Settle
}

type failure struct {
	method string
	group  string // only calls naming this group, if set
	vpc    string // only calls naming this VPC, if set
	skip   int    // calls let through first
	times  int    // 0: every call
	err    error  // nil: answer zero values, as an answer missing its fields decodes
}

// NewFake returns a fake holding the given instances: group → instance →
// lifecycle state.
func NewFake(region string, groups map[string]map[string]string) *Fake {
	f := &Fake{Region: region, groupOf: map[string]string{}, state: map[string]string{}, tokens: map[string]token{}, tags: map[string]standby.Tags{}}
	for g, instances := range groups {
		f.groups = append(f.groups, g)
		for id, st := range instances {
			f.groupOf[id], f.state[id] = g, st
		}
	}
	slices.Sort(f.groups)
	return f
}

var (
	_ standby.AutoScaling = (*Fake)(nil)
	_ standby.Instances   = (*Fake)(nil)
	_ standby.Addresses   = (*Fake)(nil)
)

// Cloud hands the core the fake as each of its ports.
func (f *Fake) Cloud() standby.Cloud {
	return standby.Cloud{Scaling: f, Instances: f, Addresses: f}
}

// Fail makes the next times calls of method fail with err (times 0: every
// call from now on). Failures apply in the order they were added.
func (f *Fake) Fail(method string, times int, err error) { f.FailAfter(method, 0, times, err) }

// FailAfter is Fail, once after calls of method have gone through.
func (f *Fake) FailAfter(method string, after, times int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, failure{method: method, skip: after, times: times, err: err})
}

// FailGroup is Fail for the calls naming group alone.
func (f *Fake) FailGroup(method, group string, times int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, failure{method: method, group: group, times: times, err: err})
}

// Heal forgets every failure still to come: Auto Scaling is well again.
func (f *Fake) Heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = nil
}

// Move sets an instance's lifecycle state, as another process or an
// operator would.
func (f *Fake) Move(id, state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state[id] = state
}

// Lag makes Standby calls from now on answer with their activity but move
// nothing until Settle, as an Auto Scaling would whose answer comes before
// its activity has run.
func (f *Fake) Lag() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lag, f.unsettled = true, map[string]string{}
}

// Settle runs the activities lagging behind their answers, and ends Lag.
func (f *Fake) Settle() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, st := range f.unsettled {
		f.state[id] = st
	}
	for i := range f.activities {
		f.activities[i].lagging = false
	}
	f.lag, f.unsettled = false, nil
}

// Before runs fn once, before the next call of method is served: the test
// acts at that moment, as another process would.
func (f *Fake) Before(method string, fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.before = append(f.before, hook{method: method, fn: fn})
}

type hook struct {
	method string
	fn     func()
}

// hook runs the hook waiting for method, if any. f.mu is not held.
func (f *Fake) hook(method string) {
	f.mu.Lock()
	var fn func()
	for i, h := range f.before {
		if h.method == method {
			fn = h.fn
			f.before = append(f.before[:i:i], f.before[i+1:]...)
			break
		}
	}
	f.mu.Unlock()
	if fn != nil {
		fn()
	}
}

// Blank makes the next times calls of method (times 0: every call) answer
// with nothing in it and no error, changing nothing: an answer that lacks
// what it should carry (a Standby call without its activity, a state read
// of instances without their state, a count of zero).
func (f *Fake) Blank(method string, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, failure{method: method, times: times})
}

// Pending makes ActivityStatuses answer InProgress n times for each
// activity started from now on, before Successful.
func (f *Fake) Pending(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending = n
}

// Calls returns the calls received so far, oldest first; method "" means
// every method.
func (f *Fake) Calls(method string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// State reports an instance's lifecycle state, "" when it is in no group.
func (f *Fake) State(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state[id]
}

// record notes a call and returns the failure it must meet, if any, and
// whether it must answer blank. f.mu is held.
func (f *Fake) record(c Call) (blank bool, err error) {
	f.calls = append(f.calls, c)
	for i := range f.failures {
		fl := &f.failures[i]
		if fl.method != c.Method || fl.group != "" && fl.group != c.GroupID || fl.vpc != "" && fl.vpc != c.VpcID || fl.times < 0 {
			continue
		}
		if fl.skip > 0 {
			fl.skip--
			continue
		}
		if fl.times > 0 {
			if fl.times--; fl.times == 0 {
				fl.times = -1 // used up
			}
		}
		return fl.err == nil, fl.err
	}
	return false, nil
}

func (f *Fake) inRegion(s standby.Session) bool { return s.Region == f.Region }

func (f *Fake) ScalingInstances(_ context.Context, s standby.Session, groupID string, ids []string) ([]standby.ScalingInstance, error) {
	f.hook("ScalingInstances")
	f.mu.Lock()
	defer f.mu.Unlock()
	blank, err := f.record(Call{Method: "ScalingInstances", Session: s, GroupID: groupID, IDs: ids})
	if err != nil {
		return nil, err
	}
	var out []standby.ScalingInstance
	for _, id := range ids {
		if blank {
			out = append(out, standby.ScalingInstance{InstanceID: id})
			continue
		}
		if g := f.groupOf[id]; g != "" && f.inRegion(s) && (groupID == "" || g == groupID) {
			out = append(out, standby.ScalingInstance{InstanceID: id, ScalingGroupID: g, LifecycleState: f.state[id]})
		}
	}
	return out, nil
}

func (f *Fake) CountInstances(_ context.Context, s standby.Session, groupID, state string) (int, error) {
	f.hook("CountInstances")
	f.mu.Lock()
	defer f.mu.Unlock()
	if blank, err := f.record(Call{Method: "CountInstances", Session: s, GroupID: groupID}); err != nil || blank {
		return 0, err
	}
	n := 0
	for id, g := range f.groupOf {
		if g == groupID && f.inRegion(s) && (state == "" || f.state[id] == state) {
			n++
		}
	}
	return n, nil
}

func (f *Fake) InstancesIn(_ context.Context, s standby.Session, groupID, state string) ([]string, error) {
	f.hook("InstancesIn")
	f.mu.Lock()
	defer f.mu.Unlock()
	if blank, err := f.record(Call{Method: "InstancesIn", Session: s, GroupID: groupID}); err != nil || blank {
		return nil, err
	}
	var ids []string
	for id, g := range f.groupOf {
		if g == groupID && f.inRegion(s) && (state == "" || f.state[id] == state) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

func (f *Fake) ScalingGroups(_ context.Context, s standby.Session) ([]string, error) {
	f.hook("ScalingGroups")
	f.mu.Lock()
	defer f.mu.Unlock()
	if blank, err := f.record(Call{Method: "ScalingGroups", Session: s}); err != nil || blank || !f.inRegion(s) {
		return nil, err
	}
	return slices.Clone(f.groups), nil
}

func (f *Fake) Standby(_ context.Context, s standby.Session, c standby.Call) (standby.Activity, error) {
	f.hook("Standby")
	f.mu.Lock()
	defer f.mu.Unlock()
	if blank, err := f.record(Call{Method: "Standby", Session: s, GroupID: c.ScalingGroupID, IDs: c.InstanceIDs, Standby: c}); err != nil || blank {
		return standby.Activity{}, err
	}
	from, to := "InService", "Standby"
	if c.Action == standby.ExitStandby {
		from, to = to, from
	}
	if !f.inRegion(s) || !slices.Contains(f.groups, c.ScalingGroupID) {
		return standby.Activity{}, &standby.Error{Kind: standby.NotFound, Code: "InvalidScalingGroupId.NotFound", Message: "The specified scaling group does not exist."}
	}
	fingerprint := fmt.Sprint(c.Action, c.ScalingGroupID, c.Async, c.InstanceIDs)
	if used, ok := f.tokens[c.ClientToken]; ok && c.ClientToken != "" {
		if used.fingerprint != fingerprint {
			return standby.Activity{}, &standby.Error{Kind: standby.Conflict, Code: "IdempotentParameterMismatch", Message: "The request uses the same client token as a previous, but non-identical request."}
		}
		return used.activity, nil
	}
	for _, id := range c.InstanceIDs {
		switch {
		case f.groupOf[id] != c.ScalingGroupID:
			return standby.Activity{}, &standby.Error{Kind: standby.NotFound, Code: "InvalidInstanceId.NotFound", Message: fmt.Sprintf("Instance %q does not exist.", id)}
		case f.state[id] != from:
			return standby.Activity{}, &standby.Error{Kind: standby.Conflict, Code: "IncorrectInstanceStatus", Message: fmt.Sprintf("The current status of instance %q does not support this action.", id)}
		}
	}
	for _, id := range c.InstanceIDs {
		if f.lag {
			f.unsettled[id] = to
			continue
		}
		f.state[id] = to
	}
	a := standby.Activity{ScalingGroupID: c.ScalingGroupID, ScalingActivityID: fmt.Sprintf("asa-fake%d", len(f.activities)+1),
		RequestID: fmt.Sprintf("R-%d", len(f.calls)), InstanceIDs: c.InstanceIDs, ClientToken: c.ClientToken}
	f.activities = append(f.activities, activity{id: a.ScalingActivityID, pending: f.pending, lagging: f.lag})
	if c.ClientToken != "" {
		f.tokens[c.ClientToken] = token{fingerprint: fingerprint, activity: a}
	}
	return a, nil
}

func (f *Fake) ActivityStatuses(_ context.Context, s standby.Session, ids []string) ([]standby.ActivityStatus, error) {
	f.hook("ActivityStatuses")
	f.mu.Lock()
	defer f.mu.Unlock()
	if blank, err := f.record(Call{Method: "ActivityStatuses", Session: s, IDs: ids}); err != nil || blank {
		return nil, err
	}
	var out []standby.ActivityStatus
	for i := range f.activities {
		a := &f.activities[i]
		if !slices.Contains(ids, a.id) || !f.inRegion(s) {
			continue
		}
		status := "Successful"
		if a.lagging {
			out = append(out, standby.ActivityStatus{ScalingActivityID: a.id, StatusCode: "InProgress"})
			continue
		}
		if a.pending > 0 {
			a.pending--
			status = "InProgress"
		}
		out = append(out, standby.ActivityStatus{ScalingActivityID: a.id, StatusCode: status})
	}
	return out, nil
}

// maxTags is how many tags an instance may hold, in ECS as in ECI.
const maxTags = 20

// eciBatch is how many elastic container instances one of ECI's tag calls
// names in handler/ess: ECI documents no limit, and the adapter keeps to
// 20. The fake splits as the adapter does, so that a failure leaves the
// same instances tagged.
const eciBatch = 20

// Tags reports an instance's tags, as ECS holds them, or ECI for an
// elastic container instance.
func (f *Fake) Tags(id string) standby.Tags {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.tags[id])
}

// SetTags gives an instance tags, as another writer would.
func (f *Fake) SetTags(id string, tags standby.Tags) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tags[id] = maps.Clone(tags)
}

func elastic(id string) bool { return strings.HasPrefix(id, "eci-") }

// tagParts splits a tag call as handler/ess does: the ECS instances in one
// call, then the elastic container instances, whose tags are ECI's, in
// calls of eciBatch; more than standby.TagBatch is refused as ECS refuses
// it.
func tagParts(ids []string) ([][]string, error) {
	if len(ids) > standby.TagBatch {
		return nil, &standby.Error{Kind: standby.Invalid, Code: "NumberExceed.ResourceIds", Message: "The maximum number of ResourceIds is exceeded."}
	}
	var parts [][]string
	if ecs := slices.DeleteFunc(slices.Clone(ids), elastic); len(ecs) > 0 {
		parts = append(parts, ecs)
	}
	for chunk := range slices.Chunk(slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return !elastic(id) }), eciBatch) {
		parts = append(parts, chunk)
	}
	return parts, nil
}

// known checks that the service holding a part's instances knows them, in
// the session's region: the fake's instances are those of its groups.
func (f *Fake) known(s standby.Session, ids []string) error {
	for _, id := range ids {
		if f.groupOf[id] == "" || !f.inRegion(s) {
			return &standby.Error{Kind: standby.NotFound, Code: "InvalidResourceId.NotFound", Message: "The specified ResourceIds are not found in our records."}
		}
	}
	return nil
}

func (f *Fake) TagInstances(_ context.Context, s standby.Session, ids []string, tags standby.Tags) error {
	f.hook("TagInstances")
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.record(Call{Method: "TagInstances", Session: s, IDs: ids}); err != nil {
		return err
	}
	parts, err := tagParts(ids)
	if err != nil {
		return err
	}
	for _, part := range parts { // each part all or nothing, the next only after it
		if err := f.known(s, part); err != nil {
			return err
		}
		for _, id := range part {
			after := maps.Clone(f.tags[id])
			if after == nil {
				after = standby.Tags{}
			}
			if maps.Copy(after, tags); len(after) <= maxTags {
				continue
			}
			if elastic(id) { // ECI's one code for too many tags
				return &standby.Error{Kind: standby.Invalid, Code: "NumberExceed.Tags", Message: "The length of tags exceeded limit: 20."}
			}
			return &standby.Error{Kind: standby.Conflict, Code: "OperationDenied.QuotaExceed", Message: "The quota of tags on resource is beyond permitted range."}
		}
		for _, id := range part {
			if f.tags[id] == nil {
				f.tags[id] = standby.Tags{}
			}
			maps.Copy(f.tags[id], tags)
		}
	}
	return nil
}

func (f *Fake) UntagInstances(_ context.Context, s standby.Session, ids []string, keys []string) error {
	f.hook("UntagInstances")
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.record(Call{Method: "UntagInstances", Session: s, IDs: ids}); err != nil {
		return err
	}
	parts, err := tagParts(ids)
	if err != nil {
		return err
	}
	for _, part := range parts {
		if err := f.known(s, part); err != nil {
			return err
		}
		for _, id := range part {
			for _, k := range keys {
				delete(f.tags[id], k)
			}
		}
	}
	return nil
}

func (f *Fake) InstanceTags(_ context.Context, s standby.Session, ids []string, prefix string) (map[string]standby.Tags, error) {
	f.hook("InstanceTags")
	f.mu.Lock()
	defer f.mu.Unlock()
	if blank, err := f.record(Call{Method: "InstanceTags", Session: s, IDs: ids}); err != nil || blank {
		return nil, err
	}
	if len(ids) > standby.TagBatch {
		return nil, &standby.Error{Kind: standby.Invalid, Code: "NumberExceed.ResourceIds", Message: "The maximum number of ResourceIds is exceeded."}
	}
	out := map[string]standby.Tags{}
	for _, id := range ids {
		if f.groupOf[id] == "" || !f.inRegion(s) {
			continue
		}
		for k, v := range f.tags[id] {
			if strings.HasPrefix(k, prefix) {
				if out[id] == nil {
					out[id] = standby.Tags{}
				}
				out[id][k] = v
			}
		}
	}
	return out, nil
}

// SetStatus sets an instance's ECS status (Running unless set), as ECS
// would on a stop or a reboot.
func (f *Fake) SetStatus(id, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.status == nil {
		f.status = map[string]string{}
	}
	f.status[id] = status
}

func (f *Fake) InstanceStatuses(_ context.Context, s standby.Session, ids []string) (map[string]string, error) {
	f.hook("InstanceStatuses")
	f.mu.Lock()
	defer f.mu.Unlock()
	if blank, err := f.record(Call{Method: "InstanceStatuses", Session: s, IDs: ids}); err != nil || blank {
		return nil, err
	}
	out := map[string]string{}
	for _, id := range ids {
		if f.groupOf[id] != "" && f.inRegion(s) && !elastic(id) { // ECS holds no elastic container instance
			out[id] = cmp.Or(f.status[id], "Running")
		}
	}
	return out, nil
}

// NoWait is standby.Config.Sleep for tests that decide what Auto Scaling
// answers: retries and polls go at once, unless the context is done.
func NoWait(ctx context.Context, _ time.Duration) error { return ctx.Err() }
