package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"ess-standby/handler"
	"ess-standby/handler/internal/samples"
	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
	"ess-standby/handler/trigger"
)

// fuzzSeeds adds every sample in events/ to a fuzz corpus, through add.
func fuzzSeeds(f *testing.F, add func(raw []byte)) {
	for _, s := range samples.Match(f, "*.json") {
		add(s.Payload)
	}
}

// fuzzHandler answers with a fake Auto Scaling that knows no instance, so
// that a valid request stops at 404, with AUTH_TOKEN on.
func fuzzHandler() (*handler.Handler, *standbytest.Fake) {
	f := standbytest.NewFake("cn-hangzhou", nil)
	return handler.New(handler.Config{AuthToken: "0123456789abcdef", MaxEventAge: time.Hour}, newService(standby.Config{}, f.Cloud()), slog.New(slog.DiscardHandler)), f
}

var fuzzInvocation = standby.Invocation{RequestID: "fuzz", Region: "cn-hangzhou", Credentials: standby.Credentials{AccessKeyID: "a", AccessKeySecret: "b"}}

// checkOutcome: a JSON answer of bounded size, quickly, and no call for
// input that does not validate, and no call that changes anything for
// instances no group holds.
func checkOutcome(t *testing.T, out handler.Outcome, f *standbytest.Fake, took time.Duration) {
	t.Helper()
	if !json.Valid(out.Body) || len(out.Body) > 16<<10 {
		t.Fatalf("answer of %d bytes is not JSON or too large: %.200q", len(out.Body), out.Body)
	}
	if took > time.Second {
		t.Fatalf("took %v", took)
	}
	if out.Err != nil && out.Err.Kind == standby.Invalid && len(f.Calls("")) > 0 {
		t.Fatalf("invalid input (%s) made %d calls", out.Err.Message, len(f.Calls("")))
	}
	for _, c := range f.Calls("Standby") {
		if c.GroupID == "" {
			t.Fatalf("a Standby call names no group: %+v", c)
		}
	}
}

// FuzzInvoke feeds whole event payloads: the registry, every decoder behind
// it, batches, the age check and the handler's answers.
func FuzzInvoke(f *testing.F) {
	fuzzSeeds(f, func(raw []byte) { f.Add(raw) })
	f.Fuzz(func(t *testing.T, payload []byte) {
		h, fake := fuzzHandler()
		start := time.Now()
		out := h.Invoke(context.Background(), fuzzInvocation, bytes.NewReader(payload))
		checkOutcome(t, out, fake, time.Since(start))
	})
}

// FuzzInvokeHTTP feeds HTTP-trigger requests: method, path, content type,
// query string and body, with AUTH_TOKEN on.
func FuzzInvokeHTTP(f *testing.F) {
	fuzzSeeds(f, func(raw []byte) {
		if d := trigger.Decode(raw, trigger.Options{}); d.HTTP != nil {
			ct, _ := d.HTTP.Unique("Content-Type")
			f.Add(d.HTTP.Method, d.HTTP.Path, ct, d.HTTP.Query.Encode()+"&token=0123456789abcdef", string(d.HTTP.Body))
		}
	})
	f.Fuzz(func(t *testing.T, method, path, contentType, query, body string) {
		h, fake := fuzzHandler()
		start := time.Now()
		out := h.InvokeHTTP(context.Background(), fuzzInvocation, handler.HTTPRequest{Method: method, Path: path, RawQuery: query, Header: http.Header{"Content-Type": {contentType}}, Body: strings.NewReader(body)})
		checkOutcome(t, out, fake, time.Since(start))
		if out.Status != 401 && !strings.Contains(query, "0123456789abcdef") {
			t.Fatalf("answered %d without the token", out.Status)
		}
	})
}
