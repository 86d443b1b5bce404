package handler

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

// defaultMaxInstances is MAX_INSTANCES when unset.
const defaultMaxInstances = 100

// InstanceResult is one line of the per-instance report: what became of an
// instance the request named.
type InstanceResult struct {
	InstanceID        string `json:"InstanceId"`
	ScalingGroupID    string `json:"ScalingGroupId,omitempty"`
	LifecycleState    string `json:"LifecycleState,omitempty"` // as found before acting
	Result            string `json:"Result"`                   // EnteredStandby, ExitedStandby, Planned, Skipped or Failed
	ScalingActivityID string `json:"ScalingActivityId,omitempty"`
	Reason            string `json:"Reason,omitempty"`
}

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
func (h *Handler) plan(ctx context.Context, r *run, s Session, req Request, identity string) (*plan, error) {
	group := cmp.Or(req.ScalingGroupID, h.cfg.ScalingGroupID)
	state := map[string]ScalingInstance{}
	for chunk := range slices.Chunk(req.InstanceIDs, batchSize) {
		var found []ScalingInstance
		if err := h.retry(ctx, r, func(ctx context.Context) (err error) {
			found, err = h.scaling.ScalingInstances(ctx, s, group, chunk)
			return err
		}); err != nil {
			return nil, err
		}
		for _, in := range found {
			state[in.InstanceID] = in
		}
	}
	p := &plan{req: req, identity: identity}
	var missing []string
	absent := "in no scaling group of region " + s.Region
	if group != "" {
		absent = "not in scaling group " + group
	}
	var eligible []ScalingInstance
	for _, id := range req.InstanceIDs {
		in, ok := state[id]
		line := InstanceResult{InstanceID: id, ScalingGroupID: in.ScalingGroupID, LifecycleState: in.LifecycleState, Result: "Skipped"}
		switch {
		case !ok:
			missing = append(missing, id)
			line.Reason = absent
		case in.LifecycleState == req.Action.to():
			line.Reason = "already " + in.LifecycleState
		case in.LifecycleState != req.Action.from():
			line.Reason = fmt.Sprintf("%s: only %s instances can %s", in.LifecycleState, req.Action.from(), verb(req.Action))
		default:
			eligible = append(eligible, in)
			line.Result = "Planned"
		}
		if ok {
			p.found = append(p.found, in)
		}
		p.report = append(p.report, line)
	}
	if len(missing) == len(req.InstanceIDs) {
		names, _ := json.Marshal(missing)
		return nil, &Error{Kind: NotFound, Code: "InvalidInstanceId.NotFound", Message: "instances " + absent + ": " + string(names)}
	}
	if err := h.allowed(r, p.found); err != nil {
		return nil, err
	}
	p.calls = p.batches(eligible)
	if req.Action == EnterStandby {
		if err := h.keepInService(ctx, r, s, p.calls); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// done is the report's Result for an instance the action moved.
func (a Action) done() string {
	if a == ExitStandby {
		return "ExitedStandby"
	}
	return "EnteredStandby"
}

func verb(a Action) string {
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

// allowed refuses instances of groups outside ALLOWED_SCALING_GROUP_IDS.
func (h *Handler) allowed(r *run, found []ScalingInstance) error {
	if len(h.cfg.AllowedGroups) == 0 {
		return nil
	}
	var refused []string
	for _, in := range found {
		if !slices.Contains(h.cfg.AllowedGroups, in.ScalingGroupID) && !slices.Contains(refused, in.ScalingGroupID) {
			refused = append(refused, in.ScalingGroupID)
		}
	}
	if len(refused) == 0 {
		return nil
	}
	r.guard = "ALLOWED_SCALING_GROUP_IDS"
	names, _ := json.Marshal(refused)
	return &Error{Kind: Forbidden, Code: "Forbidden.ScalingGroupNotAllowed", Message: "scaling groups not in ALLOWED_SCALING_GROUP_IDS: " + string(names)}
}

// keepInService refuses calls that would leave a group with fewer InService
// instances than MIN_IN_SERVICE, so a noisy alarm can never take a whole
// group out of traffic. Two concurrent invocations can still pass it
// together: it reads, then acts.
func (h *Handler) keepInService(ctx context.Context, r *run, s Session, calls []StandbyCall) error {
	m := h.cfg.MinInService
	if m.Count == 0 && m.Percent == 0 {
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
		inService, total, err := h.counts(ctx, r, s, g)
		if err != nil {
			return err
		}
		keep, setting := m.Count, strconv.Itoa(m.Count)
		if m.Percent > 0 {
			keep, setting = (m.Percent*total+99)/100, strconv.Itoa(m.Percent)+"%"
		}
		if left := inService - leaving[g]; left < keep {
			r.guard = "MIN_IN_SERVICE"
			return &Error{Kind: Forbidden, Code: "Forbidden.MinInService", Message: fmt.Sprintf(
				"putting %d instances of %s into Standby would leave %d InService, fewer than MIN_IN_SERVICE=%s (%d of %d instances)",
				leaving[g], g, left, setting, keep, total)}
		}
	}
	return nil
}

func (h *Handler) counts(ctx context.Context, r *run, s Session, group string) (inService, total int, err error) {
	err = h.retry(ctx, r, func(ctx context.Context) (err error) {
		inService, err = h.scaling.CountInstances(ctx, s, group, "InService")
		return err
	})
	if err == nil && h.cfg.MinInService.Percent > 0 {
		err = h.retry(ctx, r, func(ctx context.Context) (err error) {
			total, err = h.scaling.CountInstances(ctx, s, group, "")
			return err
		})
	}
	return inService, total, err
}

// duplicates reports the duplicate IDs validation removed.
func duplicates(skipped []Skipped) []InstanceResult {
	var out []InstanceResult
	for _, s := range skipped {
		out = append(out, InstanceResult{InstanceID: s.InstanceID, Result: "Skipped", Reason: s.Reason})
	}
	return out
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
