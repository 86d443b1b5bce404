package handler

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// seeds adds every sample in events/ to a fuzz corpus, through conv.
func seeds(f *testing.F, conv func(name string, raw []byte)) {
	paths, err := filepath.Glob("../events/*.json")
	if err != nil || len(paths) == 0 {
		f.Fatalf("no samples: %v", err)
	}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		conv(filepath.Base(p), raw)
	}
}

// sampleHTTP is the HTTP request recorded in an HTTP-trigger sample.
func sampleHTTP(raw []byte) (HTTPRequest, bool) {
	if classify(raw) != sourceHTTP {
		return HTTPRequest{}, false
	}
	r, err := decodeFCHTTPEvent(raw)
	return r, err == nil
}

// checkRequest holds for every request that validates.
func checkRequest(t *testing.T, req Request, max int) {
	t.Helper()
	if len(req.InstanceIDs) == 0 || len(req.InstanceIDs) > max {
		t.Fatalf("validated %d instances", len(req.InstanceIDs))
	}
	for _, id := range req.InstanceIDs {
		if !validInstanceID(id) {
			t.Fatalf("validated instance ID %q", id)
		}
	}
	if req.ScalingGroupID != "" && !validGroupID(req.ScalingGroupID) || len(req.ClientToken) > 64 || !printableASCII(req.ClientToken) ||
		req.Action != EnterStandby && req.Action != ExitStandby {
		t.Fatalf("validated %+v", req)
	}
}

// fuzzHandler answers with a fake Auto Scaling that knows every instance.
func fuzzHandler() (*Handler, *fakeScaling) {
	f := &fakeScaling{groupOf: map[string]string{}} // knows no instance: a valid request stops at 404
	h := New(Config{}, f, discardLogger())
	h.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	return h, f
}

// checkOutcome: a valid JSON answer, quickly, and no call for input that
// does not validate.
func checkOutcome(t *testing.T, out Outcome, f *fakeScaling, took time.Duration) {
	t.Helper()
	if !json.Valid(out.Body) {
		t.Fatalf("answer is not JSON: %q", out.Body)
	}
	if took > time.Second {
		t.Fatalf("took %v", took)
	}
	if out.Err != nil && out.Err.Kind == Invalid && len(f.lookups)+len(f.calls) > 0 {
		t.Fatalf("invalid input (%s) made %d calls", out.Err.Message, len(f.lookups)+len(f.calls))
	}
	if len(f.calls) > 0 {
		t.Fatalf("a Standby call for instances no group holds")
	}
}

func invocation() Invocation {
	return Invocation{RequestID: "fuzz", Region: "cn-hangzhou", Credentials: Credentials{AccessKeyID: "a", AccessKeySecret: "b"}}
}

// FuzzInvoke feeds whole event payloads, which exercises the discriminator
// and every decoder behind it.
func FuzzInvoke(f *testing.F) {
	seeds(f, func(_ string, raw []byte) { f.Add(raw) })
	f.Fuzz(func(t *testing.T, payload []byte) {
		h, fake := fuzzHandler()
		start := time.Now()
		out := h.Invoke(context.Background(), invocation(), payload)
		checkOutcome(t, out, fake, time.Since(start))
	})
}

// FuzzInvokeHTTP feeds HTTP-trigger requests: method, path, content type,
// query string and body, with AUTH_TOKEN on.
func FuzzInvokeHTTP(f *testing.F) {
	seeds(f, func(_ string, raw []byte) {
		if r, ok := sampleHTTP(raw); ok {
			f.Add(r.Method, r.Path, r.Header("Content-Type"), r.Query.Encode()+"&token=0123456789abcdef", string(r.Body))
		}
	})
	f.Fuzz(func(t *testing.T, method, path, contentType, query, body string) {
		h, fake := fuzzHandler()
		h.cfg.AuthToken = "0123456789abcdef"
		q, _ := url.ParseQuery(query)
		start := time.Now()
		out := h.InvokeHTTP(context.Background(), invocation(), HTTPRequest{Method: method, Path: path, Headers: map[string]string{"Content-Type": contentType}, Query: q, Body: []byte(body)})
		checkOutcome(t, out, fake, time.Since(start))
		if out.Status == 200 && !strings.Contains(query, "0123456789abcdef") {
			t.Fatalf("answered 200 without the token")
		}
	})
}

func FuzzDecodeDirect(f *testing.F) {
	seeds(f, func(_ string, raw []byte) { f.Add(raw) })
	f.Add([]byte(`{"InstanceIds":["i-a","i-a"],"Async":"true","DryRun":false,"Action":"ExitStandby"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if req, _, err := decodeDirect(raw).validate(100); err == nil {
			checkRequest(t, req, 100)
		}
	})
}

func FuzzDecodeParams(f *testing.F) {
	seeds(f, func(_ string, raw []byte) {
		if r, ok := sampleHTTP(raw); ok {
			f.Add(r.Query.Encode())
			f.Add(string(r.Body))
		}
	})
	f.Add("InstanceId.1=i-a&InstanceId.20=i-b&InstanceId.x=i-c&Action=ExitStandby")
	f.Fuzz(func(t *testing.T, query string) {
		values, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		if req, _, err := decodeParams(values).validate(100); err == nil {
			checkRequest(t, req, 100)
		}
	})
}

func FuzzDecodeFCHTTPEvent(f *testing.F) {
	seeds(f, func(_ string, raw []byte) { f.Add(raw) })
	f.Fuzz(func(t *testing.T, raw []byte) {
		if r, err := decodeFCHTTPEvent(raw); err == nil {
			if req, _, err := decodeHTTP(r).draft.validate(100); err == nil {
				checkRequest(t, req, 100)
			}
		}
	})
}

func FuzzDecodeAlarm(f *testing.F) {
	seeds(f, func(_ string, raw []byte) {
		if r, ok := sampleHTTP(raw); ok && strings.Contains(string(r.Body), "alertState") {
			f.Add(string(r.Body))
		}
	})
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		d := decodeAlarm(form.Get)
		if d.ignored == "" {
			if req, _, err := d.draft.validate(100); err == nil {
				checkRequest(t, req, 100)
				if form.Get("alertState") != "ALERT" {
					t.Fatalf("a %q alarm acts", form.Get("alertState"))
				}
			}
		}
	})
}

func FuzzDimension(f *testing.F) {
	f.Add("{userId=1234567890123456, instanceId=i-bp1a}")
	f.Add(`[{"instanceId":"i-a"}]`)
	f.Add(`{"instanceId":"i-a"}`)
	f.Fuzz(func(t *testing.T, dims string) {
		got := dimension(dims, "instanceId")
		if got == "null" || got != strings.TrimSpace(got) {
			t.Fatalf("dimension(%q) = %q", dims, got)
		}
		// The Map.toString form is cut, never rewritten; JSON is decoded.
		if isJSON := strings.HasPrefix(dims, "[") || strings.HasPrefix(dims, `{"`); got != "" && !isJSON && !strings.Contains(dims, got) {
			t.Fatalf("dimension(%q) = %q, which it does not contain", dims, got)
		}
	})
}

func FuzzDecodeCloudEvent(f *testing.F) {
	seeds(f, func(_ string, raw []byte) {
		if classify(raw) == sourceCloudEvent {
			f.Add(raw)
		}
	})
	f.Fuzz(func(t *testing.T, raw []byte) {
		if d := decodeCloudEvent(raw); d.ignored == "" {
			if req, _, err := d.draft.validate(100); err == nil {
				checkRequest(t, req, 100)
			}
		}
	})
}

func FuzzDecodeRawData(f *testing.F) {
	seeds(f, func(_ string, raw []byte) {
		if classify(raw) == sourceRawData {
			f.Add(raw)
		}
	})
	f.Fuzz(func(t *testing.T, raw []byte) {
		if d := decodeRawData(raw); d.ignored == "" {
			if req, _, err := d.draft.validate(100); err == nil {
				checkRequest(t, req, 100)
			}
		}
	})
}

func FuzzDecodeTimer(f *testing.F) {
	seeds(f, func(_ string, raw []byte) {
		if classify(raw) == sourceTimer {
			f.Add(raw)
		}
	})
	f.Fuzz(func(t *testing.T, raw []byte) {
		if req, _, err := decodeTimer(raw).draft.validate(100); err == nil {
			checkRequest(t, req, 100)
		}
	})
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
