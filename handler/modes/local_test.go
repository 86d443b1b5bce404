//go:build !fcgo1 && !fccustom

package modes

import (
	"bytes"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"

	"ess-standby/handler"
	"ess-standby/handler/essemu"
	"ess-standby/handler/internal/samples"
	"ess-standby/handler/settings"
)

func jsonLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }

func TestRunShowsTheInstanceInStandby(t *testing.T) {
	event := samples.Read(t, "http-cms-alarm-alert.json")
	var out bytes.Buffer
	if err := Local(t.Context(), settings.Settings{Handler: handler.Config{MaxEventAge: handler.DefaultMaxEventAge}}, essemu.SampleTime, event, &out, jsonLogger); err != nil {
		t.Fatalf("Run = %v\n%s", err, out.String())
	}
	report := out.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`"ScalingActivityId": "asa-[a-z0-9]+"`),
		// CI greps this line (.ci/run).
		regexp.MustCompile(`i-bp1ecr7go2go9kq3m1a +asg-bp1fo0dbtsbmqa9h5dl3 +InService -> Standby +50 -> 0\s+<- changed`),
		regexp.MustCompile(`EnterStandby\s+HTTP 200\s+signature verified: true`),
		regexp.MustCompile(`TagResources\s+HTTP 200\s+signature verified: true`),
		regexp.MustCompile(`i-bp1ecr7go2go9kq3m1a\n\s+none\n\s+-> rule=\S+ since=\S+Z source=cms-alarm-callback until=\S+Z\n`),
	} {
		if !want.MatchString(report) {
			t.Errorf("report lacks %s:\n%s", want, report)
		}
	}
	if strings.Count(report, "<- changed") != 1 {
		t.Errorf("report shows other changes:\n%s", report)
	}
}

// Each block of local's report says what it is, in this order, the
// function's log line last: it is the least read, and was once printed
// before the answer with no word on what it was.
func TestLocalLabelsEachBlock(t *testing.T) {
	var out bytes.Buffer
	if err := Local(t.Context(), settings.Settings{}, essemu.SampleTime, samples.Read(t, "http-cms-alarm-alert.json"), &out, jsonLogger); err != nil {
		t.Fatal(err)
	}
	report := out.String()
	labels := []string{
		"answer (HTTP trigger, status 200):\n{",
		"\n\ncalls Auto Scaling and ECS received (the emulator, at http://127.0.0.1:",
		"\n\ninstances of the sample fleet, before -> after:\n  INSTANCE",
		"\n\ntags that changed (ess-standby:*), before -> after:\n",
		"\n\nlog line (what FC would ship to Log Service):\n  {\"time\":",
	}
	at := 0
	for _, label := range labels {
		i := strings.Index(report[at:], label)
		if i < 0 {
			t.Fatalf("report lacks %q after byte %d:\n%s", label, at, report)
		}
		at += i + len(label)
	}
	logLine := report[strings.LastIndex(report, "\n  {")+3:]
	if strings.Count(logLine, "\n") != 1 || !strings.Contains(logLine, `"msg":"invocation"`) || !strings.Contains(logLine, `"outcome":"standby"`) {
		t.Errorf("the log block is not the invocation's one line: %q", logLine)
	}
}

// The tag table lists only the instances whose tags changed: the sample
// fleet's i-bp1ecr7go2go9kq3m1e, parked and tagged before, is not this
// event's doing.
func TestLocalListsOnlyChangedTags(t *testing.T) {
	tests := []struct {
		name, event string
		want        []string // the instances in the tag table
	}{
		{"an alarm parks one", "http-cms-alarm-alert.json", []string{"i-bp1ecr7go2go9kq3m1a"}},
		{"an ignored event changes none", "http-cms-alarm-ok.json", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			Local(t.Context(), settings.Settings{}, essemu.SampleTime, samples.Read(t, tt.event), &out, jsonLogger)
			report := out.String()
			start := strings.Index(report, "tags that changed")
			end := strings.Index(report, "\n\nlog line")
			if start < 0 || end < start {
				t.Fatalf("no tag table:\n%s", report)
			}
			table := report[start:end]
			listed := regexp.MustCompile(`(?m)^  (\S+)$`).FindAllStringSubmatch(table, -1)
			var got []string
			for _, m := range listed {
				got = append(got, m[1])
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") && !(len(tt.want) == 0 && len(got) == 1 && got[0] == "none") {
				t.Errorf("tag table lists %v, want %v:\n%s", got, tt.want, table)
			}
		})
	}
}

func TestRunReportsAFailure(t *testing.T) {
	var out bytes.Buffer
	err := Local(t.Context(), settings.Settings{}, essemu.SampleTime, []byte(`{"InstanceIds":["i-x y"]}`), &out, jsonLogger)
	if err == nil || !strings.Contains(out.String(), "invocation failed: InvalidParameter") || !strings.Contains(out.String(), "none") {
		t.Errorf("Run = %v\n%s", err, out.String())
	}
}

// The log block is labelled by how many lines it holds: one (or none,
// printed as one line saying so) is a log line, more are log lines.
func TestLogBlock(t *testing.T) {
	tests := []struct {
		logs, label string
		lines       []string
	}{
		{"", "log line", []string{""}},
		{"{a}\n", "log line", []string{"{a}"}},
		{"{a}", "log line", []string{"{a}"}},
		{"{a}\n{b}\n", "log lines", []string{"{a}", "{b}"}},
		{"{a}\n\n", "log lines", []string{"{a}", ""}},
	}
	for _, tt := range tests {
		if label, lines := logBlock(tt.logs); label != tt.label || !slices.Equal(lines, tt.lines) {
			t.Errorf("logBlock(%q) = %q, %q; want %q, %q", tt.logs, label, lines, tt.label, tt.lines)
		}
	}
}
