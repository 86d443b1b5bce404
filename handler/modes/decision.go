//go:build !fcgo1 && !fccustom

package modes

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"ess-standby/handler"
	"ess-standby/handler/ess"
)

// decision is the function's invocation line on an event, as the drill
// reads it back from Log Service: the line the function writes
// (handler.LogLine), with slog's time and message.
type decision struct {
	Time time.Time `json:"time"`
	Msg  string    `json:"msg"`
	handler.LogLine
}

// decisions are the function's invocation lines among logs that name rule
// (alone, or among a batch's), oldest first. FC ships each line a function
// writes as a log's message, under the topic FCLogs:<function>; a line of
// another function's (another copy of this one, logging to the same
// logstore), or one that is not the function's JSON, is passed over.
func decisions(logs []ess.LogEntry, function, rule string) []decision {
	var out []decision
	for _, l := range logs {
		msg := l.Fields["message"]
		start := strings.IndexByte(msg, '{')
		var d decision
		if l.Fields["__topic__"] != topic(function) || start < 0 || json.Unmarshal([]byte(msg[start:]), &d) != nil ||
			d.Msg != "invocation" || d.Rule != rule && !slices.ContainsFunc(d.EventResults, func(e handler.EventLine) bool { return e.Rule == rule }) || d.RequestID == "" {
			continue
		}
		if d.Time.IsZero() {
			d.Time = l.Time
		}
		out = append(out, d)
	}
	slices.SortStableFunc(out, func(a, b decision) int { return a.Time.Compare(b.Time) })
	return out
}

// topic is the topic FC ships a function's lines under, which s logs
// searches by (devsapp/fc3, src/subCommands/logs).
func topic(function string) string { return "FCLogs:" + function }

// key tells one decision from another: an async retry keeps the request
// ID, and decides again.
func (d decision) key() string { return fmt.Sprintf("%s#%d", d.RequestID, d.RetryCount) }

// parks says whether the decision took instance out of traffic for rule
// (or, in a dry run, would have): in a batch, by that event's own result,
// not the batch's, which may have acted on the instance for another event.
func (d decision) parks(instance, rule string) bool {
	if d.Outcome != "standby" && d.Outcome != "partial" || !slices.Contains(d.Instances, instance) {
		return false
	}
	return d.Rule == rule || slices.ContainsFunc(d.EventResults, func(e handler.EventLine) bool {
		return e.Rule == rule && e.Result == "Acted" && slices.Contains(e.InstanceIDs, instance)
	})
}

func (d decision) String() string {
	s := "outcome " + d.Outcome
	if d.DryRun {
		s += " (dry run)"
	}
	s += fmt.Sprintf(", status %d, instances %v", d.Status, d.Instances)
	var message string
	if d.Message != nil {
		message = *d.Message
	}
	for _, f := range [][2]string{{"guard", d.Guard}, {"ignored", d.Ignored}, {"message", message}} {
		if f[1] != "" {
			s += fmt.Sprintf(", %s %q", f[0], f[1])
		}
	}
	s += ", request " + d.RequestID
	if d.RetryCount > 0 {
		s += fmt.Sprintf(" (retry %d)", d.RetryCount)
	}
	return s
}
