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
// is assumed. The reads gather the facts (readGuardFacts); admit judges them.
func (g *groupPlan) guard(k callShape, eligible []*target) []*target {
	l := limits{minInService: g.s.cfg.MinInService, maxStandby: g.s.cfg.MaxStandby}
	if !l.set() {
		return eligible
	}
	f, err := g.readGuardFacts(k, eligible, l)
	if err != nil {
		g.failEach(eligible, err)
		return nil
	}
	if f.counts.empty {
		return eligible // nothing there to keep: the calls let Auto Scaling answer
	}
	d := admit(l, g.key.group, f, eligible)
	g.answerOnItsWay(k, d.onItsWay, f.underWay)
	for _, m := range slices.Concat(d.unsettled, d.refused) {
		for _, p := range m.parts {
			g.out[p.t].guard = cmp.Or(g.out[p.t].guard, d.guard)
		}
	}
	g.failEach(d.unsettled, d.unsettledErr)
	g.failEach(d.refused, d.refusal)
	return d.admitted
}

// limits are the guards' settings.
type limits struct {
	minInService, maxStandby Share
}

func (l limits) set() bool { return l.minInService.set() || l.maxStandby.set() }

// guardFacts is what the guards judge by: Auto Scaling's counts, this
// process's instances on their way into Standby that the counts show
// InService (underWay, with the activity taking each), those that may be
// on their way, in either state in the counts (unsure), and the exits
// under way, which may free room the counts do not show (returning).
type guardFacts struct {
	counts    counts
	underWay  map[string]Activity
	unsure    int
	returning int
}

// readGuardFacts reads what the guards judge by: what is on its way, read on
// both sides of the counts (an instance a read shows in Standby before
// them is in Standby in them, one a read shows InService after them was
// InService in them; only one that moved in between is unsure), and the
// counts.
func (g *groupPlan) readGuardFacts(k callShape, eligible []*target, l limits) (f guardFacts, err error) {
	onTheWay, err := g.observe()
	if err != nil {
		return f, err
	}
	if f.counts, err = g.readCounts(eligible, l.maxStandby.set()); err != nil || f.counts.empty {
		return f, err
	}
	// One whose call went unanswered, asked for again here, is called for
	// again with its token: it takes its own room, not another's.
	onTheWay = slices.DeleteFunc(onTheWay, func(id string) bool {
		a, _ := g.s.moved.entering(id)
		return a.ScalingActivityID == "" && slices.ContainsFunc(eligible, func(m *target) bool { return m.id == id })
	})
	if f.underWay, f.unsure, err = g.leaving(onTheWay, k.dryRun); err != nil {
		return f, err
	}
	f.returning = g.returning()
	return f, nil
}

// admission is what the guards decide of eligible targets, first come
// first: those asked for again while on their way (answered with the
// activity taking them), those let go, those left to a retry (unsettled,
// with why) and those refused for good (with why), and the setting that
// held any back.
type admission struct {
	onItsWay, admitted, unsettled, refused []*target
	unsettledErr, refusal                  *Error
	guard                                  string
}

// admit judges the guards over eligible targets in group, by the facts.
func admit(l limits, group string, f guardFacts, eligible []*target) admission {
	var d admission
	for _, m := range eligible {
		if _, ok := f.underWay[m.id]; ok {
			d.onItsWay = append(d.onItsWay, m)
		} else {
			d.admitted = append(d.admitted, m)
		}
	}
	if len(d.admitted) == 0 {
		return d
	}
	r := roomFor(l, group, f, len(d.admitted))
	asked := d.admitted
	sure, maybe := min(r.sure, len(asked)), min(r.maybe, len(asked))
	if sure == len(asked) {
		return d
	}
	d.admitted, d.unsettled, d.refused = asked[:sure], asked[sure:maybe], asked[maybe:]
	d.unsettledErr, d.refusal, d.guard = r.unsettled, r.refusal, r.guard
	return d
}

// answerOnItsWay answers targets asked for again while on their way into
// Standby with the activity taking them; a dry run only says so.
func (g *groupPlan) answerOnItsWay(k callShape, targets []*target, underWay map[string]Activity) {
	for _, m := range targets {
		a := underWay[m.id]
		if k.dryRun {
			line := g.foundLine(m)
			line.Result, line.Reason = skipped, "on its way into Standby, by "+a.ScalingActivityID
			g.set(m, line)
			continue
		}
		g.took(k, []*target{m}, a, "on its way into Standby, by this activity")
	}
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

// readCounts reads the group's counts (Standby only when standby, for
// MAX_STANDBY), parts before the whole: an instance added between the
// reads can only make the whole larger than its parts. Counts that
// contradict the state read are an error (checkCounts).
func (g *groupPlan) readCounts(eligible []*target, standby bool) (c counts, err error) {
	if c.inService, err = g.count("InService"); err != nil {
		return c, err
	}
	if standby {
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
	return checkCounts(g.key.group, c, verified)
}

// checkCounts checks a group's counts against the verified instances the
// state read found InService there: fewer InService than that, or parts
// that add up to more than the whole, cannot be.
func checkCounts(group string, c counts, verified int) (counts, error) {
	if c.inService < verified || c.total < c.inService+c.standby {
		return c, &Error{Kind: Unavailable, Code: "ServiceUnavailable", Message: fmt.Sprintf(
			"Auto Scaling's counts of %s do not add up (%d InService, %d in Standby, %d in all, and %d InService just read there; an instance may have moved between the counts): nothing is assumed, and a retry counts again",
			group, c.inService, c.standby, c.total, verified)}
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

// roomFor judges the tighter of MIN_IN_SERVICE and MAX_STANDBY for asked
// instances of group. f.underWay are on their way into Standby and
// InService in the counts; f.unsure may be on their way, in either state
// in the counts; the exits under way (f.returning) are on their way out.
func roomFor(l limits, group string, f guardFacts, asked int) room {
	c, underWay, unsure, returning := f.counts, len(f.underWay), f.unsure, f.returning
	var bounds []bound
	if l.minInService.set() {
		keep, setting := l.minInService.of(c.total, true)
		free := c.inService - underWay - keep
		bounds = append(bounds, bound{sure: free - unsure, maybe: free + returning, guard: "MIN_IN_SERVICE", code: MinInServiceCode,
			message: fmt.Sprintf("scaling group %s must keep %d of its %d instances InService (MIN_IN_SERVICE=%s), and has %d", group, keep, c.total, setting, c.inService-underWay)})
	}
	if l.maxStandby.set() {
		most, setting := l.maxStandby.of(c.total, false)
		free := most - c.standby - underWay
		bounds = append(bounds, bound{sure: free - unsure, maybe: free + returning, guard: "MAX_STANDBY", code: MaxStandbyCode,
			message: fmt.Sprintf("scaling group %s may have at most %d of its %d instances in Standby (MAX_STANDBY=%s), and has %d", group, most, c.total, setting, c.standby+underWay)})
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
	for _, m := range g.moves.exited {
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
	entering := map[string]Activity{}
	for _, id := range ids {
		if a, ok := g.s.moved.entering(id); ok {
			entering[id] = a
		}
	}
	w := stillEntering(ids, entering, r.found)
	status, err := g.activityStatuses(w.activities)
	if err != nil {
		return nil, 0, err
	}
	underWay, unknown, over := w.settle(entering, status)
	if !dryRun {
		for _, id := range over {
			g.s.moved.forget(id)
		}
	}
	return underWay, w.unsure + unknown + len(over), nil
}

// onTheirWay is what a read shows of instances this process asked into
// Standby: those still InService, by the activity taking them (its order
// in activities), and how many are unsure.
type onTheirWay struct {
	activities []string
	of         map[string][]string // activity → its instances
	unsure     int
}

// stillEntering sorts instances on their way (entering: what this process
// knows of each; found: what a read shows): one forgotten or gone is left
// out, one out of InService now (a read noted it) or with no activity to
// ask of is unsure, the others wait for their activity's status.
func stillEntering(ids []string, entering map[string]Activity, found map[string]ScalingInstance) onTheirWay {
	w := onTheirWay{of: map[string][]string{}}
	for _, id := range ids {
		a, ok := entering[id]
		in, there := found[id]
		switch {
		case !ok || !there:
			continue // gone, or forgotten
		case in.LifecycleState != "InService" || a.ScalingActivityID == "":
			w.unsure++
			continue
		}
		if w.of[a.ScalingActivityID] == nil {
			w.activities = append(w.activities, a.ScalingActivityID)
		}
		w.of[a.ScalingActivityID] = append(w.of[a.ScalingActivityID], id)
	}
	return w
}

// settle judges the instances by their activity's status: under way, with
// it; unknown to Auto Scaling (unknown, counted); or over though they read
// InService (over: counted, and forgotten).
func (w onTheirWay) settle(entering map[string]Activity, status map[string]string) (underWay map[string]Activity, unknown int, over []string) {
	underWay = map[string]Activity{}
	for _, activity := range w.activities {
		for _, id := range w.of[activity] {
			switch code, known := status[activity]; {
			case !known:
				unknown++
			case slices.Contains(terminal, code):
				over = append(over, id)
			default:
				underWay[id] = entering[id]
			}
		}
	}
	return underWay, unknown, over
}

// activityStatuses reads the status of activities, 20 a call.
func (g *groupPlan) activityStatuses(activities []string) (map[string]string, error) {
	status := map[string]string{}
	for chunk := range slices.Chunk(activities, batchSize) {
		var statuses []ActivityStatus
		if err := g.retry(func(ctx context.Context) (err error) {
			statuses, err = g.s.cloud.Scaling.ActivityStatuses(ctx, g.sess, chunk)
			return err
		}); err != nil {
			return nil, err
		}
		for _, st := range statuses {
			status[st.ScalingActivityID] = st.StatusCode
		}
	}
	return status, nil
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
