package handler_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"ess-standby/handler"
	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/notify"
	"ess-standby/handler/standby"
)

// webhook is a receiver that checks each message's signature, as its owner
// would, and keeps those it accepts.
type webhook struct {
	*httptest.Server
	mu       sync.Mutex
	got      []notify.Event
	answer   int // the status it answers; 0: 200
	rejected int
}

const hookSecret = "hook-secret-0123456789"

func newWebhook(t *testing.T) *webhook {
	w := &webhook{}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(hookSecret))
		mac.Write([]byte(r.Header.Get("X-Ess-Standby-Timestamp") + "." + string(body)))
		w.mu.Lock()
		defer w.mu.Unlock()
		var ev notify.Event
		if r.Header.Get("X-Ess-Standby-Signature") != "sha256="+hex.EncodeToString(mac.Sum(nil)) || json.Unmarshal(body, &ev) != nil {
			w.rejected++
			rw.WriteHeader(http.StatusUnauthorized)
			return
		}
		if w.answer != 0 {
			rw.WriteHeader(w.answer)
			return
		}
		w.got = append(w.got, ev)
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *webhook) events() []notify.Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]notify.Event(nil), w.got...)
}

// parked puts i-a1 in Standby as the function parks it, its lease from
// since to until.
func parked(f *standbytest.Fake, since, until time.Time) {
	f.Move("i-a1", "Standby")
	f.SetTags("i-a1", standby.Tags{standby.TagRule: "r-1", standby.TagSince: since.UTC().Format(time.RFC3339), standby.TagUntil: until.UTC().Format(time.RFC3339)})
}

// One message, signed, per invocation that acted, that a guard refused, or
// a sweep that found an ended lease; none for what is ignored, refused as
// input, or answered with what an earlier delivery did. A dry run says so.
func TestNotifications(t *testing.T) {
	alarm := `{"alertState":"ALERT","ruleId":"r-1","dimensions":"{instanceId=i-a1}","transId":"t1","timestamp":"1795753000000"}`
	tests := []struct {
		name    string
		cfg     standby.Config
		payload string
		before  func(*handler.Handler, *standbytest.Fake) // earlier invocations and changes, not counted
		outcome string                                    // "": no message
		result  string                                    // the first instance's
	}{
		{name: "acted", payload: alarm, outcome: "standby", result: "EnteredStandby"},
		{name: "a dry run", cfg: standby.Config{DryRun: true}, payload: alarm, outcome: "standby", result: "Planned"},
		{name: "a guard refused", cfg: standby.Config{MaxStandby: standby.Share{Count: 1}}, payload: `{"InstanceIds":["i-a1"]}`,
			before: func(h *handler.Handler, _ *standbytest.Fake) { invokeFake(h, `{"InstanceIds":["i-a2"]}`) }, outcome: "Forbidden.MaxStandby", result: "Refused"},
		{name: "a sweep past a lease", payload: `{"Action":"Sweep"}`, outcome: "swept", result: "LeaseEnded",
			before: func(_ *handler.Handler, f *standbytest.Fake) {
				parked(f, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
			}},
		{name: "a sweep of running leases", payload: `{"Action":"Sweep"}`,
			before: func(_ *handler.Handler, f *standbytest.Fake) {
				parked(f, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
			}},
		{name: "a re-delivery", payload: alarm, before: func(h *handler.Handler, _ *standbytest.Fake) { invokeFake(h, alarm) }},
		{name: "ignored", payload: strings.Replace(alarm, "ALERT", "INSUFFICIENT_DATA", 1)},
		{name: "invalid", payload: `{"InstanceIds":["not an id"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWebhook(t)
			f := newFake()
			h, logs := newHandler(config{Config: handler.Config{NotifyURL: handler.Secret(w.URL + "/hook"), NotifySecret: hookSecret}, core: tt.cfg}, f)
			if tt.before != nil {
				tt.before(h, f)
			}
			before := len(w.events())
			logs.Reset()
			invokeFake(h, tt.payload)
			got := w.events()[before:]
			if tt.outcome == "" {
				if len(got) != 0 || strings.Contains(logs.String(), "notified") {
					t.Errorf("notified %+v; want nothing", got)
				}
				return
			}
			if len(got) != 1 || got[0].Outcome != tt.outcome || got[0].DryRun != tt.cfg.DryRun || len(got[0].Instances) == 0 ||
				got[0].Instances[0].InstanceID != "i-a1" || got[0].Instances[0].Result != tt.result || got[0].RequestID == "" || got[0].Groups[0] != "asg-a" {
				t.Errorf("notified %+v; want one message, %s, i-a1 %s", got, tt.outcome, tt.result)
			}
			if tt.result == "EnteredStandby" && got[0].Instances[0].ScalingActivityID == "" {
				t.Errorf("the message names no activity: %+v", got[0])
			}
			if !strings.Contains(logs.String(), `"notified":true`) || w.rejected != 0 {
				t.Errorf("log %s; %d rejected", logs, w.rejected)
			}
		})
	}
}

// A receiver that fails changes nothing of the invocation: the instance is
// parked, the answer is success, and the log line says the message was not
// delivered, without the URL's secrets.
func TestANotificationThatFailsChangesNothing(t *testing.T) {
	w := newWebhook(t)
	w.answer = http.StatusInternalServerError
	f := newFake()
	h, logs := newHandler(config{Config: handler.Config{NotifyURL: handler.Secret(w.URL + "/hook?token=url-secret-xyz"), NotifySecret: hookSecret}}, f)
	out := invokeFake(h, `{"InstanceIds":["i-a1"]}`)
	if out.Err != nil || f.State("i-a1") != "Standby" {
		t.Errorf("answered %s; i-a1 is %s", out.Body, f.State("i-a1"))
	}
	if l := logs.String(); !strings.Contains(l, `"notify_error"`) || strings.Contains(l, "url-secret-xyz") || strings.Contains(l, hookSecret) || strings.Contains(string(out.Body), "notify") {
		t.Errorf("log %s; answer %s", l, out.Body)
	}
}

// What is news and what is not, beyond the table above: a caller without
// AUTH_TOKEN is no one's news (anyone could make the robot post); a
// request refused by MAX_INSTANCES is; a re-delivery in another process,
// answered by Auto Scaling to its replayed token after the first delivery
// failed, is (the first sent nothing); a sweep that found only an instance
// someone else parked is not.
func TestWhatIsNews(t *testing.T) {
	hooked := func(cfg config, f *standbytest.Fake) (*handler.Handler, *webhook) {
		w := newWebhook(t)
		cfg.NotifyURL, cfg.NotifySecret = handler.Secret(w.URL+"/hook"), hookSecret
		h, _ := newHandler(cfg, f)
		return h, w
	}
	h, w := hooked(config{Config: handler.Config{AuthToken: "token-0123456789abcdef"}}, newFake())
	for range 3 {
		invokeHTTP(h, "POST", "/standby", "application/json", nil, `{"InstanceIds":["i-a1"]}`)
	}
	if n := len(w.events()); n != 0 {
		t.Errorf("a caller without the token: %d messages", n)
	}

	h, w = hooked(config{core: standby.Config{MaxInstances: 1}}, newFake())
	if invokeFake(h, `{"InstanceIds":["i-a1","i-a2"]}`); len(w.events()) != 1 || w.events()[0].Outcome != "InvalidParameter" {
		t.Errorf("refused by MAX_INSTANCES: %+v", w.events())
	}

	f := newFake()
	alarm := `{"alertState":"ALERT","ruleId":"r-1","dimensions":"{instanceId=i-a1}","transId":"t1","timestamp":"1795753000000"}`
	first, w1 := hooked(config{}, f)
	invokeFake(first, alarm)
	again, w2 := hooked(config{}, f) // another process: it remembers nothing
	out := invokeFake(again, alarm)
	if got := w2.events(); len(w1.events()) != 1 || len(got) != 1 || got[0].Instances[0].Result != "EnteredStandby" || len(f.Calls("Standby")) != 2 {
		t.Errorf("the re-delivery answered %s; messages %+v; %d Standby calls (the replay included)", out.Body, got, len(f.Calls("Standby")))
	}

	f = newFake()
	f.Move("i-a1", "Standby") // parked by someone else: no tags
	h, w = hooked(config{}, f)
	if invokeFake(h, `{"Action":"Sweep"}`); len(w.events()) != 0 {
		t.Errorf("a sweep that found only what someone else parked: %+v", w.events())
	}
}

// A notification leaves the answer its time: with the invocation's
// deadline near, a receiver that never answers holds the answer no longer
// than the deadline less a margin, and with too little time none is sent.
func TestANotificationKeepsTheDeadline(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer hang.Close()
	defer close(release)
	h, logs := newHandler(config{Config: handler.Config{NotifyURL: handler.Secret(hang.URL + "/hook")}}, newFake())
	for _, d := range []time.Duration{1500 * time.Millisecond, 300 * time.Millisecond} {
		logs.Reset()
		ctx, cancel := context.WithTimeout(context.Background(), d)
		start := time.Now()
		h.Invoke(ctx, fakeInv, strings.NewReader(`{"InstanceIds":["i-a1"],"DryRun":true}`))
		took := time.Since(start)
		cancel()
		if took > d || !strings.Contains(logs.String(), "notify_error") {
			t.Errorf("deadline %s: answered after %s; log %s", d, took, logs)
		}
	}
}

// The invocation's line names what its event parks for, so that a search
// of the log for an ECS event's ID (as the drill prints it) finds it.
func TestTheLineNamesTheEventsRule(t *testing.T) {
	h, logs := newHandler(config{}, newFake())
	invokeFake(h, `{"eventId":"e-drill1","instanceId":"i-a1","eventType":"SystemMaintenance.Reboot","eventStatus":"Scheduled"}`)
	if !strings.Contains(logs.String(), `"rule":"SystemMaintenance.Reboot/e-drill1"`) {
		t.Errorf("log %s; want the event's rule", logs)
	}
}
