package handler

import (
	"context"
	"slices"
	"time"

	"ess-standby/handler/notify"
	"ess-standby/handler/standby"
)

// NotifyBudget bounds the time a notification adds to an invocation's
// answer: CloudMonitor gives a callback 5 s, and an answer in a storm takes
// about one.
const NotifyBudget = 2 * time.Second

// notify sends ev to NOTIFY_URL, within NotifyBudget and the invocation's
// own time.
func (h *Handler) notify(ctx context.Context, ev notify.Event) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), NotifyBudget)
	defer cancel()
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= 0 {
		return context.DeadlineExceeded
	}
	return h.notifier.Send(ctx, ev)
}

// notice is what NOTIFY_URL hears of an invocation: one message when it
// acted (or, in a dry run, would have), when a guard refused, or when a
// sweep found something other than running leases. A re-delivery answered
// with what an earlier one did, an ignored event, a refusal of the input
// are not news.
func (c *invocation) notice(a report, outcome string) (notify.Event, bool) {
	if c.h.notifier == nil {
		return notify.Event{}, false
	}
	ev := notify.Event{RequestID: c.inv.RequestID, Trigger: c.rec.source, Outcome: outcome, DryRun: a.DryRun, Build: c.h.build}
	news := c.rec.stats.Guard != ""
	add := func(in notify.Instance) {
		ev.Instances = append(ev.Instances, in)
		if in.ScalingGroupID != "" && !slices.Contains(ev.Groups, in.ScalingGroupID) {
			ev.Groups = append(ev.Groups, in.ScalingGroupID)
		}
	}
	if a.Sweep != nil {
		ev.DryRun = a.Sweep.DryRun
		for _, l := range a.Sweep.Instances {
			news = news || l.Result != standby.Leased
			add(notify.Instance{InstanceID: l.InstanceID, ScalingGroupID: l.ScalingGroupID, Result: l.Result, Code: l.Code, Reason: l.Reason})
		}
	}
	for _, l := range a.Instances {
		news = news || l.Acted()
		add(notify.Instance{InstanceID: l.InstanceID, ScalingGroupID: l.ScalingGroupID, Result: l.Result, Code: l.Code, Reason: l.Reason, ScalingActivityID: l.ScalingActivityID})
	}
	return ev, news
}
