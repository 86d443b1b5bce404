package handler

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"ess-standby/handler/standby"
	"ess-standby/handler/trigger"
)

// record is what an invocation's log line says beyond its answer.
type record struct {
	source  string         // the trigger, as the decoder named it
	alarm   *trigger.Alarm // a CloudMonitor alarm's rule, state and time
	events  int            // a batch's size
	viaHTTP bool           // answered as an HTTP response
	// senderRetries: CloudMonitor sent it, and retries what is not 2xx.
	senderRetries bool
	undocumented  bool // an event was ignored for a value its documentation does not list
	// retriedOn5xx: the sender (Alertmanager) retries only what is
	// answered 5xx.
	retriedOn5xx bool
	// truncated is how many alerts the sender left out of a group
	// (truncatedAlerts): they never arrive, and someone should know.
	truncated int
	// rule is what the event parks for (an alarm's rule, a subscription, an
	// ECS event's type and ID): a log search for an event finds its line.
	// A batch's events have one each, in rules, in the batch's order.
	rule  string
	rules []string
	stats standby.Stats
}

// errorBody is the failure answer; when some calls were made before the
// failure, it says what they did.
type errorBody struct {
	Code       string                   `json:"Code"`
	Message    string                   `json:"Message"`
	RequestID  string                   `json:"RequestId,omitempty"`
	Activities []standby.Activity       `json:"Activities,omitempty"`
	Instances  []standby.InstanceResult `json:"Instances,omitempty"`
	Events     []EventReport            `json:"Events,omitempty"`
	Sweep      *standby.Swept           `json:"Sweep,omitempty"`
}

// invocation is one invocation as it goes, with what its answer and its
// one log line need; it ends with fail or answer.
type invocation struct {
	h     *Handler
	ctx   context.Context
	inv   standby.Invocation
	start time.Time
	rec   record
}

func (h *Handler) begin(ctx context.Context, inv standby.Invocation, source string) *invocation {
	return &invocation{h: h, ctx: ctx, inv: inv, start: h.now(), rec: record{source: source}}
}

// fail answers a failure before anything was done.
func (c *invocation) fail(err error) Outcome { return c.answer(report{}, err) }

// answer renders the answer, or the failure with what was done before it,
// and writes the invocation's one log line.
func (c *invocation) answer(a report, err error) Outcome {
	h, ctx, inv, start, rec := c.h, c.ctx, c.inv, c.start, c.rec
	out := Outcome{HTTP: rec.viaHTTP, Status: 200}
	attrs := []slog.Attr{
		slog.String("request_id", inv.RequestID),
		slog.String("trigger", rec.source),
		slog.Int("retry_count", inv.RetryCount),
	}
	if rec.events > 0 {
		attrs = append(attrs, slog.Int("events", rec.events))
	}
	if rec.rule != "" {
		attrs = append(attrs, slog.String("rule", rec.rule))
	}
	if len(a.Events) > 0 {
		attrs = append(attrs, slog.Any("event_results", eventResults(a.Events, rec.rules)))
	}
	if a.DryRun || a.Sweep != nil && a.Sweep.DryRun {
		attrs = append(attrs, slog.Bool("dry_run", true)) // the outcome is what would have been done
	}
	if rec.alarm != nil {
		attrs = append(attrs, slog.String("alarm_rule", rec.alarm.Rule), slog.String("alarm_state", rec.alarm.State), slog.Time("alarm_time", rec.alarm.Time))
	}
	level, outcome := slog.LevelInfo, ""
	if err != nil {
		e := standby.AsError(err)
		outcome = e.Code
		out.Err, out.Status = e, statusByKind[e.Kind]
		if rec.retriedOn5xx && standby.Retryable(e) && out.Status < 500 {
			// Throttled, or a group busy: a retry may mend it, and the
			// sender retries only a 5xx. The code says which it was.
			out.Status = http.StatusServiceUnavailable
		}
		out.Body = mustJSON(errorBody{Code: e.Code, Message: e.Message, RequestID: inv.RequestID, Activities: a.Activities, Instances: a.Instances, Events: a.Events, Sweep: a.Sweep})
		attrs = append(attrs, slog.String("outcome", e.Code), slog.String("message", e.Message))
		if e.Cause != nil {
			attrs = append(attrs, slog.String("cause", e.Cause.Error()))
		}
		level = slog.LevelWarn
		if out.Status >= 500 {
			level = slog.LevelError
		}
		if rec.viaHTTP && rec.senderRetries && !standby.Retryable(e) {
			// CloudMonitor retries what is not 2xx, and a retry would change
			// nothing: the refusal is answered, with its code, as received.
			out.Status = 200
			attrs = append(attrs, slog.Bool("final", true))
		}
	} else {
		out.Body = mustJSON(a)
		outcome = "standby"
		switch refused := refusals(a); {
		case a.Sweep != nil:
			outcome = "swept"
			counts := sweptCounts(a.Sweep)
			attrs = append(attrs, slog.Int("lease_ended", counts[standby.LeaseEnded]), slog.Int("returned", counts[standby.Returned]),
				slog.Int("not_parked", counts[standby.NotParked]), slog.Int("untagged", counts[standby.Untagged]),
				slog.Int("lease_invalid", counts[standby.LeaseInvalid]), slog.Int("left", a.Sweep.Left))
			if counts[standby.LeaseEnded]+counts["Refused"]+counts[standby.Untagged]+counts[standby.LeaseInvalid] > 0 {
				level = slog.LevelError // a lease over, tags owed or untrue: someone must look
			}
		case a.Ignored != "":
			outcome = "ignored"
			attrs = append(attrs, slog.String("ignored", a.Ignored))
		case refused > 0:
			// Done in part, refused in part: not failed (a retry would
			// change nothing), but an operator must hear of it.
			outcome, level = "partial", slog.LevelError
			attrs = append(attrs, slog.Int("refused", refused))
		}
		if untagged := untagged(a); untagged > 0 {
			// Parked, but not saying why, and no retry will write it.
			level = slog.LevelError
			attrs = append(attrs, slog.Int("untagged", untagged))
		}
		attrs = append(attrs, slog.String("outcome", outcome))
		if rec.undocumented {
			// The documentation lists no such value: not acted on, but an
			// operator should hear of it, also beside a batch's others.
			level = max(level, slog.LevelWarn)
			attrs = append(attrs, slog.Bool("undocumented", true))
		}
	}
	if rec.truncated > 0 {
		// Alerts the sender left out (Alertmanager's max_alerts) were never
		// seen here: whatever was done, someone should raise the limit.
		level = max(level, slog.LevelWarn)
		attrs = append(attrs, slog.Int("truncated_alerts", rec.truncated))
	}
	if owed := countLines(a.Instances, func(l standby.InstanceResult) bool { return l.TagCode != "" && !l.Untagged() }); owed > 0 {
		// Moved, and its tags not written yet: a retry writes them (and the
		// sweep, while this process lives); until then it is at ERROR.
		level = slog.LevelError
		attrs = append(attrs, slog.Int("tags_owed", owed))
	}
	var groups, activities []string
	for _, act := range a.Activities {
		groups = append(groups, act.ScalingGroupID)
		activities = append(activities, act.ScalingActivityID)
	}
	attrs = append(attrs,
		slog.Any("groups", groups),
		slog.Any("instances", a.InstanceIDs),
		slog.Any("activities", activities),
		slog.Int("status", out.Status),
		slog.Int("attempts", rec.stats.Attempts),
		slog.Int64("backoff_ms", rec.stats.Backoff.Milliseconds()),
		slog.Float64("latency_ms", float64(h.now().Sub(start).Microseconds())/1000),
	)
	if len(a.Skipped) > 0 {
		attrs = append(attrs, slog.Any("skipped", a.Skipped))
	}
	if rec.stats.Guard != "" {
		attrs = append(attrs, slog.String("guard", rec.stats.Guard))
	}
	if rec.stats.Merged > 0 {
		attrs = append(attrs, slog.Int("merged", rec.stats.Merged))
	}
	if ev, ok := c.notice(a, outcome); ok {
		// After the action, within its time; its failure changes no answer.
		if err := h.notify(ctx, ev); err != nil {
			attrs = append(attrs, slog.String("notify_error", err.Error()))
		} else {
			attrs = append(attrs, slog.Bool("notified", true))
		}
	}
	if capped(a.Instances) {
		// A storm past the blast-radius cap: whatever the answer, someone
		// must look at why so many instances are asked out of traffic.
		level = slog.LevelError
	}
	h.log.LogAttrs(ctx, level, "invocation", attrs...)
	return out
}

// eventLine is what became of one event of a batch, as its line says
// it: so that a search for the event finds the batch's line, and tells what
// became of it among the others.
type eventLine struct {
	Rule        string   `json:"rule,omitempty"`
	Result      string   `json:"result"`
	InstanceIDs []string `json:"instances,omitempty"`
}

func eventResults(events []EventReport, rules []string) []eventLine {
	out := make([]eventLine, len(events))
	for i, ev := range events {
		out[i] = eventLine{Result: ev.Result, InstanceIDs: ev.InstanceIDs}
		if ev.Event >= 0 && ev.Event < len(rules) {
			out[i].Rule = rules[ev.Event]
		}
	}
	return out
}

// refusals counts what an answer refused: its instances and its events.
func refusals(a report) int {
	n := countLines(a.Instances, standby.InstanceResult.Refusal)
	for _, ev := range a.Events {
		if ev.Result == "Refused" && len(ev.InstanceIDs) == 0 {
			n++ // refused whole, before any instance was looked at
		}
	}
	return n
}

// sweptCounts counts a sweep's lines by result.
func sweptCounts(sw *standby.Swept) map[string]int {
	n := map[string]int{}
	for _, l := range sw.Instances {
		n[l.Result]++
	}
	return n
}

// untagged counts the instances moved whose tags no retry will write.
func untagged(a report) int { return countLines(a.Instances, standby.InstanceResult.Untagged) }

// capped says whether MAX_STANDBY refused one of the instances.
func capped(lines []standby.InstanceResult) bool {
	return countLines(lines, func(l standby.InstanceResult) bool { return l.Code == standby.MaxStandbyCode }) > 0
}

// countLines counts the lines that are so.
func countLines(lines []standby.InstanceResult, is func(standby.InstanceResult) bool) int {
	n := 0
	for _, l := range lines {
		if is(l) {
			n++
		}
	}
	return n
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("handler: answer does not marshal: " + err.Error()) // plain structs of strings always do
	}
	return b
}
