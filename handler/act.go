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

// report is what a successful invocation answers: the core's result, and
// what the function says of the events themselves.
type report struct {
	standby.Result
	Ignored string         `json:"Ignored,omitempty"` // nothing was done, and why
	Events  []EventReport  `json:"Events,omitempty"`  // a batch: what became of each event
	Sweep   *standby.Swept `json:"Sweep,omitempty"`   // a sweep: what it found of each Standby instance
}

// EventReport says what became of one event of a batch.
type EventReport struct {
	Event       int      `json:"Event"` // its place in the batch, from 0
	Source      string   `json:"Source"`
	Result      string   `json:"Result"` // Acted, Ignored, Superseded, Refused or Failed
	Reason      string   `json:"Reason,omitempty"`
	InstanceIDs []string `json:"InstanceIds,omitempty"`
}

// checked is an event that calls for action, once checked: its place in
// the batch, and its request.
type checked struct {
	index int
	req   standby.Request
}

// MaxClockSkew is how far ahead of the function's clock an event's own time
// may be: an event dated later is no event this function can trust.
const MaxClockSkew = 5 * time.Minute

// act decides every event for itself: it sets aside those that call for
// nothing, refuses those that are invalid, and runs all the others
// together, so that one event's refusal never stops another's action and a
// batch makes one plan per group. For a batch, each instance is acted on
// as the last event naming it asks.
func (h *Handler) act(ctx context.Context, inv standby.Invocation, events []trigger.Event, batch bool) (report, standby.Stats, error) {
	tr := h.checkEvents(ctx, inv, events, batch)
	if len(tr.checked) == 0 {
		return tr.nothingToRun(batch)
	}
	if req := tr.checked[0].req; req.Action == standby.Sweep { // a request, never of a batch
		return h.sweep(ctx, inv, req)
	}
	if batch {
		tr.checked = lastWins(tr.checked, tr.reports)
	}
	return h.runChecked(ctx, inv, tr, batch)
}

// triage is what checking the events came to: a report for each, the
// requests of those that call for action, and why the others do not.
type triage struct {
	reports  []EventReport
	checked  []checked
	problems standby.Problems // of the invalid events, each named
	guard    string           // MAX_INSTANCES, when it refused an event
	// The first lookup refused, and the first failed, for the answer.
	lookupRefused, lookupFailed *standby.Error
}

// checkEvents checks every event: those ignored, too old, whose instance
// could not be located, or invalid are reported as such; the others'
// requests are checked, in order.
func (h *Handler) checkEvents(ctx context.Context, inv standby.Invocation, events []trigger.Event, batch bool) *triage {
	now := h.now()
	tr := &triage{reports: make([]EventReport, len(events))}
	back := make([]bool, len(events))
	for i := range events {
		back[i] = h.returns(&events[i])
	}
	lookups := h.locateAll(ctx, inv, events, now)
	for i, ev := range events {
		tr.reports[i] = EventReport{Event: i, Source: ev.Source}
		switch why := h.stale(ev, now); {
		case ev.Ignored != "" && ev.Draft.Problems.Empty(): // what it is says more than when it was
			tr.reports[i].Result, tr.reports[i].Reason = "Ignored", ev.Ignored
		case why != "":
			tr.reports[i].Result, tr.reports[i].Reason = "Ignored", why
		case lookups[i] != nil:
			tr.notLocated(i, lookups[i])
		default:
			h.check(tr, i, ev, back[i], batch)
		}
	}
	return tr
}

// notLocated reports an event whose instance could not be located:
// refused for good, or failed for a retry when the lookup itself may
// succeed later.
func (tr *triage) notLocated(i int, e *standby.Error) {
	tr.reports[i].Result, tr.reports[i].Reason = "Refused", e.Message
	if standby.Retryable(e) {
		tr.reports[i].Result = "Failed"
		tr.lookupFailed = cmp.Or(tr.lookupFailed, e)
	} else {
		tr.lookupRefused = cmp.Or(tr.lookupRefused, e)
	}
}

// check validates event i's request: refused, with its problems, or
// checked, taking back (back) only what its rule parked.
func (h *Handler) check(tr *triage, i int, ev trigger.Event, back, batch bool) {
	// Validation adds its problems to decoding's: all are reported; but
	// what carries no request has nothing to validate, and its reading's
	// problem (a syntax error, and where) stands alone.
	var req standby.Request
	err := ev.Draft.Problems.Err()
	if !ev.NoRequest {
		req, err = h.svc.Check(&ev.Draft)
	}
	if err != nil {
		prefix := ""
		if batch {
			prefix = "[" + strconv.Itoa(i) + "]."
		}
		tr.problems.Include(prefix, ev.Draft.Problems)
		if ev.Draft.TooMany {
			tr.guard = "MAX_INSTANCES"
		}
		tr.reports[i].Result, tr.reports[i].Reason = "Refused", standby.AsError(err).Message
		return
	}
	// The event's own time goes with it: an end older than what it would
	// take back was parked after it happened (standby's judgeEnd).
	req.Identity, req.Reason, req.At = ev.Identity, reason(ev), ev.Time
	if back {
		req.IfParkedFor, req.IfRunning = ev.Rule, ev.Ended == "Executed"
	}
	tr.checked = append(tr.checked, checked{index: i, req: req})
}

// nothingToRun answers events none of which calls for action: a lookup
// that a retry may mend first, then the invalid events' problems, then a
// lookup refused; else every event was ignored.
func (tr *triage) nothingToRun(batch bool) (report, standby.Stats, error) {
	if tr.lookupFailed != nil { // a retry may find them: it comes first
		return report{Events: batchOnly(batch, tr.reports)}, standby.Stats{}, tr.lookupFailed
	}
	if err := tr.problems.Err(); err != nil {
		return report{Events: batchOnly(batch, tr.reports)}, standby.Stats{Guard: tr.guard}, err
	}
	if tr.lookupRefused != nil {
		return report{Events: batchOnly(batch, tr.reports)}, standby.Stats{}, tr.lookupRefused
	}
	return ignoredAnswer(tr.reports, batch), standby.Stats{}, nil
}

// runChecked runs the checked requests together and answers what became
// of them: of each event, for a batch.
func (h *Handler) runChecked(ctx context.Context, inv standby.Invocation, tr *triage, batch bool) (report, standby.Stats, error) {
	reqs := make([]standby.Request, len(tr.checked))
	for i, c := range tr.checked {
		reqs[i] = c.req
	}
	answers, st := h.svc.Run(ctx, inv, reqs...)
	st.Guard = cmp.Or(st.Guard, tr.guard)
	var a report
	for i, got := range answers {
		a.Result = a.Result.Merge(got)
		if batch {
			tr.reports[tr.checked[i].index].Result = eventResult(got)
		}
	}
	a.Events = batchOnly(batch, tr.reports)
	err := verdict(a.Instances, tr.problems)
	if tr.lookupFailed != nil && (err == nil || !standby.Retryable(err)) {
		// An alert whose instance a retry may yet find: the sender's retry
		// finds it, and replays what was done (the same tokens).
		err = tr.lookupFailed
	}
	return a, st, err
}

// locateAll finds, in one lookup, the instances of the events that name
// theirs only by a private address (an alert's instance label), and names
// each in its event's draft; it returns why an event's could not be
// found. Only events that would be checked are looked up: not those
// ignored, invalid or too old. With LOCATE_BY_ADDRESS off, such an event is
// ignored, saying so: an address is never guessed at.
func (h *Handler) locateAll(ctx context.Context, inv standby.Invocation, events []trigger.Event, now time.Time) map[int]*standby.Error {
	var ips []string
	var waiting []int
	for i := range events {
		ev := &events[i]
		if ev.Address.Value == "" || ev.Draft.Named > 0 || ev.Ignored != "" || !ev.Draft.Problems.Empty() || h.stale(*ev, now) != "" {
			continue
		}
		if !h.cfg.LocateByAddress {
			ev.Ignored = fmt.Sprintf("the alert names its instance only by the address %s (%s), and LOCATE_BY_ADDRESS is off: label the alert with its instance ID (a label of INSTANCE_LABELS: %s), or turn LOCATE_BY_ADDRESS on",
				ev.Address.Value, ev.Address.Name, strings.Join(h.opts.Labels(), ", "))
			continue
		}
		waiting = append(waiting, i)
		if !slices.Contains(ips, ev.Address.Value) {
			ips = append(ips, ev.Address.Value)
		}
	}
	if len(ips) == 0 {
		return nil
	}
	// An alert names no region: the lookup's is the function's own, as
	// for any request that names none.
	found, why := h.locate(ctx, inv, "", ips)
	failed := map[int]*standby.Error{}
	for _, i := range waiting {
		ev := &events[i]
		ip := ev.Address.Value
		switch id := found[ip]; {
		case id != "":
			ev.Draft.AddInstance(ev.Address.Name, id) // checked as any instance ID is
		case why[ip] != nil:
			e := *standby.AsError(why[ip])
			e.Message = ev.Address.Name + " " + ip + ": " + e.Message
			failed[i] = &e
		default:
			failed[i] = &standby.Error{Kind: standby.Internal, Code: "InternalError", Message: ev.Address.Name + " " + ip + ": the lookup answered nothing for this address"}
		}
	}
	return failed
}

func batchOnly(batch bool, reports []EventReport) []EventReport {
	if !batch {
		return nil
	}
	return reports
}

// eventResult sums up what became of an event's instances.
func eventResult(a standby.Result) string {
	left, refused := 0, 0
	for _, line := range a.Instances {
		switch {
		case line.Left():
			left++
		case line.Refusal():
			refused++
		}
	}
	switch {
	case left > 0:
		return "Failed"
	case refused == len(a.Instances):
		return "Refused"
	}
	return "Acted"
}

// verdict is the invocation's failure, if it fails: while some instance is
// left that a retry may do (so that FC, or the sender, retries: a retry
// does only what is left), or when everything it could act on was refused.
// A refusal beside instances done is reported in the answer, and logged at
// ERROR, but does not fail the invocation: a retry would change nothing.
func verdict(all []standby.InstanceResult, problems standby.Problems) error {
	var lines, left, refused []standby.InstanceResult
	seen := map[string]bool{} // an instance named twice is one instance
	for _, line := range all {
		if seen[line.InstanceID] {
			continue
		}
		seen[line.InstanceID] = true
		lines = append(lines, line)
		switch {
		case line.Left():
			left = append(left, line)
		case line.Refusal():
			refused = append(refused, line)
		}
	}
	switch {
	case len(left) > 0:
		return summary(left, len(lines), "are left to retry")
	case len(refused) < len(lines):
		return nil
	case len(lines) == 0:
		return problems.Err() // nothing reached Auto Scaling: every problem of every event
	}
	return summary(refused, len(lines), "were refused") // the invalid events' problems are in Events
}

// summary is the failure of lines: the first one's, counting the others.
func summary(lines []standby.InstanceResult, of int, what string) error {
	e := *lines[0].Err
	if of > 1 {
		e.Message = fmt.Sprintf("%d of %d instances %s; the first, %s: %s", len(lines), of, what, lines[0].InstanceID, e.Message)
	}
	return &e
}

// returns turns an end (an alarm's recovery, with EXIT_ON_OK; an ECS
// event's, with EXIT_ON_EVENT_END) into the way back for what its rule
// parked, and says whether it did. An end that names no rule cannot tell
// what it parked: it takes nothing back.
func (h *Handler) returns(ev *trigger.Event) bool {
	setting := ""
	switch {
	case ev.Recovered && h.cfg.ExitOnOK:
		setting = "EXIT_ON_OK"
	case ev.Ended != "" && h.cfg.ExitOnEventEnd:
		setting = "EXIT_ON_EVENT_END"
	default:
		return false
	}
	if ev.Rule == "" {
		ev.Ignored = "its end names no rule (an alarm's ruleId, a subscription's subscriptionUuid): what it parked cannot be told, so " + setting + " takes nothing back"
		return false
	}
	ev.Ignored, ev.Draft.Action = "", standby.Param{Name: setting, Value: string(standby.ExitStandby)}
	return true
}

// stale says why an event is not to be acted on by its time, if it is:
// older than MAX_EVENT_AGE (deliveries are retried for a long time, and an
// alarm that could not act in time should not act hours later), or dated
// further ahead than a clock's skew (its time cannot be right). An event
// that carries no time is never stale.
func (h *Handler) stale(ev trigger.Event, now time.Time) string {
	if ev.Time.IsZero() {
		return ""
	}
	age := now.Sub(ev.Time)
	if age < -MaxClockSkew {
		return fmt.Sprintf("the event is dated %s ahead of this function's clock, more than the %s a clock may be off", span(-age), MaxClockSkew)
	}
	if h.cfg.MaxEventAge > 0 && age > h.cfg.MaxEventAge {
		return fmt.Sprintf("the event is %s old, older than MAX_EVENT_AGE=%s", span(age), h.cfg.MaxEventAge)
	}
	return ""
}

// span is how long d is, for a person: to the second under a day (2h27m20s),
// in days and hours over it (1581 days 18h), where Go's 37962h27m2s would
// have the reader divide by 24. It rounds down: an event is at least as old
// as it says.
func span(d time.Duration) string {
	const day = 24 * time.Hour
	if d < day {
		return d.Round(time.Second).String()
	}
	days, hours := int64(d/day), int64(d%day/time.Hour)
	s := fmt.Sprintf("%d days", days)
	if days == 1 {
		s = "1 day"
	}
	if hours > 0 {
		s += fmt.Sprintf(" %dh", hours)
	}
	return s
}

// ignoredAnswer answers events none of which calls for anything.
func ignoredAnswer(reports []EventReport, batch bool) report {
	if !batch {
		return report{Ignored: reports[0].Reason}
	}
	return report{Ignored: fmt.Sprintf("none of the %d events calls for Standby", len(reports)), Events: reports}
}

// lastWins leaves each instance of a batch to the events that stand for it
// (standby.LastWins: an alarm that fired and recovered within one batch
// ends recovered; another rule's recovery does not end an alarm); an event
// left with no instance of its own is reported superseded, by the event
// that decides its first.
func lastWins(events []checked, reports []EventReport) []checked {
	reqs := make([]standby.Request, len(events))
	for i, c := range events {
		reqs[i] = c.req
	}
	var kept []checked
	for i, o := range standby.LastWins(reqs) {
		c := events[i]
		if len(o.Keep) == 0 && len(o.Drop) > 0 {
			d := o.Drop[0]
			reports[c.index].Result, reports[c.index].Reason = "Superseded", "event "+strconv.Itoa(events[d.By].index)+" of this batch decides its instances"
			if d.Why == standby.AlarmStands {
				reports[c.index].Reason += ": an alarm of another rule, which this recovery does not end"
			}
			continue
		}
		reports[c.index].InstanceIDs = o.Keep
		c.req.InstanceIDs = o.Keep
		kept = append(kept, c)
	}
	return kept
}

// reason is what an event's instances are parked for, as their tags say:
// its source, its rule, its identity.
func reason(ev trigger.Event) standby.Reason {
	return standby.Reason{Source: ev.Source, Rule: ev.Rule, Event: ev.Identity}
}
