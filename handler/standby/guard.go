package standby

import (
	"context"
	"fmt"
	"slices"
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
// that the counts may not show yet counts as parked. A count that cannot
// be read, or contradicts the state read, refuses them all: nothing is
// assumed.
func (g *groupPlan) guard(k kind, eligible []*member) []*member {
	if !g.s.cfg.MinInService.set() && !g.s.cfg.MaxStandby.set() {
		return eligible
	}
	underWay, unknown, err := g.leaving()
	if err != nil {
		g.failEach(eligible, err)
		return nil
	}
	// Asked for again while on its way: answered with the activity taking it.
	eligible = slices.DeleteFunc(eligible, func(mem *member) bool {
		a, ok := underWay[mem.id]
		switch {
		case ok && k.dryRun:
			line := g.line(mem)
			line.Result, line.Reason = skipped, "on its way into Standby, by "+a.ScalingActivityID
			g.set(mem, line)
		case ok:
			g.took(k, []*member{mem}, a, "on its way into Standby, by this activity")
		}
		return ok
	})
	if len(eligible) == 0 {
		return nil
	}
	room, refusal, guard, err := g.room(eligible, len(underWay)+unknown)
	if err != nil {
		g.failEach(eligible, err)
		return nil
	}
	if room >= len(eligible) {
		return eligible
	}
	for _, mem := range eligible[room:] {
		for _, p := range mem.parts {
			g.out[p.t].guard = guard
		}
	}
	g.failEach(eligible[room:], refusal)
	return eligible[:room]
}

// failEach records err as what became of members.
func (g *groupPlan) failEach(members []*member, err error) {
	for _, m := range members {
		line := g.line(m)
		line.fail(err)
		g.set(m, line)
	}
}

// room is how many of the eligible instances may enter Standby, with the
// refusal of the others and the setting that refuses them: the tighter of
// MIN_IN_SERVICE and MAX_STANDBY. leaving counts instances on their way
// into Standby that the counts may still show InService.
func (g *groupPlan) room(eligible []*member, leaving int) (int, *Error, string, error) {
	minIn, maxStandby := g.s.cfg.MinInService, g.s.cfg.MaxStandby
	// The parts first, then the whole: an instance added between the reads
	// can only make the whole larger than its parts, never smaller.
	inService, err := g.count("InService")
	if err != nil {
		return 0, nil, "", err
	}
	standby := 0
	if maxStandby.set() {
		if standby, err = g.count("Standby"); err != nil {
			return 0, nil, "", err
		}
	}
	total, err := g.count("")
	if err != nil {
		return 0, nil, "", err
	}
	verified := 0
	for _, mem := range eligible {
		if !mem.unverified {
			verified++
		}
	}
	if inService < verified || total < inService+standby {
		return 0, nil, "", &Error{Kind: Unavailable, Code: "ServiceUnavailable", Message: fmt.Sprintf(
			"Auto Scaling counts %d instances InService and %d in Standby of %d in %s, though %d InService were just read there: nothing is assumed", inService, standby, total, g.key.group, verified)}
	}
	if verified == 0 && total == 0 {
		return len(eligible), nil, "", nil // nothing there to keep: the calls let Auto Scaling answer
	}
	room, refusal, guard := len(eligible), (*Error)(nil), ""
	if minIn.set() {
		keep, setting := minIn.of(total, true)
		free := max(inService-leaving-keep, 0)
		if free < room {
			room, guard = free, "MIN_IN_SERVICE"
			refusal = &Error{Kind: Forbidden, Code: MinInServiceCode, Message: fmt.Sprintf(
				"scaling group %s must keep %d of its %d instances InService (MIN_IN_SERVICE=%s): %d are, so %d of the %d asked for may enter Standby",
				g.key.group, keep, total, setting, inService-leaving, free, len(eligible))}
		}
	}
	if maxStandby.set() {
		most, setting := maxStandby.of(total, false)
		free := max(most-standby-leaving, 0)
		if free < room {
			room, guard = free, "MAX_STANDBY"
			refusal = &Error{Kind: Forbidden, Code: MaxStandbyCode, Message: fmt.Sprintf(
				"scaling group %s may have at most %d of its %d instances in Standby (MAX_STANDBY=%s), and has %d: %d of the %d asked for may enter Standby",
				g.key.group, most, total, setting, standby+leaving, free, len(eligible))}
		}
	}
	return room, refusal, guard, nil
}

// leaving finds the instances of the group this process put into Standby
// lately that a read still shows InService: on their way out, the counts
// may still show them InService. Those whose activity Auto Scaling says is
// under way are returned with it; those whose activity it does not know
// are counted; one whose activity is over, though it reads InService, was
// taken back, and is forgotten.
func (g *groupPlan) leaving() (underWay map[string]Activity, unknown int, err error) {
	ids := g.s.moved.unseen(g.key.group)
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
		a, ok := g.s.moved.get(id, EnterStandby)
		if !ok || r.found[id].LifecycleState != "InService" {
			continue // out of InService now (readAll noted it), or gone
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
			statuses, err = g.s.scaling.ActivityStatuses(ctx, g.sess, chunk)
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
				unknown++
			case slices.Contains(terminal, code):
				g.s.moved.forget(instance)
			default:
				underWay[instance], _ = g.s.moved.get(instance, EnterStandby)
			}
		}
	}
	return underWay, unknown, nil
}

// count reads how many instances the group has in state ("": in all).
func (g *groupPlan) count(state string) (n int, err error) {
	err = g.retry(func(ctx context.Context) (err error) {
		n, err = g.s.scaling.CountInstances(ctx, g.sess, g.key.group, state)
		return err
	})
	if err == nil && n < 0 {
		err = &Error{Kind: Unavailable, Code: "ServiceUnavailable", Message: "Auto Scaling answered a negative count"}
	}
	return n, err
}
