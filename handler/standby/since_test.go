package standby_test

import (
	"strings"
	"testing"
	"time"

	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
)

// An end takes back only what was parked before it happened: an OK (a
// RESOLVED, an event's end) dated before the instance's ess-standby:since
// is the end of an earlier alarm of the same rule, delivered late, and
// the instance a fresh alarm parked stays. A since that cannot be read
// takes nothing back either; an end that carries no time is judged as
// before, by its rule alone.
func TestAnEndOlderThanTheParkingTakesNothingBack(t *testing.T) {
	since := time.Date(2026, 11, 27, 4, 20, 0, 0, time.UTC)
	stamp := since.Format(time.RFC3339)
	tests := []struct {
		name   string
		since  string // the instance's ess-standby:since; "-": none
		at     time.Time
		back   bool
		reason string // of the Skipped line, when it stays
	}{
		{"dated 20 minutes before the parking", stamp, since.Add(-20 * time.Minute), false,
			`parked at 2026-11-27T04:20:00Z (ess-standby:since), after this end's own time, 2026-11-27T04:00:00Z`},
		{"dated a second before it", stamp, since.Add(-time.Second), false, "after this end's own time, 2026-11-27T04:19:59Z"},
		{"dated after it", stamp, since.Add(2 * time.Minute), true, ""},
		{"dated at the same second", stamp, since, true, ""},
		{"within the second since names", stamp, since.Add(400 * time.Millisecond), true, ""},
		{"in another zone, after it", stamp, since.Add(time.Minute).In(time.FixedZone("CST", 8*3600)), true, ""},
		{"without a time", stamp, time.Time{}, true, ""},
		{"without a time, since unreadable", "yesterday", time.Time{}, true, ""},
		{"since unreadable", "yesterday", since.Add(time.Hour), false,
			`its ess-standby:since tag "yesterday" is no RFC 3339 time: whether this end (dated 2026-11-27T05:20:00Z) came after the parking cannot be told`},
		{"since missing", "-", since.Add(time.Hour), false, `its ess-standby:since tag "" is no RFC 3339 time`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-a": {"i-a1": "Standby", "i-a2": "InService"}})
			tags := standby.Tags{standby.TagRule: "r-1", standby.TagSource: "cms-alarm-callback", standby.TagSince: tt.since}
			if tt.since == "-" {
				delete(tags, standby.TagSince)
			}
			f.SetTags("i-a1", tags)
			req := recovery("r-1", "i-a1")
			req.At = tt.at
			a, _ := run(t, standby.Config{}, f, inv, req)
			line := a.Instances[0]
			if back := f.State("i-a1") == "InService"; back != tt.back {
				t.Fatalf("i-a1 is %s, answered %s: %s; want it back: %t", f.State("i-a1"), line.Result, line.Reason, tt.back)
			}
			if tt.back {
				if line.Result != "ExitedStandby" || len(f.Tags("i-a1")) != 0 {
					t.Errorf("taken back: %+v, tags %v", line, f.Tags("i-a1"))
				}
				return
			}
			if line.Result != "Skipped" || !strings.Contains(line.Reason, tt.reason) || !strings.HasSuffix(line.Reason, "takes nothing back") {
				t.Errorf("answered %s: %s; want Skipped: …%s…takes nothing back", line.Result, line.Reason, tt.reason)
			}
			if n := len(f.Calls("Standby")); n != 0 || f.Tags("i-a1")[standby.TagRule] != "r-1" {
				t.Errorf("%d Standby calls, tags %v; want none, the tags as they were", n, f.Tags("i-a1"))
			}
		})
	}
}

// The rule judges each end by its own time: two ends of one rule, planned
// together for two instances parked at different times, take back only
// the one parked before each.
func TestEachEndIsJudgedByItsOwnTime(t *testing.T) {
	early, late := time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC), time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)
	f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-a": {"i-a1": "Standby", "i-a2": "Standby"}})
	f.SetTags("i-a1", standby.Tags{standby.TagRule: "r-1", standby.TagSince: early.Format(time.RFC3339)})
	f.SetTags("i-a2", standby.Tags{standby.TagRule: "r-1", standby.TagSince: late.Format(time.RFC3339)})
	end := recovery("r-1", "i-a1", "i-a2")
	end.At = early.Add(30 * time.Minute)
	a, _ := run(t, standby.Config{}, f, inv, end)
	got := map[string]string{}
	for _, line := range a.Instances {
		got[line.InstanceID] = line.Result
	}
	if got["i-a1"] != "ExitedStandby" || got["i-a2"] != "Skipped" || f.State("i-a2") != "Standby" {
		t.Errorf("answered %v; i-a2 is %s; want i-a1 back, i-a2 (parked after the end) left", got, f.State("i-a2"))
	}
}
