package handler_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"ess-standby/handler"
	"ess-standby/handler/essemu"
	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
	"ess-standby/handler/trigger"
)

func spot(id, instance string, at time.Time) string {
	return cloudEvent(id, "PreemptibleInstanceInterruption", at, `{"instanceId":"`+instance+`","action":"delete"}`)
}

// A batch is decided event by event: the ecs-events rule matches every
// instance of the account, so a spot interruption for a group the function
// must not touch, an event it does not read and an undocumented state come
// beside the one it acts on. Each is refused, or ignored, for itself; the
// one it acts on is acted on; the invocation succeeds (a retry would change
// nothing), and the log line says, at ERROR, what was refused.
func TestABatchIsDecidedEventByEvent(t *testing.T) {
	t0 := now.Add(-time.Minute)
	batch := "[" + strings.Join([]string{
		spot("e1", "i-a1", t0),
		spot("e2", "i-b1", t0),
		cloudEvent("e3", "StateChange", t0, `{"resourceId":"i-a2","resourceType":"ALIYUN::ECS::Instance","state":"Hibernating"}`),
		`{"InstanceIds":["i-a2"]}`,
	}, ",") + "]"
	f := newFake()
	h, logs := newHandler(config{core: standby.Config{AllowedGroups: []string{"asg-a"}}}, f)
	out := invokeFake(h, batch)
	a := decodeReply(t, out)
	if out.Err != nil || out.Status != 200 || f.State("i-a1") != "Standby" || f.State("i-b1") != "InService" {
		t.Fatalf("answered %d %s; i-a1 %s, i-b1 %s", out.Status, out.Body, f.State("i-a1"), f.State("i-b1"))
	}
	var results []string
	for _, ev := range a.Events {
		results = append(results, ev.Result)
	}
	if want := []string{"Acted", "Refused", "Ignored", "Refused"}; !slices.Equal(results, want) {
		t.Errorf("events %v, want %v: %+v", results, want, a.Events)
	}
	if !strings.Contains(a.Events[2].Reason, `"Hibernating" is not one of`) || !strings.Contains(a.Events[3].Reason, "not an event this function reads in a batch") {
		t.Errorf("the refused events do not say why: %+v", a.Events[2:])
	}
	if line := logs.String(); !strings.Contains(line, `"level":"ERROR"`) || !strings.Contains(line, `"outcome":"partial"`) || !strings.Contains(line, `"refused":2`) {
		t.Errorf("log %s; want ERROR, partial, 2 refused", line)
	}
	// The same events without the one acted on: everything refused, so the
	// invocation fails, with the first refusal (the others in Events).
	f = newFake()
	h, _ = newHandler(config{core: standby.Config{AllowedGroups: []string{"asg-a"}}}, f)
	if out := invokeFake(h, "["+spot("e2", "i-b1", t0)+`,{"InstanceIds":["i-a2"]}]`); out.Err == nil || out.Err.Code != "Forbidden.ScalingGroupNotAllowed" || len(f.Calls("Standby")) != 0 {
		t.Errorf("a batch with nothing to act on answered %d %s", out.Status, out.Body)
	}
}

// The batch of a storm: 40 spot interruptions in one group, the second call
// throttled until the invocation gives up. The invocation fails, naming
// what is left; FC's retry of it finishes the job, and no token ever names
// two sets (no IdempotentParameterMismatch, and an Auto Scaling that does
// not compare a token's parameters could not answer for instances never
// moved).
func TestABatchLeftHalfDoneIsFinishedByItsRetry(t *testing.T) {
	g := essemu.Group{ID: "asg-bp1wave0000000001", Region: essemu.SampleRegion}
	var events []string
	for i := range 40 {
		id := fmt.Sprintf("i-bp1wave%05d", i)
		g.Instances = append(g.Instances, essemu.Instance{ID: id, LifecycleState: essemu.InService})
		events = append(events, spot(fmt.Sprint("spot-", i), id, essemu.SampleTime.Add(-time.Minute)))
	}
	w := newWorld(t, config{}, g)
	w.emu.Inject(essemu.Fault{Action: "EnterStandby", After: 1, Status: 400, Code: "Throttling.User", Message: "Request was denied due to user flow control."})
	batch := []byte("[" + strings.Join(events, ",") + "]")
	out, a := w.invokeWithin(t, 1500*time.Millisecond, "wave", batch)
	if out.Err == nil || a.Code != "Throttling.User" || !strings.Contains(a.Message, "20 of 40 instances are left to retry") {
		t.Fatalf("first delivery answered %s %q", a.Code, a.Message)
	}
	w.emu.ClearFaults()
	out, a = w.invoke(t, "wave", batch) // FC's async retry: the same request
	if out.Err != nil || len(a.InstanceIDs) != 40 {
		t.Fatalf("the retry answered %s", out.Body)
	}
	for _, in := range w.emu.Instances() {
		if in.LifecycleState != essemu.Standby {
			t.Errorf("%s is %s", in.ID, in.LifecycleState)
		}
	}
	sets := map[string]string{}
	for _, c := range w.calls("EnterStandby") {
		if c.Code == "IdempotentParameterMismatch" {
			t.Errorf("a call was refused IdempotentParameterMismatch")
		}
		var ids []string
		for n := 1; c.Params.Has(fmt.Sprint("InstanceId.", n)); n++ {
			ids = append(ids, c.Params.Get(fmt.Sprint("InstanceId.", n)))
		}
		token := c.Params.Get("ClientToken")
		if prev, ok := sets[token]; ok && prev != fmt.Sprint(ids) {
			t.Errorf("token %s named %s and %v", token, prev, ids)
		}
		sets[token] = fmt.Sprint(ids)
	}
	// The retry's set is the throttled call's: the same token, so that had
	// that call acted unseen, Auto Scaling would answer with its activity.
	if len(sets) != 2 {
		t.Errorf("%d tokens, want 2: one per set of 20", len(sets))
	}
}

// The HTTP trigger's routes are a list, matched exactly: a typo is
// answered 404 naming them, with no call, and never does the opposite of
// what was asked.
func TestRoutesAreExact(t *testing.T) {
	query := func(id string) string { return "InstanceId.1=" + id }
	for _, path := range []string{"/Exit", "/EXIT", "/exit.json", "/exit/", "/standby/", "/standby/exit/x", "/anything", ""} {
		f := newFake()
		h, _ := newHandler(config{}, f)
		out := h.InvokeHTTP(context.Background(), fakeInv, handler.HTTPRequest{Method: "GET", Path: path, RawQuery: query("i-a1"), Body: http.NoBody})
		if out.Status != 404 || out.Err.Code != "InvalidPath.NotFound" || !strings.Contains(out.Err.Message, "/standby/exit") || len(f.Calls("")) != 0 {
			t.Errorf("GET %q answered %d %s after %d calls; want 404 naming the routes, no call", path, out.Status, out.Body, len(f.Calls("")))
		}
	}
	for _, r := range trigger.Routes {
		if r.Alerts {
			continue // it reads alerts alone (TestAlertsRoute)
		}
		f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-a": {"i-in": "InService", "i-out": "Standby"}})
		h, _ := newHandler(config{}, f)
		id, want := "i-in", "Standby"
		if r.Exit {
			id, want = "i-out", "InService"
		}
		if out := h.InvokeHTTP(context.Background(), fakeInv, handler.HTTPRequest{Method: "GET", Path: r.Path, RawQuery: query(id), Body: http.NoBody}); out.Status != 200 || f.State(id) != want {
			t.Errorf("GET %s answered %d %s; %s is %s, want %s", r.Path, out.Status, out.Body, id, f.State(id), want)
		}
	}
}

// An event dated ahead of the function's clock by more than a clock's skew
// is ignored with the reason, as a stale one is; within the skew it acts.
func TestFutureEventsAreIgnored(t *testing.T) {
	for _, tt := range []struct {
		name     string
		payload  string
		wantActs bool
	}{
		{"a CloudEvent ten years ahead", maintenance("e1", "i-a1", now.AddDate(10, 0, 0)), false},
		{"a CloudEvent an hour ahead", maintenance("e1", "i-a1", now.Add(time.Hour)), false},
		{"a CloudEvent four minutes ahead", maintenance("e1", "i-a1", now.Add(4*time.Minute)), true},
		{"an alarm a day ahead", fmt.Sprintf(`{"alertState":"ALERT","dimensions":"{instanceId=i-a1}","timestamp":"%d"}`, now.Add(24*time.Hour).UnixMilli()), false},
		{"a timer a day ahead", `{"triggerName":"t","triggerTime":"2026-11-28T04:30:00Z","payload":"{\"InstanceId\":\"i-a1\"}"}`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			h, logs := newHandler(config{Config: handler.Config{MaxEventAge: time.Hour}}, f)
			out := invokeFake(h, tt.payload)
			a := decodeReply(t, out)
			if out.Err != nil || (len(f.Calls("Standby")) == 1) != tt.wantActs {
				t.Fatalf("answered %s after %d calls; want acting %t", out.Body, len(f.Calls("Standby")), tt.wantActs)
			}
			if !tt.wantActs && (!strings.Contains(a.Ignored, "ahead of this function's clock, more than the 5m0s") || len(f.Calls("")) != 0 || !strings.Contains(logs.String(), `"outcome":"ignored"`)) {
				t.Errorf("a future event answered %s after %d calls; log %s", out.Body, len(f.Calls("")), logs.String())
			}
		})
	}
}

// Success is claimed only for what Auto Scaling confirmed: EnterStandby
// answered 200 without an activity is not done, and the invocation fails so
// that it is tried again; a count answered without TotalCount is not zero,
// and the guard it feeds makes no call. (Through the real SDK and adapter;
// the rules are the core's and the adapter's, tested there.)
func TestNothingIsTakenAsDone(t *testing.T) {
	t.Run("EnterStandby answered {}", func(t *testing.T) {
		w := newWorld(t, config{})
		w.emu.Inject(essemu.Fault{Action: "EnterStandby", Answer: map[string]any{}})
		out, a := w.invokeWithin(t, 1500*time.Millisecond, "blank", []byte(`{"InstanceIds":["i-bp1ecr7go2go9kq3m1a"]}`))
		if out.Err == nil || a.Code != "ServiceUnavailable" || len(a.InstanceIDs) != 0 || a.Instances[0].Result != "Failed" {
			t.Errorf("answered %s; want a failure, nothing reported done", out.Body)
		}
		if in, _ := w.emu.Instance("i-bp1ecr7go2go9kq3m1a"); in.LifecycleState != essemu.InService {
			t.Errorf("the instance is %s", in.LifecycleState)
		}
	})
	t.Run("counts without TotalCount", func(t *testing.T) {
		g := essemu.Group{ID: "asg-bp1count00000000001", Region: essemu.SampleRegion}
		var page []any
		var ids []string
		for i := range 4 {
			id := fmt.Sprintf("i-bp1count%05d", i)
			g.Instances = append(g.Instances, essemu.Instance{ID: id, LifecycleState: essemu.InService})
			page = append(page, map[string]any{"InstanceId": id, "ScalingGroupId": g.ID, "LifecycleState": "InService"})
			ids = append(ids, `"`+id+`"`)
		}
		w := newWorld(t, config{core: standby.Config{MinInService: standby.Share{Percent: 50}}}, g)
		w.emu.Inject(essemu.Fault{Action: "DescribeScalingInstances", Answer: map[string]any{"ScalingInstances": map[string]any{"ScalingInstance": page}}})
		out, a := w.invokeWithin(t, 1500*time.Millisecond, "no-count", []byte(`{"InstanceIds":[`+strings.Join(ids, ",")+`]}`))
		if out.Err == nil || a.Code != "ServiceUnavailable" || len(w.calls("EnterStandby")) != 0 {
			t.Errorf("answered %s after %d EnterStandby calls; want a failure and none", out.Body, len(w.calls("EnterStandby")))
		}
	})
}

// A request past MAX_STANDBY is refused with its code, and its log line is
// at ERROR even when the whole invocation is refused (which a guard's
// refusal otherwise logs at WARN): a storm past the cap must page someone.
func TestTheCapLogsAtError(t *testing.T) {
	f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-a": {"i-a1": "InService", "i-a2": "Standby", "i-a3": "InService", "i-a4": "InService"}})
	h, logs := newHandler(config{core: standby.Config{MaxStandby: standby.Share{Count: 1}}}, f)
	out := invokeFake(h, `{"InstanceIds":["i-a1"]}`)
	if out.Err == nil || out.Status != 403 || out.Err.Code != "Forbidden.MaxStandby" || f.State("i-a1") != "InService" {
		t.Errorf("answered %d %s; i-a1 is %s", out.Status, out.Body, f.State("i-a1"))
	}
	if line := logs.String(); !strings.Contains(line, `"level":"ERROR"`) || !strings.Contains(line, `"guard":"MAX_STANDBY"`) {
		t.Errorf("log %s; want ERROR, naming the guard", line)
	}
}
