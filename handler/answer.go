package handler

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
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
// one log line need; it ends with fail or answer (handler.go).
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

// render is the answer to an invocation: what was done, or the failure
// with what was done before it.
func render(a report, err error, rec record, requestID string) Outcome {
	out := Outcome{HTTP: rec.viaHTTP, Status: http.StatusOK}
	if err == nil {
		out.Body = mustJSON(a)
		return out
	}
	e := standby.AsError(err)
	out.Err, out.Status = e, failStatus(e, rec)
	if final(e, rec) {
		out.Status = http.StatusOK
	}
	out.Body = mustJSON(errorBody{Code: e.Code, Message: e.Message, RequestID: requestID, Activities: a.Activities, Instances: a.Instances, Events: a.Events, Sweep: a.Sweep})
	return out
}

// failStatus is the status of a failure, before final answers it 200.
func failStatus(e *standby.Error, rec record) int {
	status := statusByKind[e.Kind]
	if rec.retriedOn5xx && standby.Retryable(e) && status < 500 {
		// Throttled, or a group busy: a retry may mend it, and the sender
		// retries only a 5xx. The code says which it was.
		return http.StatusServiceUnavailable
	}
	return status
}

// final says whether a refusal is answered 200: CloudMonitor retries what
// is not 2xx, and a retry would change nothing, so the refusal is
// answered, with its code, as received.
func final(e *standby.Error, rec record) bool {
	return rec.viaHTTP && rec.senderRetries && !standby.Retryable(e)
}

// level is the level of an invocation's line: WARN for the caller's or a
// guard's refusal, ERROR for a failure answered 5xx and for what someone
// must look at whatever the answer (docs/logs.md).
func level(a report, err error, rec record) slog.Level {
	lv := slog.LevelInfo
	switch {
	case err != nil:
		lv = slog.LevelWarn
		if failStatus(standby.AsError(err), rec) >= 500 {
			lv = slog.LevelError
		}
	case mustLook(a):
		lv = slog.LevelError
	case rec.undocumented:
		// The documentation lists no such value: not acted on, but an
		// operator should hear of it, also beside a batch's others.
		lv = slog.LevelWarn
	}
	if rec.truncated > 0 {
		// Alerts the sender left out (Alertmanager's max_alerts) were never
		// seen here: whatever was done, someone should raise the limit.
		lv = max(lv, slog.LevelWarn)
	}
	if tagsOwed(a) > 0 || capped(a.Instances) {
		// Tags a retry must write; a storm past the blast-radius cap:
		// whatever the answer, someone must look.
		lv = slog.LevelError
	}
	return lv
}

// mustLook says whether what an invocation did calls for an operator: a
// sweep's lease over, exit refused, tags owed or untrue; done in part and
// refused in part (not failed: a retry would change nothing); instances
// parked whose tags no retry will write.
func mustLook(a report) bool {
	if a.Sweep != nil {
		n := sweptCounts(a.Sweep)
		if n[standby.LeaseEnded]+n["Refused"]+n[standby.Untagged]+n[standby.LeaseInvalid] > 0 {
			return true
		}
	} else if a.Ignored == "" && refusals(a) > 0 {
		return true
	}
	return untagged(a) > 0
}

// LogLine is an invocation's one log line (docs/logs.md) beside slog's
// time, level and msg ("invocation") and the build: its fields are the
// line's top-level keys, in this order, as their tags name them and omit
// them (logAttrs). The drill reads lines back into it (modes).
type LogLine struct {
	RequestID    string      `json:"request_id"`
	Trigger      string      `json:"trigger"`
	RetryCount   int         `json:"retry_count"`
	Events       int         `json:"events,omitempty"`
	Rule         string      `json:"rule,omitempty"`
	EventResults []EventLine `json:"event_results,omitempty"`
	DryRun       bool        `json:"dry_run,omitempty"` // the outcome is what would have been done
	*AlarmLine
	// A sweep's counts, each there (0 too) for a sweep only.
	LeaseEnded *int   `json:"lease_ended,omitempty"`
	Returned   *int   `json:"returned,omitempty"`
	NotParked  *int   `json:"not_parked,omitempty"`
	Ignored    string `json:"ignored,omitempty"`
	Refused    int    `json:"refused,omitempty"`
	// Untagged is a sweep's count, or how many instances an invocation
	// moved whose tags no retry will write, when any.
	Untagged        *int    `json:"untagged,omitempty"`
	LeaseInvalid    *int    `json:"lease_invalid,omitempty"`
	Left            *int    `json:"left,omitempty"`
	Outcome         string  `json:"outcome"`
	Message         *string `json:"message,omitempty"` // a failure's, even empty
	Cause           *string `json:"cause,omitempty"`
	Final           bool    `json:"final,omitempty"`
	Undocumented    bool    `json:"undocumented,omitempty"`
	TruncatedAlerts int     `json:"truncated_alerts,omitempty"`
	TagsOwed        int     `json:"tags_owed,omitempty"`
	// Groups, Instances and Activities are there, null when none.
	Groups      []string          `json:"groups"`
	Instances   []string          `json:"instances"`
	Activities  []string          `json:"activities"`
	Status      int               `json:"status"`
	Attempts    int               `json:"attempts"`
	BackoffMS   int64             `json:"backoff_ms"`
	LatencyMS   float64           `json:"latency_ms"`
	Skipped     []standby.Skipped `json:"skipped,omitempty"`
	Guard       string            `json:"guard,omitempty"`
	Merged      int               `json:"merged,omitempty"`
	NotifyError string            `json:"notify_error,omitempty"`
	Notified    bool              `json:"notified,omitempty"`
}

// AlarmLine is a CloudMonitor alarm's rule, state and time, on its line.
type AlarmLine struct {
	AlarmRule  string    `json:"alarm_rule"`
	AlarmState string    `json:"alarm_state"`
	AlarmTime  time.Time `json:"alarm_time"`
}

// logLine is the line of an invocation that answered status, after
// latency; notifying adds Notified or NotifyError.
func logLine(a report, err error, rec record, inv standby.Invocation, status int, latency time.Duration) LogLine {
	l := LogLine{RequestID: inv.RequestID, Trigger: rec.source, RetryCount: inv.RetryCount, Events: rec.events, Rule: rec.rule,
		DryRun: a.DryRun || a.Sweep != nil && a.Sweep.DryRun, TruncatedAlerts: rec.truncated, TagsOwed: tagsOwed(a),
		Instances: a.InstanceIDs, Status: status, Attempts: rec.stats.Attempts, BackoffMS: rec.stats.Backoff.Milliseconds(),
		LatencyMS: float64(latency.Microseconds()) / 1000, Skipped: a.Skipped, Guard: rec.stats.Guard, Merged: rec.stats.Merged}
	if len(a.Events) > 0 {
		l.EventResults = eventResults(a.Events, rec.rules)
	}
	if rec.alarm != nil {
		l.AlarmLine = &AlarmLine{AlarmRule: rec.alarm.Rule, AlarmState: rec.alarm.State, AlarmTime: rec.alarm.Time}
	}
	for _, act := range a.Activities {
		l.Groups = append(l.Groups, act.ScalingGroupID)
		l.Activities = append(l.Activities, act.ScalingActivityID)
	}
	l.setOutcome(a, err, rec)
	return l
}

// setOutcome says on the line what became of the invocation: the failure,
// or what was done and what of it someone must hear.
func (l *LogLine) setOutcome(a report, err error, rec record) {
	if err != nil {
		e := standby.AsError(err)
		l.Outcome, l.Message, l.Final = e.Code, ref(e.Message), final(e, rec)
		if e.Cause != nil {
			l.Cause = ref(e.Cause.Error())
		}
		return
	}
	l.Outcome, l.Undocumented = "standby", rec.undocumented
	switch refused := refusals(a); {
	case a.Sweep != nil:
		n := sweptCounts(a.Sweep)
		l.Outcome, l.LeaseEnded, l.Returned, l.NotParked = "swept", ref(n[standby.LeaseEnded]), ref(n[standby.Returned]), ref(n[standby.NotParked])
		l.Untagged, l.LeaseInvalid, l.Left = ref(n[standby.Untagged]), ref(n[standby.LeaseInvalid]), ref(a.Sweep.Left)
	case a.Ignored != "":
		l.Outcome, l.Ignored = "ignored", a.Ignored
	case refused > 0:
		l.Outcome, l.Refused = "partial", refused
	}
	if n := untagged(a); n > 0 {
		l.Untagged = ref(n)
	}
}

// logAttrs are the line's fields as slog attributes, in the struct's
// order, named and omitted as encoding/json would write them: one schema,
// the struct's tags, for the line and for whoever reads it back.
func logAttrs(l LogLine) []slog.Attr { return appendAttrs(nil, reflect.ValueOf(l)) }

func appendAttrs(attrs []slog.Attr, v reflect.Value) []slog.Attr {
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		if f.Anonymous {
			if !fv.IsNil() {
				attrs = appendAttrs(attrs, fv.Elem())
			}
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if opts == "omitempty" && emptyJSON(fv) {
			continue
		}
		if fv.Kind() == reflect.Pointer && !fv.IsNil() {
			fv = fv.Elem()
		}
		attrs = append(attrs, slog.Any(name, fv.Interface()))
	}
	return attrs
}

// ref is a pointer to v, for the line's fields there even when zero.
func ref[T any](v T) *T { return &v }

// emptyJSON says whether omitempty leaves v out.
func emptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	}
	return v.IsZero()
}

// EventLine is what became of one event of a batch, as its line says
// it: so that a search for the event finds the batch's line, and tells what
// became of it among the others.
type EventLine struct {
	Rule        string   `json:"rule,omitempty"`
	Result      string   `json:"result"`
	InstanceIDs []string `json:"instances,omitempty"`
}

func eventResults(events []EventReport, rules []string) []EventLine {
	out := make([]EventLine, len(events))
	for i, ev := range events {
		out[i] = EventLine{Result: ev.Result, InstanceIDs: ev.InstanceIDs}
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

// tagsOwed counts the instances moved whose tags are not written yet: a
// retry writes them (and the sweep, while this process lives).
func tagsOwed(a report) int {
	return countLines(a.Instances, func(l standby.InstanceResult) bool { return l.TagCode != "" && !l.Untagged() })
}

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
