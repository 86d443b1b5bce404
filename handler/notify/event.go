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
	title = messageTitle(ev)
	t := textFormat{md: md}
	var b strings.Builder
	b.WriteString(t.heading(title))
	for _, l := range t.summary(ev) {
		b.WriteString(l + "\n")
	}
	if len(ev.Instances) == 0 {
		b.WriteString("\nNo instances.")
		return title, b.String()
	}
	t.writeInstances(&b, ev.Instances)
	return title, strings.TrimSuffix(b.String(), "\n")
}

// messageTitle is the outcome, and whether it was a dry run.
func messageTitle(ev Event) string {
	title := "ess-standby " + clean(orDash(ev.Outcome), maxTitleBytes)
	if ev.DryRun {
		title += " (dry run)"
	}
	return title
}

// textFormat writes a message's text: DingTalk markdown when md is set,
// Lark plain text otherwise.
type textFormat struct{ md bool }

// field is a field as it goes into the text.
func (t textFormat) field(s string, max int) string {
	s = clean(s, max)
	if t.md {
		s = escapeMarkdown(s)
	}
	return orDash(s)
}

func (t textFormat) item(label, value string) string {
	if t.md {
		return "- " + label + ": " + value
	}
	return label + ": " + value
}

func (t textFormat) heading(title string) string {
	if t.md {
		return "#### " + escapeMarkdown(title) + "\n\n"
	}
	return title + "\n"
}

// summary is the text's lines before its instances.
func (t textFormat) summary(ev Event) []string {
	dry := "no"
	if ev.DryRun {
		dry = "yes"
	}
	return []string{
		t.item("Outcome", t.field(ev.Outcome, maxFieldBytes)),
		t.item("Dry run", dry),
		t.item("Trigger", t.field(ev.Trigger, maxFieldBytes)),
		t.item(fmt.Sprintf("Groups (%d)", len(ev.Groups)), t.groupList(ev.Groups)),
		t.item("Request ID", t.field(ev.RequestID, maxFieldBytes)),
		t.item("Build", t.field(ev.Build, maxFieldBytes)),
	}
}

// writeInstances writes the instances' heading and a line for each while
// they fit (maxInstanceLines of them, within maxTextBytes), then how many
// more there are.
func (t textFormat) writeInstances(b *strings.Builder, instances []Instance) {
	if t.md {
		fmt.Fprintf(b, "\n**Instances (%d)**\n\n", len(instances))
	} else {
		fmt.Fprintf(b, "\nInstances (%d):\n", len(instances))
	}
	const tail = 64 // room kept for the "and N more" line
	shown := 0
	for _, in := range instances {
		if shown == maxInstanceLines {
			break
		}
		l := t.instanceLine(in)
		if b.Len()+len(l)+tail > maxTextBytes {
			break
		}
		b.WriteString(l)
		shown++
	}
	if rest := len(instances) - shown; rest > 0 {
		fmt.Fprintf(b, "- … and %d more\n", rest)
	}
}

func (t textFormat) instanceLine(in Instance) string {
	parts := []string{t.field(in.InstanceID, maxFieldBytes), "group " + t.field(in.ScalingGroupID, maxFieldBytes), t.field(in.Result, maxFieldBytes)}
	switch {
	case in.Code != "" && in.Reason != "":
		parts = append(parts, t.field(in.Code, maxFieldBytes)+": "+t.field(in.Reason, maxReasonBytes))
	case in.Code != "":
		parts = append(parts, t.field(in.Code, maxFieldBytes))
	case in.Reason != "":
		parts = append(parts, t.field(in.Reason, maxReasonBytes))
	}
	if in.ScalingActivityID != "" {
		parts = append(parts, "activity "+t.field(in.ScalingActivityID, maxFieldBytes))
	}
	return "- " + strings.Join(parts, " · ") + "\n"
}

// groupList lists the groups while they fit the header's budget.
func (t textFormat) groupList(groups []string) string {
	if len(groups) == 0 {
		return "-"
	}
	var b strings.Builder
	for i, g := range groups {
		s := t.field(g, maxFieldBytes)
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
