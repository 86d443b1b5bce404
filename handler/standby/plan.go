package standby

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// batchSize is the most instances one EnterStandby, ExitStandby or
// DescribeScalingInstances call takes.
const batchSize = 20

// plan is what a request comes to: the calls to make, and what becomes of
// each instance it names.
type plan struct {
	req        Request
	identity   string            // what makes the event itself: the root of derived tokens
	found      []ScalingInstance // in request order
	calls      []StandbyCall
	report     []InstanceResult
	activities []Activity
}

// plan reads the state of every instance (DescribeScalingInstances, 20 at
// a time), keeps those an action can move, applies the guard rails, and
// batches what is left by group, 20 a call.
//
// When the state read finds none of the instances in a group the request
// names, the call is made anyway: whether the group or the instances do not
// exist is Auto Scaling's to say (InvalidScalingGroupId.NotFound or
// InvalidInstanceId.NotFound), and what DescribeScalingInstances answers for
// a group that does not exist is undocumented.
func (s *Service) plan(ctx context.Context, st *Stats, sess Session, req Request, identity string) (*plan, error) {
	group := cmp.Or(req.ScalingGroupID, s.cfg.ScalingGroupID)
	state := map[string]ScalingInstance{}
	for chunk := range slices.Chunk(req.InstanceIDs, batchSize) {
		var found []ScalingInstance
		if err := s.retry(ctx, st, func(ctx context.Context) (err error) {
			found, err = s.scaling.ScalingInstances(ctx, sess, group, chunk)
			return err
		}); err != nil {
			return nil, err
		}
		for _, in := range found {
			if slices.Contains(chunk, in.InstanceID) { // never act on an instance the request did not name
				state[in.InstanceID] = in
			}
		}
	}
	p := &plan{req: req, identity: identity}
	absent := "in no scaling group of region " + sess.Region
	if group != "" {
		absent = "not in scaling group " + group
	}
	var eligible []ScalingInstance
	for _, id := range req.InstanceIDs {
		in, ok := state[id]
		line := InstanceResult{InstanceID: id, ScalingGroupID: in.ScalingGroupID, LifecycleState: in.LifecycleState, Result: "Skipped"}
		switch {
		case !ok:
			line.Reason = absent
		case in.LifecycleState == req.Action.to():
			line.Reason = "already " + in.LifecycleState
		case in.LifecycleState != req.Action.from():
			line.Reason = fmt.Sprintf("%s: only %s instances can %s", in.LifecycleState, req.Action.from(), req.Action.verb())
		default:
			eligible = append(eligible, in)
			line.Result = "Planned"
		}
		if ok {
			p.found = append(p.found, in)
		}
		p.report = append(p.report, line)
	}
	groups := foundGroups(p.found)
	if len(p.found) == 0 {
		if group == "" {
			names, _ := json.Marshal(req.InstanceIDs)
			return nil, &Error{Kind: NotFound, Code: "InvalidInstanceId.NotFound", Message: "instances " + absent + ": " + cut(string(names), maxProblemText)}
		}
		eligible, groups = p.unverified(group), []string{group}
	}
	if err := s.allowed(st, groups); err != nil {
		return nil, err
	}
	p.calls = p.batches(eligible)
	if req.Action == EnterStandby {
		if err := s.keepInService(ctx, st, sess, p.calls); err != nil {
			return nil, err
		}
	}
	for _, id := range req.Duplicates {
		p.report = append(p.report, InstanceResult{InstanceID: id.InstanceID, Result: "Skipped", Reason: id.Reason})
	}
	return p, nil
}

// unverified plans a call for every instance named, in group, though the
// state read found none of them there: Auto Scaling answers whether they are.
func (p *plan) unverified(group string) []ScalingInstance {
	var named []ScalingInstance
	for i, id := range p.req.InstanceIDs {
		named = append(named, ScalingInstance{InstanceID: id, ScalingGroupID: group})
		p.report[i] = InstanceResult{InstanceID: id, ScalingGroupID: group, Result: "Planned",
			Reason: "not found by DescribeScalingInstances: the call lets Auto Scaling answer"}
	}
	return named
}

func foundGroups(found []ScalingInstance) []string {
	var groups []string
	for _, in := range found {
		if !slices.Contains(groups, in.ScalingGroupID) {
			groups = append(groups, in.ScalingGroupID)
		}
	}
	return groups
}

// done is the report's Result for an instance the action moved.
func (a Action) done() string {
	if a == ExitStandby {
		return "ExitedStandby"
	}
	return "EnteredStandby"
}

func (a Action) verb() string {
	if a == ExitStandby {
		return "leave Standby"
	}
	return "enter Standby"
}

// batches groups instances by scaling group, in the order the request
// first names each group, in calls of at most 20. Each call's token derives
// from the caller's, or from the event's identity, and the call's place, so
// a re-delivered event makes the very same calls.
func (p *plan) batches(instances []ScalingInstance) []StandbyCall {
	var groups []string
	byGroup := map[string][]string{}
	for _, in := range instances {
		if byGroup[in.ScalingGroupID] == nil {
			groups = append(groups, in.ScalingGroupID)
		}
		byGroup[in.ScalingGroupID] = append(byGroup[in.ScalingGroupID], in.InstanceID)
	}
	var calls []StandbyCall
	for _, g := range groups {
		for chunk := range slices.Chunk(byGroup[g], batchSize) {
			calls = append(calls, StandbyCall{Action: p.req.Action, ScalingGroupID: g, InstanceIDs: chunk, Async: p.req.Async})
		}
	}
	for i := range calls {
		calls[i].ClientToken = p.token(i, len(calls))
	}
	return calls
}

// token is the ClientToken of call i of n: the caller's (suffixed when it
// must name several calls), else derived from the event's identity and the
// action; always at most 64 ASCII characters.
func (p *plan) token(i, n int) string {
	if given := p.req.ClientToken; given != "" {
		if n == 1 {
			return given
		}
		return batchToken(given, i)
	}
	sum := sha256.Sum256([]byte(string(p.req.Action) + "\n" + p.identity))
	return "ess-standby-" + hex.EncodeToString(sum[:20]) + "-" + strconv.Itoa(i+1)
}

// batchToken derives the token of the i-th call of a request from the
// caller's token, within ESS's limit of 64 ASCII characters.
func batchToken(token string, i int) string {
	suffix := "-" + strconv.Itoa(i+1)
	if len(token)+len(suffix) > 64 {
		sum := sha256.Sum256([]byte(token))
		token = hex.EncodeToString(sum[:20])
	}
	return token + suffix
}

// allowed refuses groups outside ALLOWED_SCALING_GROUP_IDS.
func (s *Service) allowed(st *Stats, groups []string) error {
	if len(s.cfg.AllowedGroups) == 0 {
		return nil
	}
	var refused []string
	for _, g := range groups {
		if !slices.Contains(s.cfg.AllowedGroups, g) {
			refused = append(refused, g)
		}
	}
	if len(refused) == 0 {
		return nil
	}
	st.Guard = "ALLOWED_SCALING_GROUP_IDS"
	names, _ := json.Marshal(refused)
	return &Error{Kind: Forbidden, Code: "Forbidden.ScalingGroupNotAllowed", Message: "scaling groups not in ALLOWED_SCALING_GROUP_IDS: " + string(names)}
}

// keepInService refuses calls that would leave a group with fewer InService
// instances than MIN_IN_SERVICE, so a noisy alarm can never take a whole
// group out of traffic. Two concurrent invocations can still pass it
// together: it reads, then acts. A group with no instances at all has
// nothing to keep: its call is Auto Scaling's to refuse.
func (s *Service) keepInService(ctx context.Context, st *Stats, sess Session, calls []StandbyCall) error {
	if m := s.cfg.MinInService; m.Count == 0 && m.Percent == 0 {
		return nil
	}
	leaving := map[string]int{}
	var groups []string
	for _, c := range calls {
		if leaving[c.ScalingGroupID] == 0 {
			groups = append(groups, c.ScalingGroupID)
		}
		leaving[c.ScalingGroupID] += len(c.InstanceIDs)
	}
	for _, g := range groups {
		if err := s.keep(ctx, st, sess, g, leaving[g]); err != nil {
			return err
		}
	}
	return nil
}

// keep checks MIN_IN_SERVICE for one group that leaving instances would leave.
func (s *Service) keep(ctx context.Context, st *Stats, sess Session, group string, leaving int) error {
	m := s.cfg.MinInService
	inService, err := s.count(ctx, st, sess, group, "InService")
	total := -1 // not read yet
	if err == nil && m.Percent > 0 {
		total, err = s.count(ctx, st, sess, group, "")
	}
	if err != nil {
		return err
	}
	keep, setting := m.Count, strconv.Itoa(m.Count)
	if m.Percent > 0 {
		keep, setting = (m.Percent*total+99)/100, strconv.Itoa(m.Percent)+"%"
	}
	left := inService - leaving
	if left >= keep {
		return nil
	}
	if total < 0 {
		if total, err = s.count(ctx, st, sess, group, ""); err != nil {
			return err
		}
	}
	if total == 0 {
		return nil
	}
	st.Guard = "MIN_IN_SERVICE"
	return &Error{Kind: Forbidden, Code: "Forbidden.MinInService", Message: fmt.Sprintf(
		"putting %d instances of %s into Standby would leave %d InService, fewer than MIN_IN_SERVICE=%s (%d of %d instances)",
		leaving, group, left, setting, keep, total)}
}

// count reads how many instances a group has in state ("": in all).
func (s *Service) count(ctx context.Context, st *Stats, sess Session, group, state string) (n int, err error) {
	err = s.retry(ctx, st, func(ctx context.Context) (err error) {
		n, err = s.scaling.CountInstances(ctx, sess, group, state)
		return err
	})
	return n, err
}

// answer renders the plan and what became of it.
func (p *plan) answer(dryRun bool) Answer {
	a := Answer{Activities: p.activities, Instances: p.report}
	if dryRun {
		a.DryRun, a.Planned = true, p.calls
		for _, c := range p.calls {
			a.InstanceIDs = append(a.InstanceIDs, c.InstanceIDs...)
		}
	}
	for _, line := range p.report {
		switch line.Result {
		case "Skipped":
			a.Skipped = append(a.Skipped, Skipped{InstanceID: line.InstanceID, Reason: line.Reason})
		case EnterStandby.done(), ExitStandby.done():
			a.InstanceIDs = append(a.InstanceIDs, line.InstanceID)
		}
	}
	if len(p.activities) > 0 {
		first := p.activities[0]
		a.RequestID, a.ScalingActivityID, a.ScalingGroupID = first.RequestID, first.ScalingActivityID, first.ScalingGroupID
	}
	return a
}
