package handler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"strconv"
	"time"

	fcevents "github.com/aliyun/fc-runtime-go-sdk/events"
)

// EventResponse is what an event invocation returns: for an HTTP trigger
// event, the HTTP response in FC's shape (fc-runtime-go-sdk's
// events.HTTPTriggerResponse), whatever its status; otherwise the answer,
// with failed set when the invocation must fail.
func (o Outcome) EventResponse() (body []byte, failed bool) {
	if o.HTTP {
		return mustJSON(fcevents.HTTPTriggerResponse{
			StatusCode: o.Status,
			Headers:    map[string]string{"Content-Type": "application/json"},
			Body:       string(o.Body),
		}), false
	}
	return o.Body, o.Err != nil
}

// finish renders the answer and writes the invocation's one log line.
func (h *Handler) finish(ctx context.Context, inv Invocation, start time.Time, d decoded, viaHTTP bool, answer Answer, err error, r run) Outcome {
	out := Outcome{HTTP: viaHTTP, Status: 200}
	attrs := []slog.Attr{
		slog.String("request_id", inv.RequestID),
		slog.String("trigger", d.trigger),
		slog.Int("retry_count", inv.RetryCount),
	}
	if d.alarm != nil {
		attrs = append(attrs, slog.String("alarm_rule", d.alarm.RuleID), slog.String("alarm_state", d.alarm.State), slog.Time("alarm_time", d.alarm.Time))
	}
	level := slog.LevelInfo
	if err != nil {
		e := asError(err)
		out.Err, out.Status = e, e.Kind.Status()
		out.Body = mustJSON(errorBody{Code: e.Code, Message: e.Message, RequestID: inv.RequestID, Activities: answer.Activities, Instances: answer.Instances})
		attrs = append(attrs, slog.String("outcome", e.Code), slog.String("message", e.Message))
		if e.Cause != nil {
			attrs = append(attrs, slog.String("cause", e.Cause.Error()))
		}
		level = slog.LevelWarn
		if out.Status >= 500 {
			level = slog.LevelError
		}
	} else {
		out.Body = mustJSON(answer)
		outcome := "standby"
		if answer.Ignored != "" {
			outcome = "ignored"
			attrs = append(attrs, slog.String("ignored", answer.Ignored))
		}
		attrs = append(attrs, slog.String("outcome", outcome))
	}
	var groups, activities []string
	for _, a := range answer.Activities {
		groups = append(groups, a.ScalingGroupID)
		activities = append(activities, a.ScalingActivityID)
	}
	attrs = append(attrs,
		slog.Any("groups", groups),
		slog.Any("instances", answer.InstanceIDs),
		slog.Any("activities", activities),
		slog.Int("status", out.Status),
		slog.Int("attempts", r.attempts),
		slog.Int64("backoff_ms", r.backoff.Milliseconds()),
		slog.Float64("latency_ms", float64(h.now().Sub(start).Microseconds())/1000),
	)
	if len(answer.Skipped) > 0 {
		attrs = append(attrs, slog.Any("skipped", answer.Skipped))
	}
	if r.guard != "" {
		attrs = append(attrs, slog.String("guard", r.guard))
	}
	h.log.LogAttrs(ctx, level, "invocation", attrs...)
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("handler: answer does not marshal: " + err.Error()) // plain structs of strings always do
	}
	return b
}

// batchToken derives the token of the i-th call of a request from the
// caller's token, within ESS's limit of 64 ASCII characters.
func batchToken(token string, i int) string {
	suffix := "-" + strconv.Itoa(i+1)
	if len(token)+len(suffix) > 64 {
		sum := sha256.Sum256([]byte(token))
		token = hex.EncodeToString(sum[:20])
	}
	return token + suffix
}
