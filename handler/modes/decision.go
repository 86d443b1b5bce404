//go:build !fcgo1 && !fccustom

package modes

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"ess-standby/handler/ess"
)

// decision is the function's invocation line on an event, as the drill
// reads it back from Log Service: the fields README's Logs section lists.
type decision struct {
	Time         time.Time    `json:"time"`
	Msg          string       `json:"msg"`
	RequestID    string       `json:"request_id"`
	RetryCount   int          `json:"retry_count"` // FC's async retries keep the request ID
	Rule         string       `json:"rule"`
	EventResults []batchEvent `json:"event_results"` // a batch's: what became of each of its events
	DryRun       bool         `json:"dry_run"`
	Outcome      string       `json:"outcome"`
	Status       int          `json:"status"`
	Instances    []string     `json:"instances"`
	Message      string       `json:"message"`
	Ignored      string       `json:"ignored"`
	Guard        string       `json:"guard"`
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
			d.Msg != "invocation" || d.Rule != rule && !slices.ContainsFunc(d.EventResults, func(e batchEvent) bool { return e.Rule == rule }) || d.RequestID == "" {
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

// batchEvent is what became of one event of a batch.
type batchEvent struct {
	Rule      string   `json:"rule"`
	Result    string   `json:"result"`
	Instances []string `json:"instances"`
}

// parks says whether the decision took instance out of traffic for rule
// (or, in a dry run, would have): in a batch, by that event's own result,
// not the batch's, which may have acted on the instance for another event.
func (d decision) parks(instance, rule string) bool {
	if d.Outcome != "standby" && d.Outcome != "partial" || !slices.Contains(d.Instances, instance) {
		return false
	}
	return d.Rule == rule || slices.ContainsFunc(d.EventResults, func(e batchEvent) bool {
		return e.Rule == rule && e.Result == "Acted" && slices.Contains(e.Instances, instance)
	})
}

func (d decision) String() string {
	s := "outcome " + d.Outcome
	if d.DryRun {
		s += " (dry run)"
	}
	s += fmt.Sprintf(", status %d, instances %v", d.Status, d.Instances)
	for _, f := range [][2]string{{"guard", d.Guard}, {"ignored", d.Ignored}, {"message", d.Message}} {
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
