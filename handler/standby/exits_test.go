package standby_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
)

// A guard's refusal is final only while the counts cannot change: an exit
// this process made for the group (a sweep's, an OK's, a request's) that
// no read has shown InService yet may free a place the counts do not show,
// so the alarms it may make room for are left to a retry (Unsettled, kind
// Unavailable: CloudMonitor retries a 502), never answered 200 as final.
// Once a read shows the exit done, or it is refused for good, or too old
// to count, the refusal is final again.
func TestACapRefusalBesideAnExitIsNotFinal(t *testing.T) {
	// asg-s: i-s000 and i-s001 in Standby, parked by the function for r-1
	// with leases ended an hour ago; the rest InService.
	now := time.Date(2026, 11, 27, 4, 30, 0, 0, time.UTC)
	ended := standby.Tags{standby.TagRule: "r-1", standby.TagSource: "cms-alarm-callback",
		standby.TagSince: now.Add(-25 * time.Hour).Format(time.RFC3339), standby.TagUntil: now.Add(-time.Hour).Format(time.RFC3339)}
	capTwo, floorSix := standby.Config{MaxStandby: standby.Share{Count: 2}}, standby.Config{MinInService: standby.Share{Count: 6}}
	// world is the process the alarms run in, and its Auto Scaling.
	type world struct {
		f     *standbytest.Fake
		cfg   standby.Config
		svc   *standby.Service
		clock *time.Time
	}
	sweep := func(t *testing.T, w *world) {
		t.Helper()
		req := standby.Request{Action: standby.Sweep, ScalingGroupID: "asg-s"}
		if _, _, err := w.svc.Sweep(context.Background(), inv, req); err != nil {
			t.Fatalf("the sweep: %v", err)
		}
	}
	tests := []struct {
		name   string
		cfg    standby.Config
		before func(t *testing.T, w *world) // what happens before the alarms
		want   string                       // the alarms' Result and Code
	}{
		{"nothing on its way", capTwo, func(*testing.T, *world) {}, "Refused Forbidden.MaxStandby"},
		{"a sweep's exits answered, not yet run", capTwo, func(t *testing.T, w *world) { w.f.Lag(); sweep(t, w) }, "Failed Unsettled.MaxStandby"},
		{"an OK's exit answered, not yet run", capTwo, func(t *testing.T, w *world) {
			w.f.Lag()
			w.svc.Run(context.Background(), inv, recovery("r-1", "i-s000", "i-s001"))
		}, "Failed Unsettled.MaxStandby"},
		{"a sweep's exits, below the floor", floorSix, func(t *testing.T, w *world) { w.f.Lag(); sweep(t, w) }, "Failed Unsettled.MinInService"},
		{"an exit whose answer was lost", capTwo, func(t *testing.T, w *world) {
			w.f.Lag()
			l := &lossy{Fake: w.f}
			plan, _ := standby.New(standby.Config{DryRun: true}, w.f.Cloud()).Run(context.Background(), inv, recovery("r-1", "i-s000", "i-s001"))
			l.lose = plan[0].Planned[0].ClientToken
			w.svc = standby.New(w.cfg, standby.Cloud{Scaling: l, Instances: l.Fake}).WithoutBackoff() // the alarms run in the same process
			if a, _ := w.svc.Run(context.Background(), inv, recovery("r-1", "i-s000", "i-s001")); !a[0].Instances[0].Left() {
				t.Fatalf("the exit, its answer lost: %+v", a[0].Instances[0])
			}
		}, "Failed Unsettled.MaxStandby"},
		{"an exit done, which a read shows", capTwo, func(t *testing.T, w *world) {
			w.svc.Run(context.Background(), inv, recovery("r-1", "i-s000"))
			w.f.Move("i-s005", "Standby") // someone else fills the place it freed
		}, "Refused Forbidden.MaxStandby"},
		{"an exit refused for good", capTwo, func(t *testing.T, w *world) {
			w.f.Fail("Standby", 1, &standby.Error{Kind: standby.Forbidden, Code: "Forbidden.RAM", Message: "no"})
			w.svc.Run(context.Background(), inv, recovery("r-1", "i-s000"))
		}, "Refused Forbidden.MaxStandby"},
		{"an exit of another group", capTwo, func(t *testing.T, w *world) {
			w.f.Lag()
			w.svc.Run(context.Background(), inv, recovery("r-1", "i-o000"))
		}, "Refused Forbidden.MaxStandby"},
		{"an exit older than the bound", capTwo, func(t *testing.T, w *world) {
			w.f.Lag()
			sweep(t, w)
			*w.clock = w.clock.Add(6 * time.Minute)
		}, "Refused Forbidden.MaxStandby"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := map[string]string{}
			var ids []string
			for i := range 8 {
				ids = append(ids, fmt.Sprintf("i-s%03d", i))
				s[ids[i]] = "InService"
			}
			s[ids[0]], s[ids[1]] = "Standby", "Standby"
			f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-s": s, "asg-o": {"i-o000": "Standby", "i-o001": "InService"}})
			for _, id := range []string{ids[0], ids[1], "i-o000"} {
				f.SetTags(id, ended)
			}
			clock := now
			cfg := tt.cfg
			cfg.LeaseEnd, cfg.Now = standby.LeaseExit, func() time.Time { return clock }
			w := &world{f: f, cfg: cfg, svc: standby.New(cfg, f.Cloud()).WithoutBackoff(), clock: &clock}
			tt.before(t, w)
			calls := len(f.Calls("Standby"))
			alarms := []standby.Request{enter("a-2", ids[2]), enter("a-3", ids[3])}
			answers, _ := w.svc.Run(context.Background(), inv, alarms...)
			for _, a := range answers {
				line := a.Instances[0]
				if got := line.Result + " " + line.Code; got != tt.want {
					t.Errorf("%s answered %s: %s; want %s", line.InstanceID, got, line.Reason, tt.want)
				}
				if retry := line.Left() && standby.Retryable(line.Err); retry != (line.Result == "Failed") || (retry && line.Err.Kind != standby.Unavailable) {
					t.Errorf("%s: %+v; an unsettled refusal is left to a retry, kind Unavailable", line.InstanceID, line.Err)
				}
			}
			if n := len(f.Calls("Standby")) - calls; n != 0 {
				t.Errorf("the refused alarms made %d Standby calls", n)
			}
			if tt.want[:6] != "Failed" {
				return
			}
			// Once the exits run, the retry finds the places they freed.
			f.Settle()
			answers, _ = w.svc.Run(context.Background(), inv, alarms...)
			for _, a := range answers {
				if line := a.Instances[0]; line.Result != "EnteredStandby" {
					t.Errorf("the retry of %s answered %s %s: %s; want it let in", line.InstanceID, line.Result, line.Code, line.Reason)
				}
			}
		})
	}
}
