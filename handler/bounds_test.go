package handler_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"ess-standby/handler"
	"ess-standby/handler/internal/samples"
	"ess-standby/handler/standby"
)

// Every hostile input of at most 1 MiB, through the whole function: a
// refusal, no call, a small answer and log line, and a bounded cost.
func TestHostileInputsThroughTheFunction(t *testing.T) {
	const limit = 10 << 20
	for name, payload := range samples.Hostile() {
		t.Run(name, func(t *testing.T) {
			f := newFake()
			var logs bytes.Buffer
			h := handler.New(handler.Config{}, newService(standby.Config{}, f.Cloud()), slog.New(slog.NewJSONHandler(&logs, nil)))
			var out handler.Outcome
			invoke := func() {
				logs.Reset()
				if strings.HasPrefix(name, "form:") {
					out = h.InvokeHTTP(context.Background(), fakeInv, handler.HTTPRequest{Method: "POST", Path: "/", Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Body: bytes.NewReader(payload)})
				} else {
					out = h.Invoke(context.Background(), fakeInv, bytes.NewReader(payload))
				}
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			invoke()
			runtime.ReadMemStats(&after)
			if n := after.TotalAlloc - before.TotalAlloc; n > limit {
				t.Errorf("allocated %.1f MiB for %d bytes", float64(n)/(1<<20), len(payload))
			}
			// A refusal, and no call. CloudMonitor's alarm callback (the form
			// with alertState) retries what is not 2xx: its final refusals
			// are answered 200, with their code.
			want := 400
			if strings.HasPrefix(name, "form: alarm") {
				want = 200
			}
			if out.Err == nil || out.Err.Kind != standby.Invalid || out.Status != want || len(f.Calls("")) != 0 {
				t.Errorf("answered %d %.200s after %d calls; want %d, a refusal, and no call", out.Status, out.Body, len(f.Calls("")), want)
			}
			if len(out.Body) > 8<<10 || logs.Len() > 8<<10 {
				t.Errorf("an answer of %d bytes and a log line of %d", len(out.Body), logs.Len())
			}
		})
	}
}
