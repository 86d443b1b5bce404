package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ess-standby/handler"
	"ess-standby/handler/internal/fctest"
	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
)

var (
	roleCreds = standby.Credentials{AccessKeyID: fctest.Secret("STS.role"), AccessKeySecret: fctest.Secret("role-secret"), SecurityToken: fctest.Secret("role-token")}
	fakeInv   = standby.Invocation{RequestID: "fc-req-1", Region: "cn-hangzhou", Credentials: roleCreds}
	now       = time.Date(2026, 11, 27, 4, 30, 0, 0, time.UTC)
)

// newFake holds asg-a (i-a1, i-a2) and asg-b (i-b1), all InService.
func newFake() *standbytest.Fake {
	return standbytest.NewFake("cn-hangzhou", map[string]map[string]string{
		"asg-a": {"i-a1": "InService", "i-a2": "InService"}, "asg-b": {"i-b1": "InService"}})
}

// config is what a test sets: the handler's settings, and the core's.
type config struct {
	handler.Config
	core standby.Config
}

// newService is the core over the cloud, as main builds it, but without real
// backoff: the tests decide what Auto Scaling answers.
func newService(core standby.Config, cloud standby.Cloud) *standby.Service {
	core.Sleep = standbytest.NoWait
	return standby.New(core, cloud)
}

func newHandler(cfg config, f *standbytest.Fake) (*handler.Handler, *bytes.Buffer) {
	var logs bytes.Buffer
	cfg.Now = func() time.Time { return now }
	return handler.New(cfg.Config, newService(cfg.core, f.Cloud()), slog.New(slog.NewJSONHandler(io.MultiWriter(&logs, fctest.Logs()), nil))), &logs
}

func invokeFake(h *handler.Handler, payload string) handler.Outcome {
	return h.Invoke(context.Background(), fakeInv, strings.NewReader(payload))
}

// reply is an invocation's answer body, success or failure, as JSON.
type reply struct {
	standby.Result
	Ignored       string
	Events        []handler.EventReport
	Sweep         *standby.Swept
	Code, Message string
}

func decodeReply(t *testing.T, out handler.Outcome) reply {
	t.Helper()
	var a reply
	if err := json.Unmarshal(out.Body, &a); err != nil {
		t.Fatalf("answer %s: %v", out.Body, err)
	}
	return a
}

func TestInvalidInputMakesNoCall(t *testing.T) {
	for _, payload := range []string{`{"InstanceIds":["i-x y"]}`, `{}`, `not json`, `null`, `{"triggerName":"t","triggerTime":"2026-11-27T04:00:00Z","payload":""}`,
		`{"triggerName":"t","triggerTime":"x","payload":"{\"InstanceId\":\"i-a1\",\"Wait\":\"soon\"}"}`,
		`{"specversion":"1.0","source":"acs.ecs","type":"ecs:Instance:StateChange","data":{"resourceId":"i-bad id","state":"Stopped"}}`,
		`{"specversion":"1.0","source":"acs.cms","type":"cms:CloudMonitor:AlertWebHook","data":{"alertState":"ALERT","dimensions":"{userId=1}"}}`,
		`{"specversion":"1.0","source":"acs.ecs","type":"ecs:Instance:SystemMaintenance.Reboot","time":"last week","data":{"instanceId":"i-a1","eventStatus":"Scheduled"}}`,
		`{"InstanceIds":["i-a1"],"EventType":"SystemFailure.Reboot"}`,
		`[{"InstanceIds":["i-a2"]},{"instanceId":"i-bad id","action":"delete"}]`,
	} {
		f := newFake()
		h, _ := newHandler(config{}, f)
		out := invokeFake(h, payload)
		if out.Err == nil || out.Err.Kind != standby.Invalid || out.Status != 400 || len(f.Calls("")) != 0 {
			t.Errorf("Invoke(%s) = %v (status %d) after %d calls, want 400 and no call", payload, out.Err, out.Status, len(f.Calls("")))
		}
	}
}

// A failure answers the API's code and message, what the calls made before
// it did, and the FC request ID; its cause is logged, never answered.
func TestErrorAnswers(t *testing.T) {
	f := newFake()
	f.Fail("Standby", 0, &standby.Error{Kind: standby.Conflict, Code: "IncorrectInstanceStatus", Message: "The current status of the instance does not support this action.", Cause: errors.New("EnterStandby: HTTP 400")})
	h, logs := newHandler(config{core: standby.Config{ScalingGroupID: "asg-a"}}, f)
	out := invokeFake(h, `{"InstanceId":"i-a1"}`)
	want := `{"Code":"IncorrectInstanceStatus","Message":"The current status of the instance does not support this action.","RequestId":"fc-req-1",` +
		`"Instances":[{"InstanceId":"i-a1","ScalingGroupId":"asg-a","LifecycleState":"InService","Result":"Refused","Code":"IncorrectInstanceStatus","Reason":"The current status of the instance does not support this action."}]}`
	if out.Status != 409 || out.Err.Code != "IncorrectInstanceStatus" || string(out.Body) != want {
		t.Errorf("answer %d %s\nwant 409 %s", out.Status, out.Body, want)
	}
	if !strings.Contains(logs.String(), `"cause":"EnterStandby: HTTP 400"`) || !strings.Contains(logs.String(), `"level":"WARN"`) {
		t.Errorf("log %s lacks the cause at WARN", logs.String())
	}

	f = newFake()
	f.Fail("Standby", 0, errors.New("dial tcp 10.0.0.1:443: secret internals"))
	h, _ = newHandler(config{}, f)
	if out := invokeFake(h, `{"InstanceId":"i-a1"}`); out.Status != 500 || out.Err.Code != "InternalError" || strings.Contains(string(out.Body), "secret") {
		t.Errorf("an unclassified error answered %d %s, want 500 InternalError revealing nothing", out.Status, out.Body)
	}
}

func TestAuthToken(t *testing.T) {
	const token = "0123456789abcdef0123"
	body := []byte(`{"ScalingGroupId":"asg-a","InstanceIds":["i-a1"]}`)
	tests := []struct {
		name       string
		headers    http.Header
		query      string
		wantStatus int
	}{
		{"bearer", http.Header{"Authorization": {"Bearer " + token}}, "", 200},
		{"bearer, any case", http.Header{"Authorization": {"bearer " + token}}, "", 200},
		{"query, removed before decoding", nil, "token=" + token, 200},
		{"query beside API parameters", nil, "token=" + token + "&InstanceId.1=i-a1", 400}, // a body and query parameters
		{"none", nil, "", 401},
		{"wrong", http.Header{"Authorization": {"Bearer " + token + "x"}}, "", 401},
		{"prefix only", nil, "token=" + token[:10], 401},
		{"the token twice", nil, "token=" + token + "&token=" + token, 401},
		{"Authorization twice", http.Header{"Authorization": {"Bearer " + token, "Bearer x"}}, "", 401},
		{"FC's own signature is not a token", http.Header{"Authorization": {"ACS3-HMAC-SHA256 Credential=x"}}, "", 401},
		// A query that does not parse holds no token: the caller is refused
		// as unknown before it hears what is wrong with its request.
		{"a malformed query, no token", nil, "token=" + token + "&%", 401},
		{"a malformed query, the token in the header", http.Header{"Authorization": {"Bearer " + token}}, "%", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			h, logs := newHandler(config{Config: handler.Config{AuthToken: token}}, f)
			header := http.Header{"Content-Type": {"application/json"}}
			for k, v := range tt.headers {
				header[k] = v
			}
			out := h.InvokeHTTP(context.Background(), fakeInv, handler.HTTPRequest{Method: "POST", Path: "/standby", Header: header, RawQuery: tt.query, Body: bytes.NewReader(body)})
			if out.Status != tt.wantStatus {
				t.Errorf("status %d %s, want %d", out.Status, out.Body, tt.wantStatus)
			}
			if tt.wantStatus == 401 && (len(f.Calls("")) != 0 || !strings.Contains(string(out.Body), `"Code":"Unauthorized"`)) {
				t.Errorf("refused request made %d calls, answered %s", len(f.Calls("")), out.Body)
			}
			if strings.Contains(logs.String(), token[:10]) {
				t.Errorf("the log shows the token: %s", logs.String())
			}
		})
	}
}

func cloudEvent(id, typ string, at time.Time, data string) string {
	return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"acs.ecs","type":"ecs:Instance:%s","time":%q,"aliyunregionid":"cn-hangzhou","data":%s}`,
		id, typ, at.Format(time.RFC3339), data)
}

func maintenance(id, instance string, at time.Time) string {
	return cloudEvent(id, "SystemMaintenance.Reboot", at, `{"instanceId":"`+instance+`","eventType":"SystemMaintenance.Reboot","eventStatus":"Scheduled"}`)
}

// An event older than MAX_EVENT_AGE, by its own time, is ignored with the
// reason, never acted on; an event that carries no time is never stale.
func TestStaleEvents(t *testing.T) {
	tests := []struct {
		name     string
		maxAge   time.Duration
		payload  string
		wantActs bool
	}{
		{"fresh CloudEvent", time.Hour, maintenance("e1", "i-a1", now.Add(-59*time.Minute)), true},
		{"stale CloudEvent", time.Hour, maintenance("e1", "i-a1", now.Add(-61*time.Minute)), false},
		{"stale, the limit off", 0, maintenance("e1", "i-a1", now.Add(-48*time.Hour)), true},
		{"stale timer", time.Hour, `{"triggerName":"t","triggerTime":"2026-11-27T02:00:00Z","payload":"{\"InstanceId\":\"i-a1\"}"}`, false},
		{"stale alarm", time.Hour, `{"alertState":"ALERT","dimensions":"{instanceId=i-a1}","timestamp":"1795742000000"}`, false},
		{"stale CloudMonitor push", 30 * time.Minute, `{"product":"ECS","name":"Instance:SystemFailure.Reboot:Executing","eventTime":"20261127T115900.000+0800","content":{"instanceId":"i-a1"}}`, false},
		{"stale subscription", time.Hour, `{"subscription":{},"time":1795740000000,"alert":{"alertStatus":"TRIGGERED","source":"SYS_EVENT","eventName":"Instance:SystemFailure.Reboot:Executing","eventContentMap":{"instanceId":"i-a1"}}}`, false},
		{"RawData carries no time", time.Minute, `{"eventId":"e-1","publishTime":"2026-11-20T00:00:00Z","instanceId":"i-a1","eventType":"SystemFailure.Reboot","eventStatus":"Executing"}`, true},
		{"a request carries no time", time.Minute, `{"InstanceId":"i-a1"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			h, logs := newHandler(config{Config: handler.Config{MaxEventAge: tt.maxAge}}, f)
			out := invokeFake(h, tt.payload)
			a := decodeReply(t, out)
			if out.Err != nil || (len(f.Calls("Standby")) == 1) != tt.wantActs {
				t.Fatalf("answered %s after %d calls; want acting %t", out.Body, len(f.Calls("Standby")), tt.wantActs)
			}
			if !tt.wantActs && (!strings.Contains(a.Ignored, "old, older than MAX_EVENT_AGE") || len(f.Calls("")) != 0 || !strings.Contains(logs.String(), `"outcome":"ignored"`)) {
				t.Errorf("a stale event answered %s after %d calls; log %s", out.Body, len(f.Calls("")), logs.String())
			}
		})
	}
}

// A batch's events are merged per group into calls of at most 20, with
// tokens derived from the member events (the same batch again, in any
// order, makes the same calls), and the answer reports each event.
func TestBatches(t *testing.T) {
	t0 := now.Add(-time.Minute)
	events := []string{
		maintenance("e1", "i-a1", t0),
		cloudEvent("e2", "PreemptibleInstanceInterruption", t0, `{"instanceId":"i-b1","action":"delete"}`),
		cloudEvent("e3", "StateChange", t0, `{"resourceId":"i-a2","resourceType":"ALIYUN::ECS::Instance","state":"Running"}`),
		maintenance("e4", "i-a2", t0.Add(-2*time.Hour)),
		`{"instanceId":"i-a2","action":"delete"}`,
	}
	f := newFake()
	h, logs := newHandler(config{Config: handler.Config{MaxEventAge: time.Hour}}, f)
	out := invokeFake(h, "["+strings.Join(events, ",")+"]")
	a := decodeReply(t, out)
	if out.Err != nil {
		t.Fatalf("batch = %s", out.Body)
	}
	calls := f.Calls("Standby")
	slices.SortFunc(calls, func(a, b standbytest.Call) int { return strings.Compare(a.GroupID, b.GroupID) }) // groups are planned at once
	if len(calls) != 2 || fmt.Sprint(calls[0].IDs, calls[1].IDs) != "[i-a1 i-a2] [i-b1]" || len(f.Calls("ScalingInstances")) != 1 {
		t.Fatalf("calls %+v; want one per group, after one state read", calls)
	}
	wantEvents := []handler.EventReport{
		{Event: 0, Source: "eventbridge:ecs:Instance:SystemMaintenance.Reboot", Result: "Acted", InstanceIDs: []string{"i-a1"}},
		{Event: 1, Source: "eventbridge:ecs:Instance:PreemptibleInstanceInterruption", Result: "Acted", InstanceIDs: []string{"i-b1"}},
		{Event: 2, Source: "eventbridge:ecs:Instance:StateChange", Result: "Ignored", Reason: `instance state "Running" does not call for Standby`},
		{Event: 3, Source: "eventbridge:ecs:Instance:SystemMaintenance.Reboot", Result: "Ignored", Reason: "the event is 2h1m0s old, older than MAX_EVENT_AGE=1h0m0s"},
		{Event: 4, Source: "eventbridge-rawdata:ecs:Instance:PreemptibleInstanceInterruption", Result: "Acted", InstanceIDs: []string{"i-a2"}},
	}
	if diff := cmp.Diff(wantEvents, a.Events); diff != "" {
		t.Errorf("Events (-want +got):\n%s", diff)
	}
	// The line says what became of each event, under its rule, so that a
	// search for any one of them finds it, and tells its fate from the
	// others'.
	wantResults := `"event_results":[{"rule":"SystemMaintenance.Reboot","result":"Acted","instances":["i-a1"]},{"rule":"PreemptibleInstanceInterruption","result":"Acted","instances":["i-b1"]},` +
		`{"rule":"StateChange","result":"Ignored"},{"rule":"SystemMaintenance.Reboot","result":"Ignored"},{"rule":"PreemptibleInstanceInterruption","result":"Acted","instances":["i-a2"]}]`
	if line := logs.String(); !strings.Contains(line, `"trigger":"eventbridge-batch"`) || !strings.Contains(line, `"events":5`) ||
		!strings.Contains(line, wantResults) || strings.Contains(line, `"rule":"SystemMaintenance.Reboot","outcome"`) {
		t.Errorf("log %s", line)
	}

	// The same batch again (an async retry keeps the FC request ID): the
	// same tokens.
	if again := tokensOf(t, events); !slices.Equal(again, tokensOf(t, events)) {
		t.Errorf("tokens %v, then others for the same batch", again)
	}
	// Events that carry their own identity make the same tokens in any
	// order, under any request ID; RawData, which carries none, does not.
	identified := events[:4]
	first := tokensOf(t, identified)
	slices.Reverse(identified)
	if again := tokensOf(t, identified); !slices.Equal(first, again) {
		t.Errorf("tokens %v, then %v for the same events in another order", first, again)
	}
}

// tokensOf runs a batch and returns its calls, as group=token, sorted.
func tokensOf(t *testing.T, events []string) []string {
	t.Helper()
	f := newFake()
	h, _ := newHandler(config{Config: handler.Config{MaxEventAge: time.Hour}}, f)
	if out := invokeFake(h, "["+strings.Join(events, ",")+"]"); out.Err != nil {
		t.Fatalf("batch = %s", out.Body)
	}
	var tokens []string
	for _, c := range f.Calls("Standby") {
		tokens = append(tokens, c.GroupID+"="+c.Standby.ClientToken)
	}
	slices.Sort(tokens)
	return tokens
}

// Batches bigger than a call: each group's instances in calls of at most
// 20, and MAX_INSTANCES over the whole batch.
func TestBatchOfManyInstances(t *testing.T) {
	group := map[string]string{}
	var events []string
	for i := range 45 {
		id := fmt.Sprintf("i-bp1many%02d", i)
		group[id] = "InService"
		events = append(events, fmt.Sprintf(`{"instanceId":%q,"action":"delete"}`, id))
	}
	f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-many": group})
	h, _ := newHandler(config{}, f)
	out := invokeFake(h, "["+strings.Join(events, ",")+"]")
	var sizes []int
	for _, c := range f.Calls("Standby") {
		sizes = append(sizes, len(c.IDs))
	}
	if out.Err != nil || fmt.Sprint(sizes) != "[20 20 5]" {
		t.Errorf("answered %v with calls of %v, want [20 20 5]", out.Err, sizes)
	}

	f = standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-many": group})
	h, _ = newHandler(config{core: standby.Config{MaxInstances: 40}}, f)
	if out := invokeFake(h, "["+strings.Join(events, ",")+"]"); out.Err == nil || !strings.HasSuffix(out.Err.Message, "at most 40 instances per invocation (MAX_INSTANCES), the invocation names 45") || len(f.Calls("")) != 0 {
		t.Errorf("over MAX_INSTANCES: %v after %d calls", out.Err, len(f.Calls("")))
	}
}

// In a batch, each instance goes as the last event naming it asks: an alarm
// that fired and recovered within one batch ends recovered (EXIT_ON_OK),
// and the earlier event is reported superseded.
func TestBatchLastEventWins(t *testing.T) {
	alarm := func(state, trans string) string {
		return `{"alertState":"` + state + `","ruleId":"r-1","dimensions":"{instanceId=i-a1}","transId":"` + trans + `","timestamp":"1795753000000"}`
	}
	f := newFake()
	h, _ := newHandler(config{Config: handler.Config{ExitOnOK: true}}, f)
	out := invokeFake(h, "["+alarm("ALERT", "t1")+","+alarm("OK", "t2")+"]")
	a := decodeReply(t, out)
	for _, c := range f.Calls("Standby") {
		if c.Standby.Action != standby.ExitStandby {
			t.Errorf("the superseded ALERT made a call: %+v", c)
		}
	}
	if out.Err != nil || f.State("i-a1") != "InService" {
		t.Fatalf("answered %s; i-a1 is %s", out.Body, f.State("i-a1"))
	}
	if a.Events[0].Result != "Superseded" || a.Events[1].Result != "Acted" || a.Skipped[0].Reason != "already InService" {
		t.Errorf("events %+v, skipped %+v", a.Events, a.Skipped)
	}
}

// In a batch, another rule's recovery does not override an alarm: the
// instance is parked, whichever comes first, and the recovery is reported
// superseded by it.
func TestBatchRecoveryOfAnotherRule(t *testing.T) {
	alarm := func(state, rule, trans string) string {
		return `{"alertState":"` + state + `","ruleId":"` + rule + `","dimensions":"{instanceId=i-a1}","transId":"` + trans + `","timestamp":"1795753000000"}`
	}
	for _, batch := range [][]string{
		{alarm("ALERT", "r-2", "t1"), alarm("OK", "r-1", "t2")},
		{alarm("OK", "r-1", "t2"), alarm("ALERT", "r-2", "t1")},
		{alarm("ALERT", "r-2", "t1"), alarm("ALERT", "r-1", "t3"), alarm("OK", "r-1", "t2")},
		{alarm("ALERT", "r-1", "t3"), alarm("ALERT", "r-2", "t1"), alarm("OK", "r-1", "t2")},
	} {
		f := newFake()
		h, _ := newHandler(config{Config: handler.Config{ExitOnOK: true}}, f)
		out := invokeFake(h, "["+strings.Join(batch, ",")+"]")
		a := decodeReply(t, out)
		if out.Err != nil || f.State("i-a1") != "Standby" || f.Tags("i-a1")[standby.TagRule] != "r-2" {
			t.Errorf("answered %s; i-a1 is %s, tags %v", out.Body, f.State("i-a1"), f.Tags("i-a1"))
		}
		for _, ev := range a.Events {
			want := "Acted"
			if strings.Contains(batch[ev.Event], `"alertState":"OK"`) || strings.Contains(batch[ev.Event], `"ruleId":"r-1"`) {
				want = "Superseded" // the recovery, and the alarm it ended
			}
			if ev.Result != want {
				t.Errorf("event %d: %+v; want %s", ev.Event, ev, want)
			}
		}
	}
}

// EXIT_ON_OK takes out of Standby, on a recovery (a threshold alarm back
// to OK, a subscription alert RESOLVED), only what the function parked for
// that same alarm rule or subscription, as the instance's tags say; any
// other instance in Standby stays, with the reason. Without EXIT_ON_OK, or
// when the recovery names no rule, it is ignored.
func TestRecoveries(t *testing.T) {
	resolved := `{"subscription":{"subscriptionUuid":"s-1"},"batchId":"B2","time":1795753000000,"alert":{"alertStatus":"RESOLVED","source":"SYS_EVENT","eventName":"Instance:SystemFailure.Reboot:Executed","eventContentMap":{"instanceId":"i-a1","eventStatus":"Executed"}}}`
	ok := `{"alertState":"OK","ruleId":"r-1","dimensions":"{instanceId=i-a1}","timestamp":"1795753000000"}`
	// A recovery that names no instance, or no rule, is ignored.
	for _, payload := range []string{strings.Replace(resolved, `"instanceId":"i-a1",`, "", 1), `{"alertState":"OK","dimensions":"{userId=1}"}`,
		strings.Replace(ok, `"ruleId":"r-1",`, "", 1)} {
		f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-a": {"i-a1": "Standby"}})
		h, _ := newHandler(config{Config: handler.Config{ExitOnOK: true}}, f)
		if out := invokeFake(h, payload); out.Err != nil || decodeReply(t, out).Ignored == "" || len(f.Calls("")) != 0 {
			t.Errorf("a recovery of no instance or no rule: %s", out.Body)
		}
	}
	for _, end := range []struct{ payload, rule string }{{resolved, "subscription:s-1"}, {ok, "r-1"}} {
		for _, parked := range []struct {
			tags   standby.Tags
			back   bool
			reason string
		}{
			// Parked before the end happened (04:16:40): its own end.
			{standby.Tags{standby.TagRule: end.rule, standby.TagSource: "cms-alarm-callback", standby.TagSince: "2026-11-27T04:00:00Z"}, true, ""},
			{standby.Tags{standby.TagRule: "SystemMaintenance.Reboot/e-1", standby.TagSource: "eventbridge:ecs:Instance:SystemMaintenance.Reboot"}, false, `parked for "SystemMaintenance.Reboot/e-1"`},
			{nil, false, "in Standby without the function's tags (parked by someone else"},
		} {
			f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-a": {"i-a1": "Standby"}})
			f.SetTags("i-a1", parked.tags)
			h, _ := newHandler(config{Config: handler.Config{ExitOnOK: true}}, f)
			out := invokeFake(h, end.payload)
			a := decodeReply(t, out)
			if back := f.State("i-a1") == "InService"; out.Err != nil || back != parked.back {
				t.Errorf("EXIT_ON_OK, %s, tags %v: %s left i-a1 %s", end.rule, parked.tags, out.Body, f.State("i-a1"))
			}
			if !parked.back && (len(a.Skipped) != 1 || !strings.Contains(a.Skipped[0].Reason, parked.reason) || len(f.Calls("Standby")) != 0) {
				t.Errorf("EXIT_ON_OK, %s, tags %v: skipped %+v after %d Standby calls; want the reason %q", end.rule, parked.tags, a.Skipped, len(f.Calls("Standby")), parked.reason)
			}
			if parked.back && len(f.Tags("i-a1")) != 0 {
				t.Errorf("taken back with its tags %v", f.Tags("i-a1"))
			}
		}
		f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-a": {"i-a1": "Standby"}})
		h, _ := newHandler(config{}, f)
		if out := invokeFake(h, end.payload); decodeReply(t, out).Ignored == "" || len(f.Calls("")) != 0 {
			t.Errorf("without EXIT_ON_OK: %s after %d calls", out.Body, len(f.Calls("")))
		}
	}
}

// EXIT_ON_EVENT_END takes back what an ECS event parked when the event
// ends: Avoided and Canceled at once, Executed once ECS reports the
// instance Running. Without it, an end is ignored.
func TestEventEnds(t *testing.T) {
	end := func(status string) string {
		return `{"eventId":"e-1","instanceId":"i-a1","eventType":"SystemMaintenance.Reboot","eventStatus":"` + status + `"}`
	}
	ours := standby.Tags{standby.TagRule: "SystemMaintenance.Reboot/e-1"}
	tests := []struct {
		status, ecs string
		tags        standby.Tags
		on, back    bool
	}{
		{"Avoided", "Running", ours, true, true},
		{"Canceled", "Running", ours, true, true},
		{"Executed", "Running", ours, true, true},
		{"Executed", "Stopped", ours, true, false},
		{"Avoided", "Running", standby.Tags{standby.TagRule: "SystemMaintenance.Reboot/e-2"}, true, false},
		{"Avoided", "Running", ours, false, false},
	}
	for _, tt := range tests {
		f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-a": {"i-a1": "Standby"}})
		f.SetTags("i-a1", tt.tags)
		f.SetStatus("i-a1", tt.ecs)
		h, _ := newHandler(config{Config: handler.Config{ExitOnEventEnd: tt.on}}, f)
		out := invokeFake(h, end(tt.status))
		if back := f.State("i-a1") == "InService"; out.Err != nil || back != tt.back {
			t.Errorf("%s, ECS %s, tags %v, EXIT_ON_EVENT_END %t: %s left i-a1 %s", tt.status, tt.ecs, tt.tags, tt.on, out.Body, f.State("i-a1"))
		}
	}
}

// What asked reaches the instance's tags: the alarm's source and its rule
// (its identity is in the log line, not a tag). A tag failure a retry may mend fails the invocation,
// naming the instance parked; one no retry mends is answered as success
// and logged at ERROR.
func TestTheTagsSayWhatAsked(t *testing.T) {
	alarm := `{"alertState":"ALERT","dimensions":"{instanceId=i-a1}","ruleId":"cpu-high","transId":"t-9","timestamp":"1795753000000"}`
	f := newFake()
	h, _ := newHandler(config{}, f)
	if out := invokeFake(h, alarm); out.Err != nil {
		t.Fatalf("answered %s", out.Body)
	}
	tags := f.Tags("i-a1")
	if tags["ess-standby:source"] != "eventbridge-rawdata:cms:CloudMonitor:AlertWebHook" || tags["ess-standby:rule"] != "cpu-high" || tags["ess-standby:event"] != "" || tags["ess-standby:until"] == "" {
		t.Errorf("tags %v", tags)
	}

	f = newFake()
	f.Fail("TagInstances", 0, &standby.Error{Kind: standby.Throttled, Code: "Throttling", Message: "too many requests"})
	h, _ = newHandler(config{}, f)
	out := invokeFake(h, alarm)
	if out.Err == nil || out.Err.Code != "Throttling" || !strings.Contains(out.Err.Message, "EnteredStandby, but its tags") || f.State("i-a1") != "Standby" {
		t.Errorf("a tag failure to retry answered %s (i-a1 %s)", out.Body, f.State("i-a1"))
	}

	f = newFake()
	f.Fail("TagInstances", 0, &standby.Error{Kind: standby.Forbidden, Code: "NoPermission.Tag", Message: "no"})
	h, logs := newHandler(config{}, f)
	out = invokeFake(h, alarm)
	if a := decodeReply(t, out); out.Err != nil || a.Instances[0].TagCode != "NoPermission.Tag" {
		t.Errorf("a tag failure for good answered %s", out.Body)
	}
	if line := logs.String(); !strings.Contains(line, `"level":"ERROR"`) || !strings.Contains(line, `"untagged":1`) {
		t.Errorf("log %s; want ERROR with untagged 1", line)
	}
}

// The timer's sweep: an instance whose lease has ended gets an ERROR line
// of its own, one parked by someone else a WARN line, and the invocation's
// line counts them, at ERROR, so that the alert fires.
func TestTheSweepIsHeard(t *testing.T) {
	f := newFake()
	f.Move("i-a2", "Standby")
	f.SetTags("i-a2", standby.Tags{"ess-standby:source": "cms-alarm-callback", "ess-standby:rule": "cpu-high", "ess-standby:since": now.Add(-25 * time.Hour).Format(time.RFC3339), "ess-standby:until": now.Add(-time.Hour).Format(time.RFC3339)})
	f.Move("i-b1", "Standby")
	h, logs := newHandler(config{core: standby.Config{Now: func() time.Time { return now }}}, f)
	out := invokeFake(h, `{"triggerName":"lease-sweep","triggerTime":"2026-11-27T04:30:00Z","payload":"{\"Action\":\"Sweep\"}"}`)
	a := decodeReply(t, out)
	if out.Err != nil || a.Sweep == nil || len(a.Sweep.Instances) != 2 || len(f.Calls("Standby")) != 0 {
		t.Fatalf("the sweep answered %s after %d Standby calls", out.Body, len(f.Calls("Standby")))
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 3 ||
		!strings.Contains(lines[0], `"level":"ERROR","msg":"lease ended"`) || !strings.Contains(lines[0], `"instance":"i-a2"`) || !strings.Contains(lines[0], `"rule":"cpu-high"`) ||
		!strings.Contains(lines[1], `"level":"WARN","msg":"in Standby, not parked by this function"`) || !strings.Contains(lines[1], `"instance":"i-b1"`) ||
		!strings.Contains(lines[2], `"level":"ERROR","msg":"invocation"`) || !strings.Contains(lines[2], `"lease_ended":1,"returned":0,"not_parked":1,"untagged":0,"lease_invalid":0,"left":0`) || !strings.Contains(lines[2], `"outcome":"swept"`) {
		t.Errorf("log:\n%s", logs)
	}
}

// A dry run's line says it was one, beside the outcome it would have had,
// so that whoever reads the log (the drill, under dry run) can tell a
// planned Standby from a real one; a real one's line does not.
func TestADryRunSaysSoInItsLine(t *testing.T) {
	event := cloudEvent("ev-1", "SystemMaintenance.Reboot", now.Add(-time.Minute), `{"instanceId":"i-a1","eventId":"e-dry","eventType":"SystemMaintenance.Reboot","eventStatus":"Scheduled"}`)
	for _, dryRun := range []bool{true, false} {
		f := newFake()
		h, logs := newHandler(config{core: standby.Config{DryRun: dryRun}}, f)
		out := invokeFake(h, event)
		line := logs.String()
		if out.Status != 200 || strings.Contains(line, `"dry_run":true`) != dryRun || !strings.Contains(line, `"rule":"SystemMaintenance.Reboot/e-dry"`) ||
			!strings.Contains(line, `"outcome":"standby"`) || !strings.Contains(line, `"instances":["i-a1"]`) {
			t.Errorf("dry run %t: %d\n%s", dryRun, out.Status, line)
		}
	}
}
