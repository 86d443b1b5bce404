package standby

import (
	"context"
	"fmt"
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

// retryable says whether a failed call may succeed if made again: throttling,
// Auto Scaling failing or unreachable, a call that timed out, and a group
// busy with another activity.
func retryable(err error) bool {
	e := AsError(err)
	switch e.Kind {
	case Throttled, Unavailable, Timeout:
		return true
	}
	return e.Code == "IncorrectScalingGroupStatus" || e.Code == "ScalingActivityInProgress"
}

// retry makes a call until it succeeds, fails for good, or the invocation's
// remaining time would not cover another attempt. The call is the same each
// time: a Standby call keeps its ClientToken.
func (s *Service) retry(ctx context.Context, st *Stats, do func(context.Context) error) error {
	delay := retryBase
	for attempt := 1; ; attempt++ {
		st.Attempts++
		err := do(ctx)
		if err == nil || !retryable(err) || attempt == maxAttempts {
			return err
		}
		wait := s.jitter(delay)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait+retryReserve {
			return err
		}
		if s.sleep(ctx, wait) != nil {
			return err
		}
		st.Backoff += wait
		delay = min(2*delay, retryCap)
	}
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

// execute makes the plan's calls, each retried on its own: a failed call
// does not stop the others. It returns the first failure, if any.
func (s *Service) execute(ctx context.Context, st *Stats, sess Session, p *plan) error {
	var first error
	failed := 0
	for _, call := range p.calls {
		var a Activity
		err := s.retry(ctx, st, func(ctx context.Context) (err error) {
			a, err = s.scaling.Standby(ctx, sess, call)
			return err
		})
		if err != nil {
			failed++
			if first == nil {
				first = err
			}
			e := AsError(err)
			p.mark(call.InstanceIDs, "Failed", "", e.Code+": "+e.Message)
			continue
		}
		p.took(call, a, "")
	}
	if first != nil && failed < len(p.calls) {
		e := *AsError(first)
		e.Message = fmt.Sprintf("%d of %d calls failed; the first: %s", failed, len(p.calls), e.Message)
		return &e
	}
	return first
}

// took records the activity a call started.
func (p *plan) took(call StandbyCall, a Activity, reason string) {
	p.activities = append(p.activities, a)
	p.mark(call.InstanceIDs, p.req.Action.done(), a.ScalingActivityID, reason)
}

// mark records what became of instances. Lines for duplicates, which
// follow those of the instances named, keep saying so.
func (p *plan) mark(ids []string, result, activityID, reason string) {
	for i, line := range p.report[:len(p.req.InstanceIDs)] {
		if slices.Contains(ids, line.InstanceID) {
			p.report[i].Result, p.report[i].ScalingActivityID, p.report[i].Reason = result, activityID, reason
		}
	}
}

// replay answers a re-delivered event as its first delivery was answered.
// The first delivery moved the instances, so now there is nothing to do; but
// the same calls, with the same tokens, make Auto Scaling answer with the
// activities they started then, and start nothing. Where the calls are not
// the same (some instances were already in Standby before), Auto Scaling
// refuses them, and the instances stay reported as skipped.
func (s *Service) replay(ctx context.Context, st *Stats, sess Session, p *plan) {
	var done []ScalingInstance
	for _, in := range p.found {
		if in.LifecycleState == p.req.Action.to() {
			done = append(done, in)
		}
	}
	for _, call := range p.batches(done) {
		st.Attempts++
		if a, err := s.scaling.Standby(ctx, sess, call); err == nil {
			p.took(call, a, "an earlier delivery of this event did it")
		}
	}
}

// terminal are the final statuses of a scaling activity.
var terminal = []string{"Successful", "Warning", "Failed", "Rejected"}

// wait polls the activities until each is final, or the invocation is
// nearly out of time, and records their statuses.
func (s *Service) wait(ctx context.Context, st *Stats, sess Session, p *plan) {
	interval := 500 * time.Millisecond
	for {
		var pending []string
		for _, a := range p.activities {
			if !slices.Contains(terminal, a.StatusCode) {
				pending = append(pending, a.ScalingActivityID)
			}
		}
		if len(pending) == 0 {
			return
		}
		for chunk := range slices.Chunk(pending, batchSize) {
			var statuses []ActivityStatus
			if s.retry(ctx, st, func(ctx context.Context) (err error) {
				statuses, err = s.scaling.ActivityStatuses(ctx, sess, chunk)
				return err
			}) != nil {
				return // the activities keep the status last seen
			}
			for _, status := range statuses {
				for i := range p.activities {
					if p.activities[i].ScalingActivityID == status.ScalingActivityID {
						p.activities[i].StatusCode, p.activities[i].StatusMessage = status.StatusCode, status.StatusMessage
					}
				}
			}
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < interval+retryReserve {
			return
		}
		if s.sleep(ctx, interval) != nil {
			return
		}
		interval = min(2*interval, retryCap)
	}
}
