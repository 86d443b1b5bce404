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
	Time      time.Time `json:"time"`
	Msg       string    `json:"msg"`
	RequestID string    `json:"request_id"`
	Rule      string    `json:"rule"`
	DryRun    bool      `json:"dry_run"`
	Outcome   string    `json:"outcome"`
	Status    int       `json:"status"`
	Instances []string  `json:"instances"`
	Message   string    `json:"message"`
	Ignored   string    `json:"ignored"`
	Guard     string    `json:"guard"`
}

// decisions are the invocation lines among logs that name rule, oldest
// first. FC ships each line the function writes as a log's message; a line
// that is not the function's JSON is someone else's, and passed over.
func decisions(logs []ess.LogEntry, rule string) []decision {
	var out []decision
	for _, l := range logs {
		msg := l.Fields["message"]
		var d decision
		if i := strings.IndexByte(msg, '{'); i < 0 || json.Unmarshal([]byte(msg[i:]), &d) != nil || d.Msg != "invocation" || d.Rule != rule || d.RequestID == "" {
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

// parks says whether the decision took instance out of traffic (or, in a
// dry run, would have).
func (d decision) parks(instance string) bool {
	return (d.Outcome == "standby" || d.Outcome == "partial") && slices.Contains(d.Instances, instance)
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
	return s + ", request " + d.RequestID
}
