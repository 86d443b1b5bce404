package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Instance is one instance's part in the run, as the caller reports it.
type Instance struct {
	InstanceID        string `json:"instance_id"`
	ScalingGroupID    string `json:"scaling_group_id"`
	Result            string `json:"result"`
	Code              string `json:"code,omitempty"`
	Reason            string `json:"reason,omitempty"`
	ScalingActivityID string `json:"scaling_activity_id,omitempty"`
}

// Event is one invocation of ess-standby. A generic webhook receives it as
// JSON with these field names.
type Event struct {
	RequestID string     `json:"request_id"`
	Trigger   string     `json:"trigger"`
	Outcome   string     `json:"outcome"` // "standby", "partial", "swept", or an error code such as "Forbidden.MaxStandby"
	DryRun    bool       `json:"dry_run"`
	Groups    []string   `json:"groups"`
	Instances []Instance `json:"instances"`
	Build     string     `json:"build"` // e.g. "ess-standby v1.2.3 (abc1234)"
}

// Bounds on what one event can put into a message. The event's strings come
// from the caller's request and the cloud's answers, so none is trusted to
// be short. DingTalk's markdown text is limited to about 20000 bytes and
// Lark's request body to 20 KB; JSON escaping can double the text, so the
// text stays under 8 KiB.
const (
	maxInstanceLines = 50
	maxTextBytes     = 8 << 10
	maxGroupsBytes   = 1 << 10 // the groups line
	maxFieldBytes    = 128     // an ID, a code, a result, the build
	maxReasonBytes   = 256
	maxTitleBytes    = 64

	// A generic webhook gets structured data, so more of it, still bounded.
	maxWebhookInstances = 500
	maxWebhookGroups    = 100
	maxWebhookBytes     = 48 << 10
)

// render turns ev into a title and a text: DingTalk markdown when md is
// set, Lark plain text otherwise.
func render(ev Event, md bool) (title, text string) {
	outcome := orDash(ev.Outcome)
	title = "ess-standby " + clean(outcome, maxTitleBytes)
	if ev.DryRun {
		title += " (dry run)"
	}
	f := func(s string, max int) string { // a field as it goes into the text
		s = clean(s, max)
		if md {
			s = escapeMarkdown(s)
		}
		return orDash(s)
	}
	item := func(label, value string) string {
		if md {
			return "- " + label + ": " + value
		}
		return label + ": " + value
	}

	var b strings.Builder
	if md {
		b.WriteString("#### " + escapeMarkdown(title) + "\n\n")
	} else {
		b.WriteString(title + "\n")
	}
	dry := "no"
	if ev.DryRun {
		dry = "yes"
	}
	lines := []string{
		item("Outcome", f(outcome, maxFieldBytes)),
		item("Dry run", dry),
		item("Trigger", f(ev.Trigger, maxFieldBytes)),
		item(fmt.Sprintf("Groups (%d)", len(ev.Groups)), groupList(ev.Groups, f)),
		item("Request ID", f(ev.RequestID, maxFieldBytes)),
		item("Build", f(ev.Build, maxFieldBytes)),
	}
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	if len(ev.Instances) == 0 {
		b.WriteString("\nNo instances.")
		return title, b.String()
	}
	if md {
		fmt.Fprintf(&b, "\n**Instances (%d)**\n\n", len(ev.Instances))
	} else {
		fmt.Fprintf(&b, "\nInstances (%d):\n", len(ev.Instances))
	}
	const tail = 64 // room kept for the "and N more" line
	shown := 0
	for _, in := range ev.Instances {
		if shown == maxInstanceLines {
			break
		}
		l := instanceLine(in, f)
		if b.Len()+len(l)+tail > maxTextBytes {
			break
		}
		b.WriteString(l)
		shown++
	}
	if rest := len(ev.Instances) - shown; rest > 0 {
		fmt.Fprintf(&b, "- … and %d more\n", rest)
	}
	return title, strings.TrimSuffix(b.String(), "\n")
}

func instanceLine(in Instance, f func(string, int) string) string {
	parts := []string{f(in.InstanceID, maxFieldBytes), "group " + f(in.ScalingGroupID, maxFieldBytes), f(in.Result, maxFieldBytes)}
	switch {
	case in.Code != "" && in.Reason != "":
		parts = append(parts, f(in.Code, maxFieldBytes)+": "+f(in.Reason, maxReasonBytes))
	case in.Code != "":
		parts = append(parts, f(in.Code, maxFieldBytes))
	case in.Reason != "":
		parts = append(parts, f(in.Reason, maxReasonBytes))
	}
	if in.ScalingActivityID != "" {
		parts = append(parts, "activity "+f(in.ScalingActivityID, maxFieldBytes))
	}
	return "- " + strings.Join(parts, " · ") + "\n"
}

// groupList lists the groups while they fit the header's budget.
func groupList(groups []string, f func(string, int) string) string {
	if len(groups) == 0 {
		return "-"
	}
	var b strings.Builder
	for i, g := range groups {
		s := f(g, maxFieldBytes)
		if b.Len()+len(s) > maxGroupsBytes {
			fmt.Fprintf(&b, " and %d more", len(groups)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s)
	}
	return b.String()
}

// clean makes one field safe to show: valid UTF-8, no control or format
// characters (a newline in a reason could forge a line of the message), no angle
// brackets (Lark turns <at user_id="all"></at> in a text into an @all,
// DingTalk's markdown renders some HTML), and at most max bytes.
func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '<':
			return '‹'
		case r == '>':
			return '›'
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return ' '
		case unicode.Is(unicode.Cf, r): // bidi overrides and zero-width characters can disguise a line
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	return truncate(s, max)
}

// truncate cuts s to at most max bytes on a rune boundary, marking the cut.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// markdownEscaper backslash-escapes what DingTalk's markdown would read as
// emphasis, code or a link, so a field cannot restyle the message or smuggle
// in a link ([text](url) and ![](url) both need the brackets). Headings,
// quotes and tables need a line start, and fields never start a line.
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
)

func escapeMarkdown(s string) string { return markdownEscaper.Replace(s) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// webhookEvent is the generic webhook's body: the Event, bounded, and how
// many instances it had before the bound.
type webhookEvent struct {
	Event
	InstanceCount int  `json:"instance_count"`
	Truncated     bool `json:"truncated,omitempty"`
}

// boundEvent copies ev with every string cut to its bound and the lists cut
// to what fits the webhook budget. Control characters stay: JSON escapes
// them, and a receiver parsing JSON is not fooled by a newline.
func boundEvent(ev Event) webhookEvent {
	out := webhookEvent{InstanceCount: len(ev.Instances)}
	out.RequestID = truncate(ev.RequestID, maxFieldBytes)
	out.Trigger = truncate(ev.Trigger, maxFieldBytes)
	out.Outcome = truncate(ev.Outcome, maxFieldBytes)
	out.DryRun = ev.DryRun
	out.Build = truncate(ev.Build, maxFieldBytes)
	out.Groups = make([]string, 0, min(len(ev.Groups), maxWebhookGroups))
	size := 0
	for _, g := range ev.Groups {
		if len(out.Groups) == maxWebhookGroups {
			out.Truncated = true
			break
		}
		g = truncate(g, maxFieldBytes)
		size += len(g) + 4
		out.Groups = append(out.Groups, g)
	}
	out.Instances = make([]Instance, 0, min(len(ev.Instances), maxWebhookInstances))
	for _, in := range ev.Instances {
		in = Instance{
			InstanceID:        truncate(in.InstanceID, maxFieldBytes),
			ScalingGroupID:    truncate(in.ScalingGroupID, maxFieldBytes),
			Result:            truncate(in.Result, maxFieldBytes),
			Code:              truncate(in.Code, maxFieldBytes),
			Reason:            truncate(in.Reason, maxReasonBytes),
			ScalingActivityID: truncate(in.ScalingActivityID, maxFieldBytes),
		}
		enc, _ := json.Marshal(in) // a struct of strings always encodes
		if len(out.Instances) == maxWebhookInstances || size+len(enc) > maxWebhookBytes {
			out.Truncated = true
			break
		}
		size += len(enc) + 1
		out.Instances = append(out.Instances, in)
	}
	return out
}
