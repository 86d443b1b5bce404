package standby

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
)

// groupPlan is one plan of one scaling group: the parts of every ticket
// waiting for the group's plans, decided together.
type groupPlan struct {
	s       *Service
	key     groupKey
	ctx     context.Context
	sess    Session
	state   map[string]ScalingInstance // the group's instances named, as last read
	st      Stats                      // what the plan did, shared by its tickets
	out     map[*ticket]*outcome
	changed bool // a call that may change state was made
	// moves are what Auto Scaling moved for this plan, and what it found
	// parked already: their tags are written at its end (submitTags).
	moves moves
	// ruleOf is the ess-standby:rule tag of the instances restricted exits
	// found InService already (onlyParked); absent: not read.
	ruleOf map[string]string
}

// outcome is what a plan did for one ticket.
type outcome struct {
	activities []Activity
	planned    []Call
	guard      string
}

// callShape is what parts must have in common to share calls.
type callShape struct {
	action Action
	async  bool
	dryRun bool
}

func (p *part) shape() callShape { return callShape{p.t.req.Action, p.t.req.Async, p.t.dryRun} }

// target is an instance a plan acts on, with the parts that name it.
type target struct {
	id         string
	parts      []*part
	unverified bool
}

// runPlan runs one plan of a scaling group over its waiting parts, stage
// by stage. It reads: their state again, unless the read they bring is
// current. Which ends apply: a sweep's exits whose leases are still over
// (stillEnded), and of exits that may take back only what the function
// parked, those that may (onlyParked). One action per instance: the last
// request wins (lastWins); then, shape by shape in the order they came
// (byShape), each instance is sorted out, the guards are judged over all
// of them at once, and the calls are made, narrowed and replayed (decide).
// Then the tags of what moved are handed on (submitTags), and each ticket
// is told what the plan did for it (report).
func (s *Service) runPlan(key groupKey, parts []*part) {
	var tickets []*ticket
	for _, p := range parts {
		tickets = append(tickets, p.t)
	}
	ctx, sess, cancel := lead(tickets)
	defer cancel()
	g := s.newGroupPlan(ctx, sess, key, parts)
	defer g.report(parts)
	if err := g.current(parts); err != nil {
		for _, p := range parts {
			p.t.fail(p.ids, err)
		}
		return
	}
	g.stillEnded(parts)
	g.ruleOf = g.onlyParked(parts)
	g.lastWins(parts)
	for _, same := range byShape(parts) {
		g.decide(same[0].shape(), same)
	}
	g.submitTags()
	if g.changed {
		s.changed.note(key, s.epoch.Add(1))
	}
}

// newGroupPlan starts a plan of parts, with the state their read found.
func (s *Service) newGroupPlan(ctx context.Context, sess Session, key groupKey, parts []*part) *groupPlan {
	g := &groupPlan{s: s, key: key, ctx: ctx, sess: sess, state: map[string]ScalingInstance{}, out: map[*ticket]*outcome{}}
	invocations := map[string]bool{}
	for _, p := range parts {
		g.out[p.t] = &outcome{}
		invocations[p.t.inv] = true
		for _, id := range p.ids {
			if in, ok := p.found[id]; ok {
				g.state[id] = in
			}
		}
	}
	g.st.Merged = len(invocations) - 1
	return g
}

// current reads the state of the parts' instances again when another plan
// changed something since their read.
func (g *groupPlan) current(parts []*part) error {
	if !slices.ContainsFunc(parts, func(p *part) bool { return g.s.changed.since(g.key, p.epoch) }) {
		return nil
	}
	var verified []string
	for _, p := range parts {
		for _, id := range p.ids {
			if _, ok := p.found[id]; ok {
				verified = append(verified, id)
			}
		}
	}
	return g.reread(verified)
}

// byShape groups parts by their calls' shape, the shapes in the order they
// came, each group's parts in order.
func byShape(parts []*part) [][]*part {
	var shapes []callShape
	var groups [][]*part
	for _, p := range parts {
		i := slices.Index(shapes, p.shape())
		if i < 0 {
			i = len(shapes)
			shapes, groups = append(shapes, p.shape()), append(groups, nil)
		}
		groups[i] = append(groups[i], p)
	}
	return groups
}

// changes notes the epoch of each group's last change, for a plan to tell
// whether the read its parts bring is still current.
type changes struct {
	mu sync.Mutex
	at map[groupKey]uint64 // guarded by mu: the epoch of each group's last change
}

// since says whether a plan changed the group since epoch.
func (c *changes) since(key groupKey, epoch uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at[key] > epoch
}

// note notes that the group changed at epoch.
func (c *changes) note(key groupKey, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at[key] = epoch
}

// lastWins leaves each instance to the requests that stand for it
// (LastWins): the others drop it, each told which request decides it. Dry
// runs change nothing, and keep theirs.
func (g *groupPlan) lastWins(parts []*part) {
	var live []*part
	var reqs []Request
	for _, p := range parts {
		if !p.t.dryRun {
			live, reqs = append(live, p), append(reqs, p.request())
		}
	}
	for i, o := range LastWins(reqs) {
		p := live[i]
		for _, d := range o.Drop {
			p.t.set(InstanceResult{InstanceID: d.InstanceID, ScalingGroupID: g.key.group, LifecycleState: g.state[d.InstanceID].LifecycleState,
				Result: skipped, Reason: dropReason(d.Why, reqs[d.By])})
		}
		p.ids = o.Keep
	}
}

// dropReason is what a request's line says of an instance it drops to
// the request by.
func dropReason(why Why, by Request) string {
	switch why {
	case Interrupted: // its own rule's recovery ended it
		return fmt.Sprintf("its rule's recovery came later; it stays parked for %s", Quote(by.Reason.Rule))
	case AlarmStands:
		return fmt.Sprintf("a request of another rule (%s) asks %s", Quote(by.Reason.Rule), by.Action)
	}
	return "a later request for it asks " + string(by.Action)
}

// request is the part's request as a plan's stages judge it: its
// instances in the group, and whether it is a dry run.
func (p *part) request() Request {
	r := p.t.req
	r.InstanceIDs, r.DryRun = p.ids, p.t.dryRun
	return r
}

// report hands each ticket what the plan did for it.
func (g *groupPlan) report(parts []*part) {
	for _, p := range parts {
		sh := g.out[p.t]
		p.t.report(sh.activities, sh.planned, &g.st, sh.guard, 0)
	}
}

// reread reads the state of the plan's instances again, in its group: an
// instance no longer found there has left it.
func (g *groupPlan) reread(ids []string) error {
	r := g.s.readAll(g.ctx, g.sess, g.key.group, ids)
	g.st.add(r.st)
	if err := r.err(); err != nil {
		return err
	}
	for _, id := range ids {
		if in, ok := r.found[id]; ok {
			g.state[id] = in
		} else {
			delete(g.state, id)
		}
	}
	return nil
}

// decide plans the parts of one shape: which instances can move, which
// MIN_IN_SERVICE lets go, and the calls for them, or in a dry run the calls
// it would make.
func (g *groupPlan) decide(k callShape, parts []*part) {
	targets := targetsOf(parts, g.state)
	if k.action == EnterStandby && !k.dryRun {
		for _, m := range targets {
			g.s.moved.ask(m.id)
		}
	}
	at := sortOut(k.action, g.key.group, g.state, targets)
	g.recordSkips(at.skips)
	if k.action == EnterStandby && !k.dryRun {
		g.moves.renew = append(g.moves.renew, at.done...)
	}
	eligible := at.eligible
	if k.action == EnterStandby && len(eligible) > 0 {
		eligible = g.guard(k, eligible)
	}
	if k.dryRun {
		g.wouldCall(k, eligible)
	} else {
		for _, chunk := range callSets(eligible) {
			g.call(k, chunk)
		}
	}
	g.already(k, at.done, eligible)
}

// targetsOf gathers the instances parts name, in the order they came, each
// once, with the parts naming it. One is unverified when a part names it
// unverified and no read found it: a read that found it says what it is.
func targetsOf(parts []*part, state map[string]ScalingInstance) []*target {
	var targets []*target
	byID := map[string]*target{}
	for _, p := range parts {
		for _, id := range p.ids {
			m := byID[id]
			if m == nil {
				m = &target{id: id}
				byID[id] = m
				targets = append(targets, m)
			}
			m.parts = append(m.parts, p)
			m.unverified = m.unverified || p.unverified
		}
	}
	for _, m := range targets {
		_, found := state[m.id]
		m.unverified = m.unverified && !found
	}
	return targets
}

// sortedOut is targets sorted by where they stand for an action: those it can
// move (eligible), those there already (done), and those it cannot move,
// each with why (skips); each in the order it came.
type sortedOut struct {
	eligible, done []*target
	skips          []skip
}

// skip is a target no call can move, and why.
type skip struct {
	m      *target
	reason string
}

// sortOut sorts targets for an action by their state in group. One
// unverified is eligible: the call lets Auto Scaling answer.
func sortOut(a Action, group string, state map[string]ScalingInstance, targets []*target) sortedOut {
	var at sortedOut
	for _, m := range targets {
		in, found := state[m.id]
		switch {
		case m.unverified:
			at.eligible = append(at.eligible, m)
		case !found:
			at.skips = append(at.skips, skip{m, "not in scaling group " + group})
		case in.LifecycleState == a.to():
			at.done = append(at.done, m)
		case in.LifecycleState != a.from():
			at.skips = append(at.skips, skip{m, fmt.Sprintf("%s: only %s instances can %s", in.LifecycleState, a.from(), a.verb())})
		default:
			at.eligible = append(at.eligible, m)
		}
	}
	return at
}

// recordSkips records each skipped target's line, as the plan found it.
func (g *groupPlan) recordSkips(skips []skip) {
	for _, s := range skips {
		line := g.foundLine(s.m)
		line.Result, line.Reason = skipped, s.reason
		g.set(s.m, line)
	}
}

// callSets are the calls for eligible targets: 20 a call, sorted by ID,
// those not found by the read call alone apart from the others, so that
// Auto Scaling's refusal of them refuses no other.
func callSets(eligible []*target) [][]*target {
	verified := slices.DeleteFunc(slices.Clone(eligible), func(m *target) bool { return m.unverified })
	unverified := slices.DeleteFunc(slices.Clone(eligible), func(m *target) bool { return !m.unverified })
	var sets [][]*target
	for _, set := range [][]*target{verified, unverified} {
		sets = slices.AppendSeq(sets, slices.Chunk(sortedByID(set), batchSize))
	}
	return sets
}

// foundLine is the start of a target's line: the instance as the plan
// found it.
func (g *groupPlan) foundLine(m *target) InstanceResult {
	in := g.state[m.id]
	return InstanceResult{InstanceID: m.id, ScalingGroupID: g.key.group, LifecycleState: in.LifecycleState}
}

// set records a target's line in every ticket naming it.
func (g *groupPlan) set(m *target, line InstanceResult) {
	for _, p := range m.parts {
		p.t.set(line)
	}
}

// wouldCall records, for a dry run, the calls each ticket would have
// made: its own instances, 20 a call, with its own tokens.
func (g *groupPlan) wouldCall(k callShape, eligible []*target) {
	byTicket := map[*ticket][]*target{}
	var tickets []*ticket
	for _, m := range eligible {
		line := g.foundLine(m)
		line.Result = planned
		if m.unverified {
			line.Reason = "not found by DescribeScalingInstances: the call lets Auto Scaling answer"
		}
		g.set(m, line)
		for _, p := range m.parts {
			if byTicket[p.t] == nil {
				tickets = append(tickets, p.t)
			}
			byTicket[p.t] = append(byTicket[p.t], m)
		}
	}
	for _, t := range tickets {
		for chunk := range slices.Chunk(sortedByID(byTicket[t]), batchSize) {
			g.out[t].planned = append(g.out[t].planned, g.standbyCall(k, chunk))
		}
	}
}

// standbyCall is the call for targets: its token derives from the exact
// set of instances and the roots of the tickets naming them, so the same
// set from the same events always makes the same call, and two different
// sets never share a token.
func (g *groupPlan) standbyCall(k callShape, targets []*target) Call {
	var ids, roots []string
	for _, m := range targets {
		ids = append(ids, m.id)
		for _, p := range m.parts {
			roots = append(roots, p.t.root)
		}
	}
	slices.Sort(roots)
	return Call{Action: k.action, ScalingGroupID: g.key.group, InstanceIDs: ids, Async: k.async,
		ClientToken: token(k.action, g.key.group, k.async, slices.Compact(roots), ids)}
}

// sortedByID orders targets by instance ID, so that the same instances
// make the same calls whatever order they were named in.
func sortedByID(targets []*target) []*target {
	return slices.SortedFunc(slices.Values(targets), func(a, b *target) int { return cmp.Compare(a.id, b.id) })
}

// took records what a call's activity did for its targets.
func (g *groupPlan) took(k callShape, targets []*target, a Activity, reason string) {
	if k.action == EnterStandby {
		g.moves.entered = append(g.moves.entered, targets...)
	} else {
		g.moves.exited = append(g.moves.exited, targets...)
	}
	byTicket := map[*ticket][]string{}
	var tickets []*ticket
	for _, m := range targets {
		line := g.foundLine(m)
		line.Result, line.ScalingActivityID, line.Reason = k.action.done(), a.ScalingActivityID, reason
		g.set(m, line)
		if in, ok := g.state[m.id]; ok || m.unverified {
			in.InstanceID, in.ScalingGroupID, in.LifecycleState = m.id, g.key.group, k.action.to()
			g.state[m.id] = in
		}
		for _, p := range m.parts {
			if byTicket[p.t] == nil {
				tickets = append(tickets, p.t)
			}
			byTicket[p.t] = append(byTicket[p.t], m.id)
		}
	}
	for _, t := range tickets {
		own := a
		own.InstanceIDs = byTicket[t] // a ticket's answer names its own instances
		g.out[t].activities = append(g.out[t].activities, own)
	}
}
