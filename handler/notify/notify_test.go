package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Credentials the tests plant, to look for in error text afterwards.
const (
	testSecret = "SEC-0123456789abcdef-test-secret"
	testToken  = "dt-access-token-4f1b2c3d"
	testHookID = "lark-hook-6a0e7f2b-1c9d"
)

var pinnedNow = time.Date(2026, 12, 1, 8, 30, 0, 123_000_000, time.UTC)

// answer is one scripted reply of a fake vendor.
type answer struct {
	status int
	body   string
	hang   bool // answer nothing until the client gives up
}

var (
	dingOK   = answer{status: 200, body: `{"errcode":0,"errmsg":"ok"}`}
	larkOK   = answer{status: 200, body: `{"code":0,"msg":"success","data":{},"Extra":null,"StatusCode":0,"StatusMessage":"success"}`}
	webhook2 = answer{status: 204}
)

// vendor is a fake DingTalk, Lark or webhook receiver. It checks every
// request the way the real one would — the signature recomputed here from
// the secret and the timestamp it received — and answers from a script
// whose last entry repeats.
type vendor struct {
	t       *testing.T
	kind    Kind
	secret  string
	answers []answer
	release chan struct{}

	mu     sync.Mutex
	bodies [][]byte
}

func (v *vendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		v.t.Errorf("reading the request: %v", err)
	}
	v.mu.Lock()
	a := v.answers[min(len(v.bodies), len(v.answers)-1)]
	v.bodies = append(v.bodies, body)
	v.mu.Unlock()
	if r.Method != http.MethodPost {
		v.t.Errorf("method %s, want POST", r.Method)
	}
	switch v.kind {
	case DingTalk:
		v.checkDingTalk(r, body)
	case Lark:
		v.checkLark(r, body)
	default:
		v.checkWebhook(r, body)
	}
	if a.hang {
		select {
		case <-r.Context().Done():
		case <-v.release:
		}
		return
	}
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

func (v *vendor) checkDingTalk(r *http.Request, body []byte) {
	q := r.URL.Query()
	if r.URL.Path != "/robot/send" || q.Get("access_token") != testToken {
		v.t.Errorf("DingTalk got path %q, access_token %q", r.URL.Path, q.Get("access_token"))
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		v.t.Errorf("DingTalk got Content-Type %q", ct)
	}
	ts, sign := q.Get("timestamp"), q.Get("sign")
	if v.secret == "" {
		if q.Has("timestamp") || q.Has("sign") {
			v.t.Errorf("unsigned DingTalk request carries timestamp %q, sign %q", ts, sign)
		}
	} else {
		if want := strconv.FormatInt(pinnedNow.UnixMilli(), 10); ts != want {
			v.t.Errorf("DingTalk timestamp %q, want %q (milliseconds)", ts, want)
		}
		m := hmac.New(sha256.New, []byte(v.secret))
		io.WriteString(m, ts+"\n"+v.secret)
		want := base64.StdEncoding.EncodeToString(m.Sum(nil))
		// Query() decodes, and an unescaped '+' would come back as a space.
		if sign != want {
			v.t.Errorf("DingTalk sign %q, want %q", sign, want)
		}
	}
	var msg struct {
		Msgtype  string `json:"msgtype"`
		Markdown struct {
			Title string `json:"title"`
			Text  string `json:"text"`
		} `json:"markdown"`
	}
	if err := strictDecode(body, &msg); err != nil || msg.Msgtype != "markdown" || msg.Markdown.Title == "" || msg.Markdown.Text == "" {
		v.t.Errorf("DingTalk body is not a markdown message (%v): %.200s", err, body)
	}
}

func (v *vendor) checkLark(r *http.Request, body []byte) {
	if r.URL.Path != "/open-apis/bot/v2/hook/"+testHookID {
		v.t.Errorf("Lark got path %q", r.URL.Path)
	}
	var msg struct {
		Timestamp json.RawMessage `json:"timestamp"`
		Sign      *string         `json:"sign"`
		MsgType   string          `json:"msg_type"`
		Content   struct {
			Text string `json:"text"`
		} `json:"content"`
	}
	if err := strictDecode(body, &msg); err != nil || msg.MsgType != "text" || msg.Content.Text == "" {
		v.t.Errorf("Lark body is not a text message (%v): %.200s", err, body)
	}
	if v.secret == "" {
		if msg.Timestamp != nil || msg.Sign != nil {
			v.t.Errorf("unsigned Lark body carries timestamp or sign: %.200s", body)
		}
		return
	}
	var ts string
	if err := json.Unmarshal(msg.Timestamp, &ts); err != nil {
		v.t.Errorf("Lark timestamp %s is not a JSON string", msg.Timestamp)
	}
	if want := strconv.FormatInt(pinnedNow.Unix(), 10); ts != want {
		v.t.Errorf("Lark timestamp %q, want %q (seconds)", ts, want)
	}
	m := hmac.New(sha256.New, []byte(ts+"\n"+v.secret)) // the string is the key; the message is empty
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	if msg.Sign == nil || *msg.Sign != want {
		v.t.Errorf("Lark sign %v, want %q", msg.Sign, want)
	}
}

func (v *vendor) checkWebhook(r *http.Request, body []byte) {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		v.t.Errorf("webhook Content-Type %q", ct)
	}
	ts, sig := r.Header.Get("X-Ess-Standby-Timestamp"), r.Header.Get("X-Ess-Standby-Signature")
	if v.secret == "" {
		if ts != "" || sig != "" {
			v.t.Errorf("unsigned webhook carries timestamp %q, signature %q", ts, sig)
		}
	} else {
		if want := strconv.FormatInt(pinnedNow.Unix(), 10); ts != want {
			v.t.Errorf("webhook timestamp %q, want %q", ts, want)
		}
		m := hmac.New(sha256.New, []byte(v.secret))
		io.WriteString(m, ts+".")
		m.Write(body)
		if want := "sha256=" + hex.EncodeToString(m.Sum(nil)); !hmac.Equal([]byte(sig), []byte(want)) {
			v.t.Errorf("webhook signature %q, want %q", sig, want)
		}
	}
	var ev webhookEvent
	if err := strictDecode(body, &ev); err != nil || ev.RequestID == "" {
		v.t.Errorf("webhook body is not the event (%v): %.200s", err, body)
	}
}

func strictDecode(b []byte, v any) error {
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

func (v *vendor) calls() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.bodies)
}

func (v *vendor) body(i int) []byte {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.bodies[i]
}

// toServer sends every request to srv whatever its URL names, so the real
// vendor URLs (and with them KindOf) are used against a local server. It
// counts round trips, which the server cannot do for requests the client
// abandoned before they arrived.
type toServer struct {
	srv   *httptest.Server
	trips atomic.Int32
}

func (t *toServer) RoundTrip(r *http.Request) (*http.Response, error) {
	t.trips.Add(1)
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = "http", t.srv.Listener.Addr().String()
	return t.srv.Client().Transport.RoundTrip(r)
}

// waits records the backoffs Send asked for, and returns at once.
type waits struct {
	mu  sync.Mutex
	got []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.got = append(w.got, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.got)
}

var vendorURL = map[Kind]string{
	DingTalk: "https://oapi.dingtalk.com/robot/send?access_token=" + testToken,
	Lark:     "https://open.feishu.cn/open-apis/bot/v2/hook/" + testHookID,
	Webhook:  "https://hooks.example.com/ess-standby/" + testHookID,
}

type fixture struct {
	vendor *vendor
	trans  *toServer
	waits  *waits
	n      *Notifier
}

// setup starts a fake vendor of the kind and a Notifier aimed at it.
func setup(t *testing.T, kind Kind, secret string, answers ...answer) *fixture {
	t.Helper()
	v := &vendor{t: t, kind: kind, secret: secret, answers: answers, release: make(chan struct{})}
	srv := httptest.NewServer(v)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(v.release) }) // runs first: unblocks hung handlers so Close can return
	u, err := ParseURL(vendorURL[kind])
	if err != nil {
		t.Fatal(err)
	}
	if got := KindOf(u); got != kind {
		t.Fatalf("KindOf(%s) = %s, want %s", u.Host, got, kind)
	}
	f := &fixture{vendor: v, trans: &toServer{srv: srv}, waits: &waits{}}
	f.n = New(Config{URL: u, Secret: secret, Client: &http.Client{Transport: f.trans}, Now: func() time.Time { return pinnedNow }, Sleep: f.waits.sleep})
	return f
}

func sampleEvent() Event {
	return Event{
		RequestID: "req-7c1e",
		Trigger:   "timer",
		Outcome:   "partial",
		DryRun:    true,
		Groups:    []string{"asg-bp1web", "asg-bp1api"},
		Instances: []Instance{
			{InstanceID: "i-bp1aaa", ScalingGroupID: "asg-bp1web", Result: "standby", ScalingActivityID: "asa-bp1act"},
			{InstanceID: "i-bp1bbb", ScalingGroupID: "asg-bp1api", Result: "failed", Code: "IncorrectInstanceStatus", Reason: "instance is not InService"},
		},
		Build: "ess-standby v1.2.3 (abc1234)",
	}
}

func okFor(kind Kind) answer {
	switch kind {
	case DingTalk:
		return dingOK
	case Lark:
		return larkOK
	}
	return webhook2
}

// The text of the message a vendor received.
func sentText(t *testing.T, kind Kind, body []byte) string {
	t.Helper()
	var m struct {
		Markdown struct{ Text string } `json:"markdown"`
		Content  struct{ Text string } `json:"content"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if kind == DingTalk {
		return m.Markdown.Text
	}
	return m.Content.Text
}

func TestSendSignedAndUnsigned(t *testing.T) {
	for _, kind := range []Kind{DingTalk, Lark, Webhook} {
		for _, secret := range []string{"", testSecret} {
			t.Run(fmt.Sprintf("%s/signed=%t", kind, secret != ""), func(t *testing.T) {
				f := setup(t, kind, secret, okFor(kind))
				ev := sampleEvent()
				if err := f.n.Send(t.Context(), ev); err != nil {
					t.Fatalf("Send: %v", err)
				}
				if got := f.vendor.calls(); got != 1 {
					t.Fatalf("%d requests, want 1", got)
				}
				body := f.vendor.body(0)
				if kind == Webhook {
					var got webhookEvent
					if err := json.Unmarshal(body, &got); err != nil {
						t.Fatal(err)
					}
					if got.RequestID != ev.RequestID || !got.DryRun || len(got.Instances) != 2 || got.Instances[1] != ev.Instances[1] || got.InstanceCount != 2 || got.Truncated {
						t.Errorf("webhook got %+v", got)
					}
					return
				}
				text := sentText(t, kind, body)
				for _, want := range []string{"i-bp1aaa", "asg-bp1web", "standby", "asa-bp1act", "i-bp1bbb", "IncorrectInstanceStatus", "instance is not InService", "asg-bp1api", "req-7c1e", "v1.2.3", "Dry run: yes", "timer"} {
					if !strings.Contains(text, want) {
						t.Errorf("the text lacks %q:\n%s", want, text)
					}
				}
			})
		}
	}
}

// A vendor that answers, but not with its confirmation, has not delivered
// the message, and saying it again will not help.
func TestVendorRefusalIsFinal(t *testing.T) {
	for _, c := range []struct {
		name string
		kind Kind
		a    answer
		want string
	}{
		{"dingtalk sign", DingTalk, answer{200, `{"errcode":310000,"errmsg":"sign not match"}`, false}, "code 310000: sign not match"},
		{"dingtalk token", DingTalk, answer{200, `{"errcode":300001,"errmsg":"token is not exist"}`, false}, "code 300001"},
		{"dingtalk 200 from a proxy", DingTalk, answer{200, `<html>ok</html>`, false}, "HTTP 200 without the vendor's confirmation"},
		{"dingtalk redirect", DingTalk, answer{302, ``, false}, "HTTP 302"},
		{"lark sign", Lark, answer{200, `{"code":19021,"data":{},"msg":"sign match fail or timestamp is not within one hour from current time"}`, false}, "code 19021"},
		{"lark old StatusCode", Lark, answer{200, `{"Extra":null,"StatusCode":19001,"StatusMessage":"param invalid"}`, false}, "code 19001: param invalid"},
		{"lark 200 without code", Lark, answer{200, `{}`, false}, "HTTP 200 without"},
		{"webhook 400", Webhook, answer{400, `bad`, false}, "HTTP 400"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t, c.kind, testSecret, c.a)
			err := f.n.Send(t.Context(), sampleEvent())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Send = %v, want an error with %q", err, c.want)
			}
			if got := f.vendor.calls(); got != 1 {
				t.Errorf("%d requests, want 1: a refusal is not retried", got)
			}
		})
	}
}

// Older Lark deployments confirm with StatusCode alone.
func TestLarkOldConfirmation(t *testing.T) {
	f := setup(t, Lark, "", answer{200, `{"Extra":null,"StatusCode":0,"StatusMessage":"success"}`, false})
	if err := f.n.Send(t.Context(), sampleEvent()); err != nil {
		t.Fatal(err)
	}
}

func TestRetriedThenSucceeds(t *testing.T) {
	for _, c := range []struct {
		name  string
		kind  Kind
		first answer
	}{
		{"dingtalk 429", DingTalk, answer{429, ``, false}},
		{"dingtalk send too fast", DingTalk, answer{200, `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`, false}},
		{"dingtalk busy", DingTalk, answer{200, `{"errcode":-1,"errmsg":"system busy"}`, false}},
		{"lark 9499", Lark, answer{200, `{"code":9499,"msg":"too many request"}`, false}},
		{"lark 11232 with 400", Lark, answer{400, `{"code":11232,"msg":"frequency limited"}`, false}},
		{"lark 502", Lark, answer{502, `<html>bad gateway</html>`, false}},
		{"webhook 503", Webhook, answer{503, ``, false}},
		{"webhook 429", Webhook, answer{429, ``, false}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t, c.kind, testSecret, c.first, okFor(c.kind))
			if err := f.n.Send(t.Context(), sampleEvent()); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if got := f.vendor.calls(); got != 2 {
				t.Errorf("%d requests, want 2", got)
			}
			if f.waits.count() != 1 || f.waits.got[0] != backoff[0] {
				t.Errorf("waits %v, want [%v]", f.waits.got, backoff[0])
			}
		})
	}
}

func TestRetriesStopAfterThree(t *testing.T) {
	f := setup(t, Webhook, testSecret, answer{500, `oops`, false})
	err := f.n.Send(t.Context(), sampleEvent())
	if err == nil || !strings.Contains(err.Error(), "HTTP 500 (3 attempts)") {
		t.Fatalf("Send = %v, want HTTP 500 after 3 attempts", err)
	}
	if got := f.vendor.calls(); got != 3 {
		t.Errorf("%d requests, want 3", got)
	}
	if f.waits.count() != 2 {
		t.Errorf("waits %v, want two", f.waits.got)
	}
}

// A receiver that never answers costs the caller no more than its deadline,
// or the notifier's own budget when the caller has none; and each attempt
// ends at its own timeout rather than eating the whole budget.
func TestHungReceiver(t *testing.T) {
	hang := answer{hang: true}
	t.Run("ctx deadline", func(t *testing.T) {
		f := setup(t, DingTalk, testSecret, hang)
		const deadline = 300 * time.Millisecond
		ctx, cancel := context.WithTimeout(t.Context(), deadline)
		defer cancel()
		start := time.Now()
		err := f.n.Send(ctx, sampleEvent())
		if took := time.Since(start); took > deadline+time.Second {
			t.Errorf("Send took %v with a %v deadline", took, deadline)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Send = %v, want a deadline error", err)
		}
		if got := f.trans.trips.Load(); got != 1 {
			t.Errorf("%d attempts, want 1: no time was left for a retry", got)
		}
	})
	t.Run("own budget", func(t *testing.T) {
		f := setup(t, Lark, testSecret, hang)
		f.n.budget, f.n.attemptTimeout = 300*time.Millisecond, time.Minute
		start := time.Now()
		err := f.n.Send(context.Background(), sampleEvent())
		if took := time.Since(start); took > f.n.budget+time.Second {
			t.Errorf("Send took %v with a %v budget", took, f.n.budget)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Send = %v, want a deadline error", err)
		}
	})
	t.Run("attempt timeout", func(t *testing.T) {
		f := setup(t, Webhook, testSecret, hang)
		f.n.budget, f.n.attemptTimeout, f.n.backoff = time.Minute, 50*time.Millisecond, []time.Duration{0}
		err := f.n.Send(t.Context(), sampleEvent())
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "(3 attempts)") {
			t.Errorf("Send = %v, want a deadline error after 3 attempts", err)
		}
		if got := f.trans.trips.Load(); got != 3 {
			t.Errorf("%d attempts, want 3", got)
		}
	})
	t.Run("ctx already done", func(t *testing.T) {
		f := setup(t, Webhook, "", webhook2)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := f.n.Send(ctx, sampleEvent()); !errors.Is(err, context.Canceled) {
			t.Errorf("Send = %v, want context.Canceled", err)
		}
		if got := f.trans.trips.Load(); got != 0 {
			t.Errorf("%d attempts, want none", got)
		}
	})
}

// Send's errors go to logs: no secret, no access_token, no query, no hook
// token, and no more of the answer than a short code and message, even
// when the vendor or the transport echoes them.
func TestErrorsAreSafeToLog(t *testing.T) {
	echo := fmt.Sprintf(`{"errcode":310000,"errmsg":"sign not match: secret=%s token=%s url=https://oapi.dingtalk.com/robot/send?access_token=%s %s"}`,
		testSecret, testToken, url.QueryEscape(testToken), strings.Repeat("x", 5000))
	for _, c := range []struct {
		name string
		kind Kind
		a    answer
		want string
	}{
		{"dingtalk echoes", DingTalk, answer{200, echo, false}, "oapi.dingtalk.com/robot/send"},
		{"dingtalk body", DingTalk, answer{500, strings.Repeat("stack trace ", 1000) + testToken, false}, "HTTP 500"},
		{"lark echoes", Lark, answer{200, `{"code":19021,"msg":"bad sign for hook ` + testHookID + ` with ` + testSecret + `"}`, false}, "open.feishu.cn/open-apis/bot/v2/hook/…"},
		{"webhook echoes", Webhook, answer{401, testSecret, false}, "hooks.example.com/ess-standby/…"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t, c.kind, testSecret, c.a)
			err := f.n.Send(t.Context(), sampleEvent())
			checkSafe(t, err)
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q lacks %q", err, c.want)
			}
		})
	}
	// A dial error: http.Client wraps it in a *url.Error quoting the full URL.
	t.Run("transport error", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close() // nothing listens there now
		u, _ := ParseURL("http://" + srv.Listener.Addr().String() + "/robot/send?access_token=" + testToken)
		n := New(Config{URL: u, Secret: testSecret, Sleep: (&waits{}).sleep})
		err := n.Send(t.Context(), sampleEvent())
		checkSafe(t, err)
		if !strings.Contains(err.Error(), "(3 attempts)") {
			t.Errorf("error %q: a refused connection is retried", err)
		}
	})
}

func checkSafe(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("Send succeeded, want an error")
	}
	s := err.Error()
	for _, leak := range []string{testSecret, testToken, testHookID, "access_token", "xxxxxxxxxx", "stack trace"} {
		if strings.Contains(s, leak) {
			t.Errorf("error text holds %q: %s", leak, s)
		}
	}
	if len(s) > 400 {
		t.Errorf("error text is %d bytes: %s", len(s), s)
	}
}

func TestMessageIsBounded(t *testing.T) {
	many := func(n int, reason string) Event {
		ev := sampleEvent()
		ev.Instances, ev.Groups = nil, nil
		for i := range n {
			ev.Instances = append(ev.Instances, Instance{InstanceID: fmt.Sprintf("i-%04d", i), ScalingGroupID: "asg-1", Result: "standby", Reason: reason, ScalingActivityID: "asa-1"})
			ev.Groups = append(ev.Groups, fmt.Sprintf("asg-%04d", i))
		}
		return ev
	}
	hostile := "line\n- i-forged · standby <at user_id=\"all\">everyone</at> [click](https://evil.example) \u202edesrever " + strings.Repeat("é", 10000)
	for _, kind := range []Kind{DingTalk, Lark} {
		t.Run(string(kind)+"/1000 instances", func(t *testing.T) {
			f := setup(t, kind, "", okFor(kind))
			if err := f.n.Send(t.Context(), many(1000, "")); err != nil {
				t.Fatal(err)
			}
			text := sentText(t, kind, f.vendor.body(0))
			if got := strings.Count(text, "\n- i-"); got != maxInstanceLines {
				t.Errorf("%d instance lines, want %d", got, maxInstanceLines)
			}
			if !strings.Contains(text, "and 950 more") || !strings.Contains(text, "i-0049") || strings.Contains(text, "i-0050") {
				t.Errorf("the text does not end with the first 50 and a count of the rest:\n%s", text)
			}
			if len(text) > maxTextBytes {
				t.Errorf("text is %d bytes", len(text))
			}
		})
		t.Run(string(kind)+"/hostile", func(t *testing.T) {
			f := setup(t, kind, "", okFor(kind))
			ev := many(1000, hostile)
			ev.Build, ev.RequestID = strings.Repeat("b", 100000), "req\n<at user_id=\"all\"></at>"
			if err := f.n.Send(t.Context(), ev); err != nil {
				t.Fatal(err)
			}
			body := f.vendor.body(0)
			text := sentText(t, kind, body)
			if len(text) > maxTextBytes || len(body) > 20000 {
				t.Errorf("text %d bytes, body %d bytes", len(text), len(body))
			}
			// Lark's text renders only <at>; DingTalk's markdown renders links.
			if strings.Contains(text, "<at") || strings.Contains(text, "\n- i-forged") || strings.Contains(text, "\u202e") || kind == DingTalk && strings.Contains(text, "[click](") {
				t.Errorf("a field escaped its line:\n%.2000s", text)
			}
			if !strings.Contains(text, " more") {
				t.Errorf("the text does not count what it left out")
			}
		})
	}
	t.Run("webhook", func(t *testing.T) {
		f := setup(t, Webhook, testSecret, webhook2)
		if err := f.n.Send(t.Context(), many(1000, hostile)); err != nil {
			t.Fatal(err)
		}
		body := f.vendor.body(0)
		var got webhookEvent
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		if len(body) > maxWebhookBytes+8<<10 || got.InstanceCount != 1000 || !got.Truncated || len(got.Instances) == 0 || len(got.Groups) != maxWebhookGroups {
			t.Errorf("body %d bytes, instance_count %d, truncated %t, %d instances, %d groups", len(body), got.InstanceCount, got.Truncated, len(got.Instances), len(got.Groups))
		}
	})
}

// Vectors computed elsewhere: DingTalk's from the dingding crate's test
// (docs.rs/crate/dingding, src/signature.rs); Lark's and the webhook's with
// Python's hmac module following the vendors' Python samples.
func TestSignatureVectors(t *testing.T) {
	if got, want := url.QueryEscape(dingTalkSign("secret", "1700000000000")), "OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D"; got != want {
		t.Errorf("dingTalkSign = %s, want %s", got, want)
	}
	if got, want := larkSign("SEC-lark-vector", "1599360473"), "5njMs4+TnLvLZ0v9dtvtG7VKVRzjvGdgkphECgD/4qs="; got != want {
		t.Errorf("larkSign = %s, want %s", got, want)
	}
	if got, want := webhookSign("whsec", "1700000000", []byte(`{"a":1}`)), "sha256=8ad37ba156048ae0e0a5533c75cdf26fee88b07f93cb57ee4c80adb053012032"; got != want {
		t.Errorf("webhookSign = %s, want %s", got, want)
	}
}

func TestKindOf(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want Kind
	}{
		{"https://oapi.dingtalk.com/robot/send?access_token=x", DingTalk},
		{"https://OAPI.DingTalk.com./robot/send?access_token=x", DingTalk},
		{"https://oapi.dingtalk.com:443/robot/send?access_token=x", DingTalk},
		{"https://open.feishu.cn/open-apis/bot/v2/hook/x", Lark},
		{"https://open.larksuite.com/open-apis/bot/v2/hook/x", Lark},
		{"https://oapi.dingtalk.com.example.net/robot/send", Webhook},
		{"https://evil-open.feishu.cn/hook", Webhook},
		{"https://hooks.slack.com/services/T/B/x", Webhook},
		{"http://127.0.0.1:8080/hook", Webhook},
	} {
		u, err := url.Parse(c.raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := KindOf(u); got != c.want {
			t.Errorf("KindOf(%s) = %s, want %s", c.raw, got, c.want)
		}
	}
	if got := KindOf(nil); got != Webhook {
		t.Errorf("KindOf(nil) = %s", got)
	}
}

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		raw     string
		wantErr string // "" for a valid URL
	}{
		{"https://oapi.dingtalk.com/robot/send?access_token=" + testToken, ""},
		{"https://open.feishu.cn/open-apis/bot/v2/hook/" + testHookID, ""},
		{"https://hooks.example.com/x?key=" + testToken, ""},
		{"http://127.0.0.1:8080/hook", ""},
		{"http://[::1]:8080/hook", ""},
		{"http://localhost/hook", ""},
		{"", "empty"},
		{"https://x.example/" + strings.Repeat("a", maxURLBytes), "more than"},
		{"http://oapi.dingtalk.com/robot/send?access_token=" + testToken, `scheme "http"`},
		{"http://10.0.0.1/hook?key=" + testToken, "only https"},
		{"ftp://hooks.example.com/x", "only https"},
		{"https://user:" + testSecret + "@hooks.example.com/x", "user info"},
		{"https://hooks.example.com/%zz?access_token=" + testToken, "not a valid URL"},
		{"https:///robot/send?access_token=" + testToken, "no host"},
		{"oapi.dingtalk.com/robot/send?access_token=" + testToken, "no host"},
		{"https://oapi.dingtalk.com/robot/send", "no access_token"},
		{"https://oapi.dingtalk.com/robot/send?token=" + testToken, "no access_token"},
		{"https://hooks.example.com/x#" + testToken, "fragment"},
	} {
		u, err := ParseURL(c.raw)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("ParseURL(%.60s): %v", c.raw, err)
		case c.wantErr == "" && u.String() != c.raw:
			t.Errorf("ParseURL(%.60s) = %s", c.raw, u)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("ParseURL(%.60s) = %v, want an error with %q", c.raw, err, c.wantErr)
		case err != nil && (strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), testSecret)):
			t.Errorf("ParseURL's error echoes a credential: %v", err)
		}
	}
}

func TestNoURL(t *testing.T) {
	var n *Notifier
	if err := n.Send(t.Context(), Event{}); err == nil {
		t.Error("a nil Notifier sent")
	}
	if err := New(Config{}).Send(t.Context(), Event{}); err == nil || !strings.Contains(err.Error(), "no NOTIFY_URL") {
		t.Errorf("Send without a URL = %v", err)
	}
}

// Issue 26, case 12: a vendor's message is cut to 100 bytes for the log,
// and a credential it echoes must be gone from the whole message before
// the cut, or a token the cut splits is no longer recognised and its head
// reaches the log. Every offset puts the cut somewhere else: before the
// token, inside it, after it. A vendor that echoes only part of a
// credential must not get that part through either.
func TestErrorsRedactBeforeCutting(t *testing.T) {
	const (
		token  = "7f3e9a1c4b2d8e6f0a5c3b1d9e7f2a4c6b8d0" // 37 characters, as in the issue
		secret = "SECf0e1d2c3b4a5968778695a4b3c2d1e0f"
		hook   = "9b8c7d6e-5f4a-4b3c-2d1e-0f9a8b7c6d5e"
	)
	type echo struct {
		kind  Kind
		url   string
		creds []string
		body  func(text string) string
	}
	ding := echo{DingTalk, "https://oapi.dingtalk.com/robot/send?access_token=" + token, []string{token, secret},
		func(text string) string {
			b, _ := json.Marshal(map[string]any{"errcode": 310000, "errmsg": text})
			return string(b)
		}}
	lark := echo{Lark, "https://open.feishu.cn/open-apis/bot/v2/hook/" + hook, []string{hook, secret},
		func(text string) string {
			b, _ := json.Marshal(map[string]any{"code": 19021, "msg": text})
			return string(b)
		}}
	// run is the shortest run of a credential that counts as a leak: none
	// at all (4, to stay clear of chance) when the vendor echoes the
	// whole credential, which goes before the cut; under minFragment when
	// it echoes only a part, which the redactor cannot know whole.
	var cases []struct {
		name string
		e    echo
		text string
		run  int
	}
	add := func(name string, e echo, text string, run int) {
		cases = append(cases, struct {
			name string
			e    echo
			text string
			run  int
		}{name, e, text, run})
	}
	for pad := 0; pad <= 100; pad += 3 {
		p := strings.Repeat("p", pad)
		add(fmt.Sprintf("dingtalk token at %d", pad), ding, p+"access_token="+token+" is not valid", 4)
		add(fmt.Sprintf("dingtalk secret at %d", pad), ding, p+secret+" sign not match", 4)
		add(fmt.Sprintf("lark hook at %d", pad), lark, p+"hook "+hook+" bad sign", 4)
		add(fmt.Sprintf("lark secret at %d", pad), lark, p+secret, 4)
	}
	add("dingtalk echoes half the token", ding, "token "+token[:20]+"… is not valid", 8)
	add("lark echoes the secret's tail", lark, "bad sign with "+secret[10:], 8)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, c.e.body(c.text))
			}))
			t.Cleanup(srv.Close)
			u, err := ParseURL(c.e.url)
			if err != nil {
				t.Fatal(err)
			}
			n := New(Config{URL: u, Secret: secret, Client: &http.Client{Transport: &toServer{srv: srv}}, Now: func() time.Time { return pinnedNow }, Sleep: (&waits{}).sleep})
			err = n.Send(t.Context(), sampleEvent())
			if err == nil {
				t.Fatal("Send succeeded, want the vendor's refusal")
			}
			s := err.Error()
			for _, cred := range c.e.creds {
				if frag, ok := sharedRun(s, cred, c.run); ok {
					t.Errorf("error text holds %q, %d characters of a credential: %s", frag, len(frag), s)
				}
			}
		})
	}
}

// sharedRun finds a run of at least n bytes that s and cred share.
func sharedRun(s, cred string, n int) (string, bool) {
	for i := 0; i+n <= len(cred); i++ {
		if strings.Contains(s, cred[i:i+n]) {
			j := i + n
			for j < len(cred) && strings.Contains(s, cred[i:j+1]) {
				j++
			}
			return cred[i:j], true
		}
	}
	return "", false
}
