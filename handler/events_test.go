package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ess-standby/handler"
	"ess-standby/handler/ess"
	"ess-standby/handler/essemu"
	"ess-standby/handler/internal/fctest"
	"ess-standby/handler/internal/samples"
	"ess-standby/handler/standby"
)

var key = essemu.Key{ID: fctest.Secret("STS.NSampleAccessKey01"), Secret: fctest.Secret("sample-Secret+/="), Token: fctest.Secret("CAIS-sample-security-token+/=")}

// TestMain checks, after every test, that no invocation logged a credential.
func TestMain(m *testing.M) { os.Exit(fctest.CheckSecrets(m.Run())) }

// Every sample in events/ through the handler, the real SDK and the
// emulator: the answer, the calls, the resulting state and the log line.
func TestEverySampleEvent(t *testing.T) {
	emu := essemu.NewServer([]essemu.Key{key}, essemu.SampleFleet()...)
	defer emu.Close()
	endpoint, _ := url.Parse(emu.URL)
	logs := &fctest.Output{}
	h := handler.New(handler.Config{MaxEventAge: handler.DefaultMaxEventAge, Now: func() time.Time { return essemu.SampleTime }}, newService(standby.Config{Now: func() time.Time { return essemu.SampleTime }}, ess.New(ess.Config{Endpoint: endpoint, ECSEndpoint: endpoint, ECIEndpoint: endpoint}).Cloud()), slog.New(slog.NewJSONHandler(io.MultiWriter(logs, fctest.Logs()), nil)))
	creds := standby.Credentials{AccessKeyID: key.ID, AccessKeySecret: key.Secret, SecurityToken: key.Token}

	for _, sample := range samples.All(t) {
		name, want := sample.Name, sample.Expect
		t.Run(name, func(t *testing.T) {
			emu.Reset()
			inv := standby.Invocation{RequestID: "req-" + name, Region: essemu.SampleRegion, Credentials: creds}
			out := h.Invoke(context.Background(), inv, bytes.NewReader(sample.Payload))
			got := samples.Response{HTTP: out.HTTP, Status: out.Status, Body: out.Body}
			if out.Err != nil {
				got.Code = out.Err.Code
			}
			for _, diff := range want.Check(got, emu, key) {
				t.Error(diff)
			}
			lines := logLines(logs.Take())
			checkGolden(t, "testdata/golden/"+name, out)
			// One line per invocation, last; a sweep's instances someone
			// must hear of have a line each before it.
			if len(lines) == 0 || want.Swept == nil && len(lines) != 1 {
				t.Fatalf("%d log lines, want one per invocation", len(lines))
			}
			for _, l := range lines[:len(lines)-1] {
				if l["msg"] != "lease ended" || l["request_id"] != inv.RequestID {
					t.Errorf("a sweep's line %v, want a lease ended of this invocation", l)
				}
			}
			lines = lines[len(lines)-1:]
			if lines[0]["trigger"] != want.Trigger || lines[0]["request_id"] != inv.RequestID || lines[0]["status"] != float64(want.Status) {
				t.Errorf("log line %v, want trigger %s, request_id %s, status %d", lines[0], want.Trigger, inv.RequestID, want.Status)
			}
		})
	}
}

func logLines(out string) []map[string]any {
	var lines []map[string]any
	for line := range strings.Lines(out) {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			lines = append(lines, m)
		}
	}
	return lines
}

var update = flag.Bool("update", false, "rewrite testdata/golden/ from the answers")

// checkGolden compares an answer, exactly, with its golden file: whether it
// went out as an HTTP response, its status, and its body. -update rewrites
// the file.
func checkGolden(t *testing.T, path string, out handler.Outcome) {
	t.Helper()
	var body bytes.Buffer
	if err := json.Indent(&body, out.Body, "", "  "); err != nil {
		t.Fatalf("the answer is not JSON: %s", out.Body)
	}
	got := fmt.Sprintf("HTTP %t, status %d\n%s\n", out.HTTP, out.Status, body.Bytes())
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no golden answer (go test ./handler/ -run TestEverySampleEvent -update writes it): %v", err)
	}
	if got != string(want) {
		t.Errorf("the answer differs from %s (-update rewrites it):\n%s", path, cmp.Diff(string(want), got))
	}
}
