//go:build !fcgo1 && !fccustom

package modes

import (
	"bytes"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"ess-standby/handler"
	"ess-standby/handler/essemu"
	"ess-standby/handler/samples"
	"ess-standby/handler/settings"
)

func TestRunShowsTheInstanceInStandby(t *testing.T) {
	event := samples.Read(t, "http-cms-alarm-alert.json")
	var out, logs bytes.Buffer
	if err := Local(t.Context(), settings.Settings{Handler: handler.Config{MaxEventAge: handler.DefaultMaxEventAge}}, essemu.SampleTime, event, &out, slog.New(slog.NewJSONHandler(&logs, nil))); err != nil {
		t.Fatalf("Run = %v\n%s", err, out.String())
	}
	report := out.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`"ScalingActivityId": "asa-[a-z0-9]+"`),
		regexp.MustCompile(`i-bp1ecr7go2go9kq3m1a\s+asg-bp1fo0dbtsbmqa9h5dl3\s+InService -> Standby\s+50 -> 0\s+<- changed`),
		regexp.MustCompile(`EnterStandby\s+HTTP 200\s+signature verified: true`),
		regexp.MustCompile(`TagResources\s+HTTP 200\s+signature verified: true`),
		regexp.MustCompile(`i-bp1ecr7go2go9kq3m1a\n\s+none\n\s+-> event=cms:\S+ rule=\S+ since=\S+Z source=cms-alarm-callback until=\S+Z\n`),
	} {
		if !want.MatchString(report) {
			t.Errorf("report lacks %s:\n%s", want, report)
		}
	}
	if strings.Count(report, "<- changed") != 1 {
		t.Errorf("report shows other changes:\n%s", report)
	}
}

func TestRunReportsAFailure(t *testing.T) {
	var out, logs bytes.Buffer
	err := Local(t.Context(), settings.Settings{}, essemu.SampleTime, []byte(`{"InstanceIds":["i-x y"]}`), &out, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err == nil || !strings.Contains(out.String(), "invocation failed: InvalidParameter") || !strings.Contains(out.String(), "none") {
		t.Errorf("Run = %v\n%s", err, out.String())
	}
}
