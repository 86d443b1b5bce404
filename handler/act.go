package handler

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"ess-standby/handler/standby"
	"ess-standby/handler/trigger"
)

// answer is the function's answer: the core's, and what it says of the
// events themselves.
type answer struct {
	standby.Answer
	Ignored string        `json:"Ignored,omitempty"` // nothing was done, and why
	Events  []EventReport `json:"Events,omitempty"`  // a batch: what became of each event
}

// EventReport says what became of one event of a batch.
type EventReport struct {
	Event       int      `json:"Event"` // its place in the batch, from 0
	Source      string   `json:"Source"`
	Result      string   `json:"Result"` // Acted, Ignored or Superseded
	Reason      string   `json:"Reason,omitempty"`
	InstanceIDs []string `json:"InstanceIds,omitempty"`
}

// member is an event that calls for action, once checked.
type member struct {
	index    int
	req      standby.Request
	identity string
}

// act checks every event, sets aside those that call for nothing, and runs
// the others: one request for a single event; for a batch, its events'
// instances merged per action and region, each instance acted on as the
// last event naming it asks. An invalid event fails the whole invocation
// before any call, naming every problem of every event.
func (h *Handler) act(ctx context.Context, inv standby.Invocation, events []trigger.Event, batch bool, st *standby.Stats) (answer, error) {
	now := h.now()
	var problems standby.Problems
	var members []member
	reports := make([]EventReport, len(events))
	for i, ev := range events {
		if ev.Recovered && h.cfg.ExitOnOK {
			ev.Ignored, ev.Draft.Action = "", standby.Param{Name: "EXIT_ON_OK", Value: string(standby.ExitStandby)}
		}
		reports[i] = EventReport{Event: i, Source: ev.Source}
		prefix := ""
		if batch {
			prefix = "[" + strconv.Itoa(i) + "]."
		}
		switch why := h.stale(ev, now); {
		case why != "":
			reports[i].Result, reports[i].Reason = "Ignored", why
		case ev.Ignored != "" && ev.Draft.Empty():
			reports[i].Result, reports[i].Reason = "Ignored", ev.Ignored
		default:
			// Validation adds its problems to decoding's: all are reported.
			req := ev.Draft.Check(h.svc.MaxInstances())
			if !ev.Draft.Empty() {
				problems.Include(prefix, ev.Draft.Problems)
				continue
			}
			members = append(members, member{index: i, req: req, identity: ev.Identity})
		}
	}
	if err := problems.Err(); err != nil {
		return answer{}, err
	}
	if len(members) == 0 {
		return ignoredAnswer(reports, batch), nil
	}
	requests := []member{members[0]}
	if batch {
		var err error
		if requests, err = h.merge(inv, members, reports); err != nil {
			return answer{}, err
		}
	}
	var a answer
	var first error
	for _, m := range requests {
		got, err := h.svc.Run(ctx, inv, m.req, m.identity, st)
		a.Answer = a.Answer.Merge(got)
		if first == nil {
			first = err
		}
	}
	if batch {
		a.Events = reports
	}
	return a, first
}

// stale says why an event is too old to act on, if it is: deliveries are
// retried for a long time, and an alarm that could not act in time should
// not act hours later. An event that carries no time is never stale.
func (h *Handler) stale(ev trigger.Event, now time.Time) string {
	if h.cfg.MaxEventAge <= 0 || ev.Time.IsZero() {
		return ""
	}
	if age := now.Sub(ev.Time); age > h.cfg.MaxEventAge {
		return fmt.Sprintf("the event is %s old, older than MAX_EVENT_AGE=%s", age.Round(time.Second), h.cfg.MaxEventAge)
	}
	return ""
}

// ignoredAnswer answers events none of which calls for anything.
func ignoredAnswer(reports []EventReport, batch bool) answer {
	if !batch {
		return answer{Ignored: reports[0].Reason}
	}
	return answer{Ignored: fmt.Sprintf("none of the %d events calls for Standby", len(reports)), Events: reports}
}

// merge makes a batch's members into one request per action and region.
// Each instance goes to the last event that names it (an alarm that fired
// and recovered within one batch ends recovered); an event left with no
// instance of its own is reported superseded. Each request's tokens derive
// from the identities of the events it serves, so the same batch delivered
// again makes the same calls.
func (h *Handler) merge(inv standby.Invocation, members []member, reports []EventReport) ([]member, error) {
	last := map[string]int{} // instance → the last member naming it
	for i, m := range members {
		for _, id := range m.req.InstanceIDs {
			last[id] = i
		}
	}
	type key struct {
		action standby.Action
		region string
	}
	var order []key
	merged := map[key]*member{}
	identities := map[key][]string{}
	total := 0
	for i, m := range members {
		var own []string
		for _, id := range m.req.InstanceIDs {
			if last[id] == i {
				own = append(own, id)
			}
		}
		if len(own) == 0 {
			later := members[last[m.req.InstanceIDs[0]]].index
			reports[m.index].Result, reports[m.index].Reason = "Superseded", "event "+strconv.Itoa(later)+" of this batch names its instances later"
			continue
		}
		reports[m.index].Result, reports[m.index].InstanceIDs = "Acted", own
		k := key{m.req.Action, h.svc.Region(inv, m.req)}
		if merged[k] == nil {
			order = append(order, k)
			merged[k] = &member{index: m.index, req: standby.Request{Action: k.action, RegionID: k.region}}
		}
		merged[k].req.InstanceIDs = append(merged[k].req.InstanceIDs, own...)
		identities[k] = append(identities[k], cmp.Or(m.identity, "request:"+inv.RequestID+"#"+strconv.Itoa(m.index)))
		total += len(own)
	}
	if limit := h.svc.MaxInstances(); total > limit {
		return nil, &standby.Error{Kind: standby.Invalid, Code: "InvalidParameter",
			Message: fmt.Sprintf("InstanceId: at most %d instances per invocation (MAX_INSTANCES), the batch names %d", limit, total)}
	}
	// Sorted, the instances and the identities make the same calls and
	// tokens whatever the order of the batch's events.
	requests := make([]member, len(order))
	for i, k := range order {
		ids := identities[k]
		slices.Sort(ids)
		slices.Sort(merged[k].req.InstanceIDs)
		merged[k].identity = "batch:" + strings.Join(ids, "\n")
		requests[i] = *merged[k]
	}
	return requests, nil
}
