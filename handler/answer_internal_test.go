package handler

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"ess-standby/handler/standby"
	"ess-standby/handler/trigger"
)

// The answer and the line of each kind of invocation: its status, its
// level, its outcome, and what the line adds for it.
func TestRenderAndLine(t *testing.T) {
	entered := standby.InstanceResult{InstanceID: "i-1", ScalingGroupID: "g-1", Result: "EnteredStandby", ScalingActivityID: "act-1"}
	refused := standby.InstanceResult{InstanceID: "i-2", ScalingGroupID: "g-1", Result: "Refused", Code: "Forbidden.MinInService",
		Err: &standby.Error{Kind: standby.Forbidden, Code: "Forbidden.MinInService"}}
	owed := entered
	owed.TagCode, owed.Err = "Throttling", &standby.Error{Kind: standby.Throttled, Code: "Throttling"}
	untaggedLine := entered
	untaggedLine.TagCode, untaggedLine.Err = "Forbidden.RAM", &standby.Error{Kind: standby.Forbidden, Code: "Forbidden.RAM"}
	capLine := refused
	capLine.Code = standby.MaxStandbyCode
	done := func(lines ...standby.InstanceResult) report {
		a := report{Result: standby.Result{Activities: []standby.Activity{{ScalingGroupID: "g-1", ScalingActivityID: "act-1"}}}}
		for _, l := range lines {
			a.Instances = append(a.Instances, l)
			if l.Result == "EnteredStandby" {
				a.InstanceIDs = append(a.InstanceIDs, l.InstanceID)
			}
		}
		return a
	}
	guard := &standby.Error{Kind: standby.Forbidden, Code: "Forbidden.MinInService", Message: "MIN_IN_SERVICE", Cause: errFake}
	throttled := &standby.Error{Kind: standby.Throttled, Code: "Throttling", Message: "slow down"}
	cms := record{source: "cms-alarm", viaHTTP: true, senderRetries: true, alarm: &trigger.Alarm{Rule: "cpu", State: "ALERT", Time: time.Unix(1764583200, 0).UTC()}}
	alertmanager := record{source: "alertmanager", viaHTTP: true, retriedOn5xx: true}
	sweep := report{Sweep: &standby.Swept{Groups: []string{"g-1"}, Left: 1, Instances: []standby.SweepLine{
		{InstanceID: "i-1", Result: standby.LeaseEnded}, {InstanceID: "i-2", Result: standby.Leased}, {InstanceID: "i-3", Result: standby.NotParked}}}}
	for _, tc := range []struct {
		name    string
		a       report
		err     error
		rec     record
		status  int
		level   slog.Level
		outcome string
		line    func(*LogLine) // what the line adds, beside what every line says
	}{
		{"success", done(entered), nil, record{source: "http"}, 200, slog.LevelInfo, "standby", func(l *LogLine) {}},
		{"ignored", report{Ignored: "OK is not an alarm"}, nil, record{source: "cms-alarm"}, 200, slog.LevelInfo, "ignored",
			func(l *LogLine) { l.Ignored = "OK is not an alarm" }},
		{"ignored, for a value the documentation does not list", report{Ignored: "Unknown"}, nil, record{source: "eventbridge", undocumented: true}, 200, slog.LevelWarn, "ignored",
			func(l *LogLine) { l.Ignored, l.Undocumented = "Unknown", true }},
		{"partial refusal", done(entered, refused), nil, record{source: "http"}, 200, slog.LevelError, "partial",
			func(l *LogLine) { l.Refused = 1 }},
		{"a guard's refusal answered 200, final, to CloudMonitor", report{}, guard, cms, 200, slog.LevelWarn, "Forbidden.MinInService",
			func(l *LogLine) {
				l.Message, l.Cause, l.Final = ref("MIN_IN_SERVICE"), ref(errFake.Error()), true
				l.AlarmLine = &AlarmLine{AlarmRule: "cpu", AlarmState: "ALERT", AlarmTime: time.Unix(1764583200, 0).UTC()}
			}},
		{"a guard's refusal to another caller", report{}, guard, record{source: "http", viaHTTP: true}, 403, slog.LevelWarn, "Forbidden.MinInService",
			func(l *LogLine) { l.Message, l.Cause = ref("MIN_IN_SERVICE"), ref(errFake.Error()) }},
		{"a retryable failure", report{}, throttled, record{source: "http", viaHTTP: true}, 429, slog.LevelWarn, "Throttling",
			func(l *LogLine) { l.Message = ref("slow down") }},
		{"a retryable failure, to CloudMonitor, is not final", report{}, throttled, record{source: "cms-alarm", viaHTTP: true, senderRetries: true}, 429, slog.LevelWarn, "Throttling",
			func(l *LogLine) { l.Message = ref("slow down") }},
		{"a retryable failure, to a sender that retries only 5xx", report{}, throttled, alertmanager, 503, slog.LevelError, "Throttling",
			func(l *LogLine) { l.Message = ref("slow down") }},
		{"a failure after some calls", done(entered), &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: "down"}, record{source: "http"}, 502, slog.LevelError, "ServiceUnavailable",
			func(l *LogLine) { l.Message = ref("down") }},
		{"tags owed", done(owed), nil, record{source: "http"}, 200, slog.LevelError, "standby", func(l *LogLine) { l.TagsOwed = 1 }},
		{"untagged", done(untaggedLine), nil, record{source: "http"}, 200, slog.LevelError, "standby", func(l *LogLine) { l.Untagged = ref(1) }},
		{"the cap refused one", done(entered, capLine), nil, record{source: "http"}, 200, slog.LevelError, "partial", func(l *LogLine) { l.Refused = 1 }},
		{"alerts left out by the sender", done(entered), nil, record{source: "alertmanager", truncated: 3}, 200, slog.LevelWarn, "standby",
			func(l *LogLine) { l.TruncatedAlerts = 3 }},
		{"a sweep with an ended lease", sweep, nil, record{source: "timer"}, 200, slog.LevelError, "swept",
			func(l *LogLine) {
				l.LeaseEnded, l.Returned, l.NotParked, l.Untagged, l.LeaseInvalid, l.Left = ref(1), ref(0), ref(1), ref(0), ref(0), ref(1)
			}},
		{"a sweep with nothing to report", report{Sweep: &standby.Swept{Instances: []standby.SweepLine{{InstanceID: "i-2", Result: standby.Leased}}}}, nil, record{source: "timer"}, 200, slog.LevelInfo, "swept",
			func(l *LogLine) {
				l.LeaseEnded, l.Returned, l.NotParked, l.Untagged, l.LeaseInvalid, l.Left = ref(0), ref(0), ref(0), ref(0), ref(0), ref(0)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.rec.stats = standby.Stats{Attempts: 2, Backoff: 1500 * time.Millisecond}
			inv := standby.Invocation{RequestID: "req-1", RetryCount: 1}
			out := render(tc.a, tc.err, tc.rec, inv.RequestID)
			if out.Status != tc.status || out.HTTP != tc.rec.viaHTTP || (out.Err != nil) != (tc.err != nil) {
				t.Errorf("render: status %d, HTTP %v, err %v; want %d, %v, failed %v", out.Status, out.HTTP, out.Err, tc.status, tc.rec.viaHTTP, tc.err != nil)
			}
			var body map[string]any
			if err := json.Unmarshal(out.Body, &body); err != nil {
				t.Fatal(err)
			}
			if e := standby.AsError(tc.err); tc.err != nil && (body["Code"] != e.Code || body["Message"] != e.Message || body["RequestId"] != "req-1") {
				t.Errorf("render: body %s, want the failure %s", out.Body, e.Code)
			} else if tc.err == nil && string(out.Body) != string(mustJSON(tc.a)) {
				t.Errorf("render: body %s, want the report", out.Body)
			}
			if lv := level(tc.a, tc.err, tc.rec); lv != tc.level {
				t.Errorf("level %v, want %v", lv, tc.level)
			}
			want := LogLine{RequestID: "req-1", Trigger: tc.rec.source, RetryCount: 1, Outcome: tc.outcome, Status: tc.status,
				Attempts: 2, BackoffMS: 1500, LatencyMS: 12.345, Instances: tc.a.InstanceIDs}
			for _, act := range tc.a.Activities {
				want.Groups, want.Activities = append(want.Groups, act.ScalingGroupID), append(want.Activities, act.ScalingActivityID)
			}
			tc.line(&want)
			got := logLine(tc.a, tc.err, tc.rec, inv, out.Status, 12345*time.Microsecond)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("line\n%s\nwant\n%s", lineJSON(t, got), lineJSON(t, want))
			}
		})
	}
}

var errFake = errors.New("the fake's cause")

// The line is logged as its JSON: the same keys, in the same order, the
// same values, omitted by the same rules; and it reads back as it was.
func TestLogAttrsAreTheLinesJSON(t *testing.T) {
	full := LogLine{RequestID: "req-<1>", Trigger: "eventbridge", RetryCount: 2, Events: 2, Rule: "ecs/e-1 & more",
		EventResults: []EventLine{{Rule: "r-0", Result: "Acted", InstanceIDs: []string{"i-1"}}, {Result: "Refused"}}, DryRun: true,
		AlarmLine:  &AlarmLine{AlarmRule: "cpu", AlarmState: "ALERT", AlarmTime: time.Date(2026, 12, 1, 10, 0, 0, 123456789, time.UTC)},
		LeaseEnded: ref(0), Returned: ref(1), NotParked: ref(2), Ignored: "why", Refused: 3, Untagged: ref(4), LeaseInvalid: ref(5), Left: ref(6),
		Outcome: "partial", Message: ref(""), Cause: ref("a <cause>"), Final: true, Undocumented: true, TruncatedAlerts: 7, TagsOwed: 8,
		Groups: []string{"g-1"}, Instances: []string{"i-1"}, Activities: []string{"act-1"}, Status: 200, Attempts: 9, BackoffMS: 10,
		LatencyMS: 1234567.891, Skipped: []standby.Skipped{{InstanceID: "i-9", Reason: "already"}}, Guard: "MIN_IN_SERVICE", Merged: 11,
		NotifyError: "no time", Notified: true}
	sparse := LogLine{RequestID: "req-2", Trigger: "http", Outcome: "standby", Skipped: []standby.Skipped{}, Message: nil}
	for _, l := range []LogLine{full, sparse} {
		var logged bytes.Buffer
		log := slog.New(slog.NewJSONHandler(&logged, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
				return slog.Attr{}
			}
			return a
		}}))
		log.LogAttrs(t.Context(), slog.LevelInfo, "invocation", logAttrs(l)...)
		if got, want := strings.TrimSpace(logged.String()), lineJSON(t, l); got != want {
			t.Errorf("logged\n%s\nwant its JSON\n%s", got, want)
		}
		var back LogLine
		if err := json.Unmarshal(logged.Bytes(), &back); err != nil || !reflect.DeepEqual(back, readBack(l)) {
			t.Errorf("read back %+v (%v), want %+v", back, err, l)
		}
	}
}

// lineJSON is a line as encoding/json writes it, without escaping HTML, as
// slog does not.
func lineJSON(t *testing.T, l LogLine) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(l); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(b.String())
}

// readBack is l as JSON gives it back: an empty slice left out is nil.
func readBack(l LogLine) LogLine {
	if len(l.Skipped) == 0 {
		l.Skipped = nil
	}
	return l
}
