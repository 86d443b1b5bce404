package standby

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
)

// The guard rails of entering Standby, judged per group within its plan:
// MIN_IN_SERVICE, the InService instances a group keeps, and MAX_STANDBY,
// the most of its instances in Standby. Both are read from Auto Scaling's
// own counts inside the group's serialized plan, so concurrent requests
// are judged together, never each blind to the others.

// Their refusals' codes.
const (
	MinInServiceCode = "Forbidden.MinInService"
	MaxStandbyCode   = "Forbidden.MaxStandby"
)

// guard lets go of the eligible instances only as many as MIN_IN_SERVICE
// and MAX_STANDBY allow, first come first; it refuses the others, so that
// a noisy alarm, or a storm of them, can never take a whole group (or more
// of it than the cap) out of traffic. What this process put into Standby
// that the counts may not show yet counts as parked; where that cannot be
// told, the instances it would decide are left to a retry, and so are
// those that what it took out of Standby (any plan's exits, until a read
// shows them) may make room for: a refusal is final only where no exit
// under way could mend it. A count that
// cannot be read, or contradicts the state read, refuses them all: nothing
// is assumed.
func (g *groupPlan) guard(k callShape, eligible []*target) []*target {
	if !g.s.cfg.MinInService.set() && !g.s.cfg.MaxStandby.set() {
		return eligible
	}
	// What is on its way, read on both sides of the counts: an instance a
	// read shows in Standby before them is in Standby in them, one a read
	// shows InService after them was InService in them; only one that
	// moved in between is unsure.
	onTheWay, err := g.observe()
	if err != nil {
		g.failEach(eligible, err)
		return nil
	}
	c, err := g.counts(eligible)
	if err != nil {
		g.failEach(eligible, err)
		return nil
	}
	if c.empty {
		return eligible // nothing there to keep: the calls let Auto Scaling answer
	}
	// One whose call went unanswered, asked for again here, is called for
	// again with its token: it takes its own room, not another's.
	onTheWay = slices.DeleteFunc(onTheWay, func(id string) bool {
		a, _ := g.s.moved.entering(id)
		return a.ScalingActivityID == "" && slices.ContainsFunc(eligible, func(m *target) bool { return m.id == id })
	})
	underWay, unsure, err := g.leaving(onTheWay, k.dryRun)
	if err != nil {
		g.failEach(eligible, err)
		return nil
	}
	// Asked for again while on its way: answered with the activity taking it.
	eligible = slices.DeleteFunc(eligible, func(m *target) bool {
		a, ok := underWay[m.id]
		switch {
		case ok && k.dryRun:
			line := g.foundLine(m)
			line.Result, line.Reason = skipped, "on its way into Standby, by "+a.ScalingActivityID
			g.set(m, line)
		case ok:
			g.took(k, []*target{m}, a, "on its way into Standby, by this activity")
		}
		return ok
	})
	if len(eligible) == 0 {
		return nil
	}
	r := g.room(c, len(eligible), len(underWay), unsure)
	sure, maybe := min(r.sure, len(eligible)), min(r.maybe, len(eligible))
	if sure == len(eligible) {
		return eligible
	}
	for _, m := range eligible[sure:] {
		for _, p := range m.parts {
			g.out[p.t].guard = cmp.Or(g.out[p.t].guard, r.guard)
		}
	}
	g.failEach(eligible[sure:maybe], r.unsettled)
	g.failEach(eligible[maybe:], r.refusal)
	return eligible[:sure]
}

// failEach records err as what became of targets.
func (g *groupPlan) failEach(targets []*target, err error) {
	for _, m := range targets {
		line := g.foundLine(m)
		line.fail(err)
		g.set(m, line)
	}
}

// counts are Auto Scaling's counts of a group's instances.
type counts struct {
	inService, standby, total int
	empty                     bool // none there, and none of the instances found: nothing to judge
}

// counts reads the group's counts (Standby only for MAX_STANDBY), parts
// before the whole: an instance added between the reads can only make the
// whole larger than its parts. Counts that contradict the state read are
// an error.
func (g *groupPlan) counts(eligible []*target) (c counts, err error) {
	if c.inService, err = g.count("InService"); err != nil {
		return c, err
	}
	if g.s.cfg.MaxStandby.set() {
		if c.standby, err = g.count("Standby"); err != nil {
			return c, err
		}
	}
	if c.total, err = g.count(""); err != nil {
		return c, err
	}
	verified := 0
	for _, m := range eligible {
		if !m.unverified {
			verified++
		}
	}
	if c.inService < verified || c.total < c.inService+c.standby {
		return c, &Error{Kind: Unavailable, Code: "ServiceUnavailable", Message: fmt.Sprintf(
			"Auto Scaling's counts of %s do not add up (%d InService, %d in Standby, %d in all, and %d InService just read there; an instance may have moved between the counts): nothing is assumed, and a retry counts again",
			g.key.group, c.inService, c.standby, c.total, verified)}
	}
	c.empty = verified == 0 && c.total == 0
	return c, nil
}

// room is what the guards leave room for. Instances on their way into or
// out of Standby (this process's, not yet shown by a read) may or may not
// be in the counts yet, so the room is a range: sure, were each counted
// where it is going; maybe, were the counts to show them all already.
// Past maybe an instance is refused for good; between the two it is left
// to a retry (unsettled), never guessed at.
type room struct {
	sure, maybe        int
	refusal, unsettled *Error
	guard              string // the setting that refuses
}

// bound is one guard's room.
type bound struct {
	sure, maybe int
	guard, code string
	message     string // the refusal's, of its counts
}

// room judges the tighter of MIN_IN_SERVICE and MAX_STANDBY for asked
// instances. underWay are on their way into Standby and InService in the
// counts; unsure may be on their way, in either state in the counts; the
// exits under way (returning) are on their way out.
func (g *groupPlan) room(c counts, asked, underWay, unsure int) room {
	minIn, maxStandby := g.s.cfg.MinInService, g.s.cfg.MaxStandby
	returning := g.returning()
	var bounds []bound
	if minIn.set() {
		keep, setting := minIn.of(c.total, true)
		free := c.inService - underWay - keep
		bounds = append(bounds, bound{sure: free - unsure, maybe: free + returning, guard: "MIN_IN_SERVICE", code: MinInServiceCode,
			message: fmt.Sprintf("scaling group %s must keep %d of its %d instances InService (MIN_IN_SERVICE=%s), and has %d", g.key.group, keep, c.total, setting, c.inService-underWay)})
	}
	if maxStandby.set() {
		most, setting := maxStandby.of(c.total, false)
		free := most - c.standby - underWay
		bounds = append(bounds, bound{sure: free - unsure, maybe: free + returning, guard: "MAX_STANDBY", code: MaxStandbyCode,
			message: fmt.Sprintf("scaling group %s may have at most %d of its %d instances in Standby (MAX_STANDBY=%s), and has %d", g.key.group, most, c.total, setting, c.standby+underWay)})
	}
	r := room{sure: asked, maybe: asked}
	for _, b := range bounds {
		b.sure, b.maybe = max(b.sure, 0), max(b.maybe, 0)
		if b.maybe < r.maybe {
			r.maybe, r.guard = b.maybe, b.guard
			r.refusal = &Error{Kind: Forbidden, Code: b.code, Message: fmt.Sprintf("%s: %d of the %d asked for may enter Standby", b.message, b.maybe, asked)}
		}
		if b.sure < r.sure {
			r.sure, r.guard = b.sure, cmp.Or(r.guard, b.guard)
			r.unsettled = &Error{Kind: Unavailable, Code: "Unsettled." + strings.TrimPrefix(b.code, "Forbidden."), Message: fmt.Sprintf(
				"%s, with %d instances on their way into or out of Standby that its counts may not show yet: whether there is room is not settled, and a retry judges again", b.message, unsure+returning)}
		}
	}
	r.sure = min(r.sure, r.maybe)
	return r
}

// returning counts the instances on their way out of Standby that the
// counts may not show yet, each once: the plan's own exits, and any
// plan's that no read has shown done (exits: a sweep's, an OK's), which
// may free room the counts do not show. Refusing past the room they may
// free is final; short of it, left to a retry.
func (g *groupPlan) returning() int {
	ids := map[string]bool{}
	for _, m := range g.exited {
		ids[m.id] = true
	}
	for _, id := range g.s.exits.pending(g.key.group, g.s.now()) {
		ids[id] = true
	}
	return len(ids)
}

// observe reads, before the counts, the state of the instances of the
// group this process moved that no read has shown where they were going.
// It returns those it put into Standby that it shows still InService: on
// their way, as far as the counts read next know; those shown in Standby
// are in the counts. The exits under way (exits) that it shows InService,
// or gone from the group, are in the counts too: they are forgotten, and
// no longer leave a refusal unsettled.
func (g *groupPlan) observe() ([]string, error) {
	ids := g.s.moved.unseen(g.key.group)
	out := g.s.exits.pending(g.key.group, g.s.now())
	if len(ids)+len(out) == 0 {
		return nil, nil
	}
	r := g.s.readAll(g.ctx, g.sess, g.key.group, append(slices.Clone(ids), out...))
	g.st.add(r.st)
	if err := r.err(); err != nil {
		return nil, err
	}
	g.s.exits.drop(g.key.group, slices.DeleteFunc(out, func(id string) bool {
		in, found := r.found[id]
		return found && in.LifecycleState != "InService"
	}))
	return slices.DeleteFunc(ids, func(id string) bool { return r.found[id].LifecycleState != "InService" }), nil
}

// leaving reads again, after the counts, the instances observe found on
// their way (whatever other reads noted since: the counts were taken
// before). Those still InService with their activity under way are
// returned with it. The others are unsure: out of InService now (they may
// have landed before the counts or after), their activity unknown to Auto
// Scaling (or its answer lost), or their activity over though they read
// InService (taken back, or a read behind its activity); each such is
// counted once, and then forgotten, unless a dry run counts it.
func (g *groupPlan) leaving(ids []string, dryRun bool) (underWay map[string]Activity, unsure int, err error) {
	if len(ids) == 0 {
		return nil, 0, nil
	}
	r := g.s.readAll(g.ctx, g.sess, g.key.group, ids)
	g.st.add(r.st)
	if err := r.err(); err != nil {
		return nil, 0, err
	}
	byActivity := map[string][]string{}
	var activities []string
	for _, id := range ids {
		a, ok := g.s.moved.entering(id)
		in, found := r.found[id]
		switch {
		case !ok || !found:
			continue // gone, or forgotten
		case in.LifecycleState != "InService" || a.ScalingActivityID == "":
			unsure++ // out of InService now (readAll noted it), or no activity to ask of
			continue
		}
		if byActivity[a.ScalingActivityID] == nil {
			activities = append(activities, a.ScalingActivityID)
		}
		byActivity[a.ScalingActivityID] = append(byActivity[a.ScalingActivityID], id)
	}
	status := map[string]string{}
	for chunk := range slices.Chunk(activities, batchSize) {
		var statuses []ActivityStatus
		if err := g.retry(func(ctx context.Context) (err error) {
			statuses, err = g.s.cloud.Scaling.ActivityStatuses(ctx, g.sess, chunk)
			return err
		}); err != nil {
			return nil, 0, err
		}
		for _, st := range statuses {
			status[st.ScalingActivityID] = st.StatusCode
		}
	}
	underWay = map[string]Activity{}
	for _, id := range activities {
		for _, instance := range byActivity[id] {
			switch code, known := status[id]; {
			case !known:
				unsure++
			case slices.Contains(terminal, code):
				unsure++
				if !dryRun {
					g.s.moved.forget(instance)
				}
			default:
				underWay[instance], _ = g.s.moved.get(instance, EnterStandby)
			}
		}
	}
	return underWay, unsure, nil
}

// count reads how many instances the group has in state ("": in all).
func (g *groupPlan) count(state string) (n int, err error) {
	err = g.retry(func(ctx context.Context) (err error) {
		n, err = g.s.cloud.Scaling.CountInstances(ctx, g.sess, g.key.group, state)
		return err
	})
	if err == nil && n < 0 {
		err = &Error{Kind: Unavailable, Code: "ServiceUnavailable", Message: "Auto Scaling answered a negative count"}
	}
	return n, err
}
