package standby

import (
	"context"
	"slices"
	"time"
)

// Retries: exponential backoff with full jitter, starting at retryBase and
// capped at retryCap, while the invocation has retryReserve left beyond the
// wait (time for another call, and to answer).
const (
	retryBase    = 100 * time.Millisecond
	retryCap     = 3 * time.Second
	retryReserve = time.Second
	maxAttempts  = 12
)

// Retryable says whether a failed call may succeed if made again:
// throttling, Auto Scaling failing, unreachable or answering what cannot be
// trusted, a call that timed out, and a group busy with another activity.
func Retryable(err error) bool {
	e := AsError(err)
	switch e.Kind {
	case Throttled, Unavailable, Timeout:
		return true
	}
	return e.Code == "IncorrectScalingGroupStatus" || e.Code == "ScalingActivityInProgress"
}

// retry makes a call until it succeeds, fails for good, or the invocation's
// remaining time would not cover another attempt. The call is the same each
// time: a Standby call keeps its ClientToken. It says what the attempts
// cost.
func (s *Service) retry(ctx context.Context, do func(context.Context) error) (st Stats, err error) {
	delay := retryBase
	for attempt := 1; ; attempt++ {
		st.Attempts++
		err = do(ctx)
		if err == nil || !Retryable(err) || attempt == maxAttempts {
			return st, err
		}
		wait := s.jitter(delay)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait+retryReserve {
			return st, err
		}
		if s.sleep(ctx, wait) != nil {
			return st, err
		}
		st.Backoff += wait
		delay = min(2*delay, retryCap)
	}
}

// retry is Service.retry under the plan's context, counted in its stats.
func (g *groupPlan) retry(do func(context.Context) error) error {
	st, err := g.s.retry(g.ctx, do)
	g.st.add(st)
	return err
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errNoActivity: a Standby call answered without an activity. Nothing is
// taken as done that Auto Scaling did not confirm; the same call, with the
// same token, is safe to make again.
var errNoActivity = &Error{Kind: Unavailable, Code: "ServiceUnavailable",
	Message: "Auto Scaling answered without a ScalingActivityId: nothing is taken as done"}

// maxNarrowing bounds how often a call refused for some of its instances is
// made again for the others.
const maxNarrowing = 2

// call makes one call for at most 20 targets, retried on its own. When
// Auto Scaling refuses it for an instance's state or existence, the
// instances are read again: those another invocation moved meanwhile are
// reported done by it, those that cannot move are reported, and the call
// is made again, with its own token, for the others.
func (g *groupPlan) call(k callShape, targets []*target) {
	for narrowed := 0; ; narrowed++ {
		a, err := g.makeCall(g.standbyCall(k, targets))
		if err == nil {
			for _, m := range targets {
				g.s.moved.put(m.id, k.action, a, false)
			}
			g.took(k, targets, a, "")
			return
		}
		if narrowed < maxNarrowing && narrowable(err) && !targets[0].unverified {
			rest, ok, readErr := g.narrow(k, targets)
			switch {
			case readErr != nil:
				err = readErr // the read again failed: what may be retried is not refused
			case ok && len(rest) == 0:
				return
			case ok:
				targets = rest
				continue
			}
		}
		g.callFailed(k, targets, err)
		return
	}
}

// makeCall makes a Standby call, retried; an answer without an activity is
// no answer.
func (g *groupPlan) makeCall(c Call) (Activity, error) {
	var a Activity
	g.exitCalled(c) // issue 26 case 9: an exit under way leaves a guard's refusal unsettled (exits.go)
	err := g.retry(func(ctx context.Context) (err error) {
		if a, err = g.s.cloud.Scaling.Standby(ctx, g.sess, c); err == nil && a.ScalingActivityID == "" {
			err = errNoActivity
		}
		return err
	})
	g.exitAnswered(c, err) // issue 26 case 9
	g.changed = true
	return a, err
}

// callFailed records what became of a call's targets that failed for err.
func (g *groupPlan) callFailed(k callShape, targets []*target, err error) {
	if k.action == EnterStandby && Retryable(err) {
		// It may have reached Auto Scaling: count it as on its way.
		for _, m := range targets {
			g.s.moved.maybeEntering(m.id, g.key.group)
		}
	}
	g.failEach(targets, err)
}

// narrowable: Auto Scaling refused a call for the state or the existence
// of an instance in it.
func narrowable(err error) bool {
	e := AsError(err)
	return (e.Kind == Conflict || e.Kind == NotFound) && !Retryable(e) && e.Code != "IdempotentParameterMismatch"
}

// narrow reads a refused call's instances again and decides those that can
// no longer move; it returns the others, and false when the read changes
// nothing (the refusal stands).
func (g *groupPlan) narrow(k callShape, targets []*target) ([]*target, bool, error) {
	ids := make([]string, len(targets))
	for i, m := range targets {
		ids[i] = m.id
	}
	if err := g.reread(ids); err != nil {
		return nil, false, err
	}
	at := sortOut(k.action, g.key.group, g.state, targets)
	if len(at.eligible) == len(targets) {
		return nil, false, nil
	}
	g.recordSkips(at.skips)
	g.already(k, at.done, targets)
	return at.eligible, true, nil
}

// already reports targets found in the state the action leads to. Those
// this process moved lately are answered with the activity that did it.
// For a ticket with nothing left to do, the others are answered by
// replaying its calls: the same instances from the same event make the
// same tokens, and Auto Scaling answers a token it has seen with the
// activity it started then, starting nothing. A replay Auto Scaling does not
// answer with an activity leaves the instance reported as it was found.
func (g *groupPlan) already(k callShape, done, eligible []*target) {
	remembered := map[string]Activity{}
	for _, m := range done {
		if a, ok := g.s.moved.get(m.id, k.action); ok {
			remembered[m.id] = a
		}
	}
	at := sortDone(k, done, eligible, g.ruleOf, remembered)
	for _, m := range at.earlier {
		g.took(k, []*target{m}, remembered[m.id], doneEarlier)
	}
	for _, m := range at.asFound {
		g.skipAlready(k, m)
	}
	g.replayCalls(k, at.replay)
	for _, m := range at.replay {
		g.skipAlready(k, m) // a replay not answered with an activity: as found
	}
}

// alreadyThere is how targets found where the action leads are answered:
// with the activity this process remembers (earlier), by replaying their
// tickets' calls (replay), or as found (asFound).
type alreadyThere struct {
	earlier, replay, asFound []*target
}

// sortDone sorts the targets found where the action leads (done), beside
// those the plan calls for (eligible), by what this process remembers of
// them (remembered: the activity that moved each lately) and the rules of
// those back InService that the ends read (ruleOf; nil: not read).
func sortDone(k callShape, done, eligible []*target, ruleOf map[string]string, remembered map[string]Activity) alreadyThere {
	busy := map[*ticket]bool{} // tickets with calls of their own
	for _, m := range eligible {
		for _, p := range m.parts {
			busy[p.t] = true
		}
	}
	var at alreadyThere
	for _, m := range done {
		_, known := remembered[m.id]
		switch {
		case slices.ContainsFunc(m.parts, func(p *part) bool {
			rule, ok := ruleOf[m.id]
			return p.t.req.IfParkedFor != "" && (!ok || rule != p.t.req.IfParkedFor)
		}):
			// An end that may take back only what its rule parked claims no
			// exit its rule's tags do not still show (a retry whose tags were
			// not removed): another end's, or another caller's, would answer
			// it.
			at.asFound = append(at.asFound, m)
		case known && !k.dryRun:
			at.earlier = append(at.earlier, m)
		case !k.dryRun && !slices.ContainsFunc(m.parts, func(p *part) bool { return busy[p.t] }):
			at.replay = append(at.replay, m) // reported once its replay answers
		default:
			at.asFound = append(at.asFound, m)
		}
	}
	return at
}

// replayCalls replays, for targets found where the action leads, their
// tickets' calls (replaySets), and answers each target a replay answers
// with an activity.
func (g *groupPlan) replayCalls(k callShape, targets []*target) {
	replayed := map[string]Activity{}
	for _, set := range replaySets(targets) {
		c := g.standbyCall(k, set)
		a, made := replayed[c.ClientToken]
		if !made {
			g.st.Attempts++
			a, _ = g.s.cloud.Scaling.Standby(g.ctx, g.sess, c) // a refusal leaves them as found
			replayed[c.ClientToken] = a
		}
		if a.ScalingActivityID != "" {
			for _, m := range set {
				g.s.moved.put(m.id, k.action, a, true)
			}
			g.took(k, set, a, replayedReason)
		}
	}
}

// replaySets are the replays of targets: one per ticket (part), its own
// instances, 20 a call, with its own tokens; a call two tickets would both
// make has the same token, and is made once (replayCalls).
func replaySets(targets []*target) [][]*target {
	var sets [][]*target
	for _, p := range partsOf(targets) {
		var own []*target
		for _, m := range targets {
			if slices.Contains(m.parts, p) {
				own = append(own, &target{id: m.id, parts: []*part{p}})
			}
		}
		sets = slices.AppendSeq(sets, slices.Chunk(sortedByID(own), batchSize))
	}
	return sets
}

// skipAlready reports a target found where the action leads, when nothing
// else has been reported for it.
func (g *groupPlan) skipAlready(k callShape, m *target) {
	line := g.foundLine(m)
	line.Result, line.Reason = skipped, "already "+k.action.to()
	g.set(m, line)
}

// partsOf lists the parts naming targets, in order.
func partsOf(targets []*target) []*part {
	var parts []*part
	for _, m := range targets {
		for _, p := range m.parts {
			if !slices.Contains(parts, p) {
				parts = append(parts, p)
			}
		}
	}
	return parts
}

// terminal are the final statuses of a scaling activity.
var terminal = []string{"Successful", "Warning", "Failed", "Rejected"}

// wait polls activities until each is final, or the invocation is nearly
// out of time, and records their statuses.
func (s *Service) wait(ctx context.Context, sess Session, activities []Activity) Stats {
	var st Stats
	interval := 500 * time.Millisecond
	for {
		var pending []string
		for _, a := range activities {
			if !slices.Contains(terminal, a.StatusCode) && !slices.Contains(pending, a.ScalingActivityID) {
				pending = append(pending, a.ScalingActivityID)
			}
		}
		if len(pending) == 0 {
			return st
		}
		for chunk := range slices.Chunk(pending, batchSize) {
			var statuses []ActivityStatus
			polled, err := s.retry(ctx, func(ctx context.Context) (err error) {
				statuses, err = s.cloud.Scaling.ActivityStatuses(ctx, sess, chunk)
				return err
			})
			st.add(polled)
			if err != nil {
				return st // the activities keep the status last seen
			}
			for _, status := range statuses {
				for i := range activities {
					if activities[i].ScalingActivityID == status.ScalingActivityID {
						activities[i].StatusCode, activities[i].StatusMessage = status.StatusCode, status.StatusMessage
					}
				}
			}
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < interval+retryReserve {
			return st
		}
		if s.sleep(ctx, interval) != nil {
			return st
		}
		interval = min(2*interval, retryCap)
	}
}
