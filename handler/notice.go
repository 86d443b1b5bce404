package handler

import (
	"context"
	"errors"
	"slices"
	"time"

	"ess-standby/handler/notify"
	"ess-standby/handler/standby"
)

// NotifyBudget bounds the time a notification adds to an invocation's
// answer: CloudMonitor gives a callback 5 s, and an answer in a storm takes
// about one.
const NotifyBudget = 2 * time.Second

// answerMargin is the time a notification leaves before the invocation's
// deadline, for the answer itself.
const answerMargin = 500 * time.Millisecond

// errNoTime: the invocation's time was too short to notify in.
var errNoTime = errors.New("no time left before the invocation's deadline: not sent")

// notify sends ev to NOTIFY_URL, within NotifyBudget and the invocation's
// own time, less answerMargin; a caller gone away does not stop it.
func (h *Handler) notify(ctx context.Context, ev notify.Event) error {
	end := time.Now().Add(NotifyBudget)
	if d, ok := ctx.Deadline(); ok && d.Add(-answerMargin).Before(end) {
		end = d.Add(-answerMargin)
	}
	if time.Until(end) <= 0 {
		return errNoTime
	}
	ctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), end)
	defer cancel()
	return h.notifier.Send(ctx, ev)
}

// newsGuards are the guard rails whose refusal an operator should hear of;
// a caller without AUTH_TOKEN is not one: anyone could make the robot post.
var newsGuards = []string{"MIN_IN_SERVICE", "MAX_STANDBY", "ALLOWED_SCALING_GROUP_IDS", "MAX_INSTANCES"}

// notice is what NOTIFY_URL hears of an invocation: one message when it
// acted (or, in a dry run, would have), when a guard refused, or when a
// sweep found a lease ended or an instance taken back. A duplicate
// answered from memory, an ignored event, a refusal of the input, a caller
// without the token are not news.
func (c *invocation) notice(a report, outcome string) (notify.Event, bool) {
	if c.h.notifier == nil {
		return notify.Event{}, false
	}
	ev := notify.Event{RequestID: c.inv.RequestID, Trigger: c.rec.source, Outcome: outcome, DryRun: a.DryRun, Build: c.h.build}
	news := slices.Contains(newsGuards, c.rec.stats.Guard)
	add := func(in notify.Instance) {
		ev.Instances = append(ev.Instances, in)
		if in.ScalingGroupID != "" && !slices.Contains(ev.Groups, in.ScalingGroupID) {
			ev.Groups = append(ev.Groups, in.ScalingGroupID)
		}
	}
	if a.Sweep != nil {
		ev.DryRun = a.Sweep.DryRun
		for _, l := range a.Sweep.Instances {
			// A lease ended, or taken back, is news at every sweep until it is
			// dealt with; an instance someone else parked is in the log.
			news = news || l.Result != standby.Leased && l.Result != standby.NotParked
			add(notify.Instance{InstanceID: l.InstanceID, ScalingGroupID: l.ScalingGroupID, Result: l.Result, Code: l.Code, Reason: l.Reason})
		}
	}
	for _, l := range a.Instances {
		news = news || l.Acted()
		add(notify.Instance{InstanceID: l.InstanceID, ScalingGroupID: l.ScalingGroupID, Result: l.Result, Code: l.Code, Reason: l.Reason, ScalingActivityID: l.ScalingActivityID})
	}
	return ev, news
}
