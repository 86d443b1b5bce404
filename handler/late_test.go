package handler_test

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"ess-standby/handler"
	"ess-standby/handler/essemu"
	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
)

// With EXIT_ON_OK, an OK takes back only what its rule parked before the
// OK happened: the samples' ALERT parks the instance, and an OK of the
// same rule dated before the parking (ess-standby:since), by its own
// timestamp as the decoder reads it, is an earlier alarm's, delivered
// late: the instance stays parked, answered 200 with the reason. An OK
// dated after the parking takes it back.
func TestALateOKLeavesAFreshAlarmsInstance(t *testing.T) {
	const id = "i-bp1ecr7go2go9kq3m1a"
	parked := essemu.SampleTime // the ALERT (dated 04:20) arrives at 04:30
	tests := []struct {
		name   string
		okAt   time.Time // the OK's own timestamp; zero: the sample's (04:22)
		sentAt time.Time // the function's clock when it arrives
		back   bool
	}{
		{"the sample's OK, dated 8 minutes before the parking", time.Time{}, parked.Add(time.Minute), false},
		{"an OK dated 20 minutes before the parking", parked.Add(-20 * time.Minute), parked.Add(time.Minute), false},
		{"an OK dated a second before it", parked.Add(-time.Second), parked.Add(time.Minute), false},
		{"an OK dated after it", parked.Add(5 * time.Minute), parked.Add(6 * time.Minute), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := parked
			f := standbytest.NewFake(essemu.SampleRegion, map[string]map[string]string{essemu.WebGroup: {id: "InService", "i-bp1ecr7go2go9kq3m1b": "InService"}})
			// One clock for the handler's ages and the core's tags, as main
			// and local mode have it.
			now := func() time.Time { return clock }
			h := handler.New(handler.Config{ExitOnOK: true, Now: now}, newService(standby.Config{Now: now}, f.Cloud()), slog.New(slog.DiscardHandler))
			invoke := func(name string, payload []byte) handler.Outcome {
				return h.Invoke(context.Background(), standby.Invocation{RequestID: name, Region: essemu.SampleRegion, Credentials: creds}, bytes.NewReader(payload))
			}
			if out := invoke("alert", sample(t, "http-cms-alarm-alert.json")); out.Err != nil || f.State(id) != "Standby" {
				t.Fatalf("the ALERT answered %s; %s is %s", out.Body, id, f.State(id))
			}
			ok := sample(t, "http-cms-alarm-ok.json")
			if !tt.okAt.IsZero() {
				ok = bytes.Replace(ok, []byte("timestamp=1795753320000"), []byte("timestamp="+strconv.FormatInt(tt.okAt.UnixMilli(), 10)), 1)
			}
			clock = tt.sentAt
			out := invoke("ok", ok)
			a := decodeReply(t, out)
			if back := f.State(id) == "InService"; out.Err != nil || back != tt.back {
				t.Fatalf("the OK answered %s; %s is %s; want it back: %t", out.Body, id, f.State(id), tt.back)
			}
			if tt.back {
				return
			}
			since := f.Tags(id)[standby.TagSince]
			if since != parked.Format(time.RFC3339) || len(a.Skipped) != 1 || !strings.Contains(a.Skipped[0].Reason, "parked at "+since+" (ess-standby:since), after this end's own time") {
				t.Errorf("skipped %+v, since %q; want the reason naming both times", a.Skipped, since)
			}
			if n := len(f.Calls("Standby")); n != 1 {
				t.Errorf("%d Standby calls; want the ALERT's alone", n)
			}
		})
	}
}
