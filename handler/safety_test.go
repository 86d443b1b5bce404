package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"ess-standby/handler"
	"ess-standby/handler/ess"
	"ess-standby/handler/essemu"
	"ess-standby/handler/internal/fctest"
	"ess-standby/handler/internal/samples"
	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
)

// world is a handler in front of the emulator, through the real SDK.
type world struct {
	emu  *essemu.Server
	h    *handler.Handler
	logs *fctest.Output
}

func newWorld(t testing.TB, cfg config, groups ...essemu.Group) *world {
	logs := &fctest.Output{}
	w := newQuietWorld(t, io.MultiWriter(logs, fctest.Logs()), cfg, groups...)
	w.logs = logs
	return w
}

// newQuietWorld logs to log alone (io.Discard where nothing may be kept).
func newQuietWorld(t testing.TB, log io.Writer, cfg config, groups ...essemu.Group) *world {
	t.Helper()
	if groups == nil {
		groups = essemu.SampleFleet()
	}
	w := &world{emu: essemu.NewServer([]essemu.Key{key}, groups...)}
	t.Cleanup(w.emu.Close)
	endpoint, _ := url.Parse(w.emu.URL)
	client := ess.New(ess.Config{Endpoint: endpoint, ECSEndpoint: endpoint, ECIEndpoint: endpoint})
	t.Cleanup(client.Close)
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return essemu.SampleTime } // the samples' day
	}
	w.h = handler.New(cfg.Config, newService(cfg.core, client.Cloud()), slog.New(slog.NewJSONHandler(log, nil)))
	return w
}

// creds are the invocations' credentials, those the emulator accepts.
var creds = standby.Credentials{AccessKeyID: key.ID, AccessKeySecret: key.Secret, SecurityToken: key.Token}

// invoke runs one invocation with ten seconds to live.
func (w *world) invoke(t *testing.T, requestID string, payload []byte) (handler.Outcome, reply) {
	t.Helper()
	return w.invokeWithin(t, 10*time.Second, requestID, payload)
}

// invokeWithin runs one invocation with timeout to live: the retries of a
// failure that lasts give up within it.
func (w *world) invokeWithin(t *testing.T, timeout time.Duration, requestID string, payload []byte) (handler.Outcome, reply) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out := w.h.Invoke(ctx, standby.Invocation{RequestID: requestID, Region: essemu.SampleRegion, Credentials: creds}, bytes.NewReader(payload))
	var a reply
	if err := json.Unmarshal(out.Body, &a); err != nil {
		t.Fatalf("answer %s: %v", out.Body, err)
	}
	return out, a
}

func (w *world) calls(action string) []essemu.Call {
	var out []essemu.Call
	for _, c := range w.emu.Calls() {
		if c.Action == action {
			out = append(out, c)
		}
	}
	return out
}

func sample(t *testing.T, name string) []byte {
	t.Helper()
	return samples.Read(t, name)
}

// The same alarm, CloudEvent and timer event, each delivered three times,
// start one activity, and every delivery answers with it.
func TestReplayedEventsStartOneActivity(t *testing.T) {
	for _, name := range []string{"http-cms-alarm-alert.json", "eventbridge-ecs-maintenance.json", "timer.json", "eventbridge-ecs-maintenance-rawdata.json"} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, config{})
			var answered []string
			for i := range 3 {
				// FC gives a retried async invocation the same request ID; a
				// CloudMonitor or EventBridge retry comes as a new invocation.
				_, a := w.invoke(t, fmt.Sprintf("delivery-%d", i), sample(t, name))
				if a.Code != "" {
					t.Fatalf("delivery %d failed: %s %s", i, a.Code, a.Message)
				}
				answered = append(answered, a.ScalingActivityID)
			}
			if n := len(w.emu.Activities()); n != 1 {
				t.Errorf("%d activities started, want 1", n)
			}
			if answered[0] == "" || answered[1] != answered[0] || answered[2] != answered[0] {
				t.Errorf("deliveries answered activities %v, want the same one each time", answered)
			}
		})
	}
}

// A caller's own ClientToken makes a re-sent HTTP request idempotent too.
func TestCallerTokenMakesRetriedRequestsIdempotent(t *testing.T) {
	w := newWorld(t, config{})
	req := []byte(`{"ScalingGroupId":"asg-bp1fo0dbtsbmqa9h5dl3","InstanceIds":["i-bp1ecr7go2go9kq3m1a","i-bp1ecr7go2go9kq3m1b"],"ClientToken":"oncall-42"}`)
	_, first := w.invoke(t, "try-1", req)
	_, again := w.invoke(t, "try-2", req)
	if len(w.emu.Activities()) != 1 || again.ScalingActivityID != first.ScalingActivityID {
		t.Errorf("%d activities; answers %q then %q", len(w.emu.Activities()), first.ScalingActivityID, again.ScalingActivityID)
	}
}

// Throttling on every other call, then 5xx bursts, then latency spikes:
// every invocation succeeds in its time, no activity is started twice, and
// every retry of a call carries its token.
func TestFaultsAreRetriedWithTheSameToken(t *testing.T) {
	fleet := essemu.Group{ID: "asg-bp1faults00000000001", Region: essemu.SampleRegion}
	for i := range 30 {
		fleet.Instances = append(fleet.Instances, essemu.Instance{ID: fmt.Sprintf("i-bp1fault%05d", i), LifecycleState: essemu.InService})
	}
	phases := []struct {
		name   string
		faults []essemu.Fault
	}{
		{"half throttled", []essemu.Fault{{Action: "*", Every: 2, Status: 400, Code: "Throttling", Message: "Request was denied due to request throttling."}}},
		{"5xx bursts", []essemu.Fault{{Action: "*", Times: 3, Status: 503, Code: "ServiceUnavailable", Message: "The request has failed due to a temporary failure of the server."},
			{Action: "EnterStandby", Times: 2, Status: 500, Code: "InternalError", Message: "The request processing has failed due to some unknown error."}}},
		{"latency spikes", []essemu.Fault{{Action: "*", Every: 2, Delay: 300 * time.Millisecond}}},
		{"group busy", []essemu.Fault{{Action: "EnterStandby", Times: 2, Status: 400, Code: "ScalingActivityInProgress", Message: "busy"}}},
	}
	w := newWorld(t, config{}, fleet)
	next := 0
	for _, phase := range phases {
		t.Run(phase.name, func(t *testing.T) {
			w.emu.Reset()
			for _, f := range phase.faults {
				w.emu.Inject(f)
			}
			for i := range 5 {
				id := fmt.Sprintf("i-bp1fault%05d", next)
				next++
				_, a := w.invoke(t, fmt.Sprintf("%s-%d", phase.name, i), []byte(`{"InstanceIds":["`+id+`"]}`))
				if a.Code != "" || a.ScalingActivityID == "" {
					t.Errorf("invocation %d answered %s: %s", i, a.Code, a.Message)
				}
			}
			tokens := map[string]string{}
			for _, c := range w.calls("EnterStandby") {
				id := c.Params.Get("InstanceId.1")
				if prev, seen := tokens[id]; seen && prev != c.Params.Get("ClientToken") {
					t.Errorf("retries for %s carried tokens %q and %q", id, prev, c.Params.Get("ClientToken"))
				}
				tokens[id] = c.Params.Get("ClientToken")
			}
			if n := len(w.emu.Activities()); n != 5 {
				t.Errorf("%d activities for 5 invocations", n)
			}
		})
	}
	t.Run("a final error is not retried", func(t *testing.T) {
		w.emu.Reset()
		w.emu.Inject(essemu.Fault{Action: "EnterStandby", Status: 403, Code: "Forbidden.Unauthorized", Message: "no"})
		_, a := w.invoke(t, "final", []byte(`{"InstanceIds":["i-bp1fault00029"]}`))
		if a.Code != "Forbidden.Unauthorized" || len(w.calls("EnterStandby")) != 1 {
			t.Errorf("answered %s after %d EnterStandby calls, want Forbidden.Unauthorized after 1", a.Code, len(w.calls("EnterStandby")))
		}
	})
}

func TestThrottledUntilOutOfTimeFails(t *testing.T) {
	w := newWorld(t, config{})
	w.emu.Inject(essemu.Fault{Action: "EnterStandby", Status: 400, Code: "Throttling", Message: "always"})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out := w.h.Invoke(ctx, standby.Invocation{RequestID: "busy", Region: essemu.SampleRegion, Credentials: creds}, strings.NewReader(`{"InstanceIds":["i-bp1ecr7go2go9kq3m1a"]}`))
	if out.Err == nil || out.Err.Code != "Throttling" || out.Status != 429 {
		t.Fatalf("Invoke = %v, want 429 Throttling once the time is spent", out.Err)
	}
	if deadline, _ := ctx.Deadline(); time.Until(deadline) < 0 {
		t.Error("the invocation answered after its deadline")
	}
	if n := len(w.calls("EnterStandby")); n < 2 {
		t.Errorf("%d attempts, want retries within the time", n)
	}
}

// 45 InService instances, 3 in Standby and 2 Pending: three calls of 20,
// 20 and 5, and a report that names the rest.
func TestBatchesAndPreCheck(t *testing.T) {
	g := essemu.Group{ID: "asg-bp1batch0000000001", Region: essemu.SampleRegion}
	var ids []string
	for i := range 50 {
		state := essemu.InService
		switch {
		case i%17 == 5:
			state = essemu.Standby // 5, 22, 39
		case i == 10 || i == 30:
			state = essemu.Pending
		}
		id := fmt.Sprintf("i-bp1batch%05d", i)
		ids = append(ids, `"`+id+`"`)
		g.Instances = append(g.Instances, essemu.Instance{ID: id, LifecycleState: state})
	}
	w := newWorld(t, config{}, g)
	out, a := w.invoke(t, "batch", []byte(`{"InstanceIds":[`+strings.Join(ids, ",")+`]}`))
	if out.Err != nil {
		t.Fatalf("Invoke = %v", out.Err)
	}
	var sizes []int
	for _, c := range w.calls("EnterStandby") {
		n := 0
		for k := range c.Params {
			if strings.HasPrefix(k, "InstanceId.") {
				n++
			}
		}
		sizes = append(sizes, n)
	}
	if !slices.Equal(sizes, []int{20, 20, 5}) {
		t.Errorf("EnterStandby calls of %v instances, want [20 20 5]", sizes)
	}
	if n := len(w.calls("DescribeScalingInstances")); n != 3 {
		t.Errorf("%d DescribeScalingInstances calls, want 3 (20 IDs each)", n)
	}
	results := map[string]int{}
	for _, line := range a.Instances {
		results[line.Result+": "+line.Reason]++
	}
	want := map[string]int{"EnteredStandby: ": 45, "Skipped: already Standby": 3, "Skipped: Pending: only InService instances can enter Standby": 2}
	if fmt.Sprint(results) != fmt.Sprint(want) || len(a.Activities) != 3 || len(a.InstanceIDs) != 45 {
		t.Errorf("report %v with %d activities, %d instances; want %v, 3, 45", results, len(a.Activities), len(a.InstanceIDs), want)
	}
	for _, line := range a.Instances {
		if line.Result == "EnteredStandby" && !strings.HasPrefix(line.ScalingActivityID, "asa-") {
			t.Errorf("%s entered Standby with no activity named", line.InstanceID)
		}
	}
}

// A guard rail's refusal (the core's rule: see standby's guard tests) is
// answered with its status and code, and the log line names the guard.
func TestGuardRailsAreAnsweredAndLogged(t *testing.T) {
	tests := []struct {
		name       string
		core       standby.Config
		payload    string
		wantStatus int
		wantCode   string
		wantGuard  string
	}{
		{"group not allowed", standby.Config{AllowedGroups: []string{"asg-b"}},
			`{"InstanceIds":["i-a1"]}`, 403, "Forbidden.ScalingGroupNotAllowed", "ALLOWED_SCALING_GROUP_IDS"},
		{"too few left InService", standby.Config{MinInService: standby.Share{Count: 2}},
			`{"InstanceIds":["i-a1"]}`, 403, "Forbidden.MinInService", "MIN_IN_SERVICE"},
		{"too many instances", standby.Config{MaxInstances: 1},
			`{"InstanceIds":["i-a1","i-a2"]}`, 400, "InvalidParameter", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			h, logs := newHandler(config{core: tt.core}, f)
			out := invokeFake(h, tt.payload)
			if out.Err == nil || out.Err.Code != tt.wantCode || out.Status != tt.wantStatus || len(f.Calls("Standby")) != 0 {
				t.Errorf("answered %d %s after %d Standby calls; want %d %s, none", out.Status, out.Body, len(f.Calls("Standby")), tt.wantStatus, tt.wantCode)
			}
			if tt.wantGuard != "" && !strings.Contains(logs.String(), `"guard":"`+tt.wantGuard+`"`) {
				t.Errorf("the log does not name the guard %s: %s", tt.wantGuard, logs)
			}
		})
	}
}

// EXIT_ON_OK, on the samples: the alarm parks the instance, its recovery
// takes it back; without the setting the recovery is ignored.
func TestExitOnOK(t *testing.T) {
	sampleFake := func() *standbytest.Fake {
		return standbytest.NewFake(essemu.SampleRegion, map[string]map[string]string{essemu.WebGroup: {"i-bp1ecr7go2go9kq3m1a": "InService"}})
	}
	f := sampleFake()
	// Each sample arrives half a minute after its own time, by one clock
	// for the handler and the core: the OK (04:22) comes after the ALERT
	// (04:20) parked the instance, as the OK that ends it does (an OK dated
	// before the parking takes nothing back: TestALateOKLeavesAFreshAlarmsInstance).
	clock := time.Date(2026, 11, 27, 4, 20, 30, 0, time.UTC)
	tick := func() time.Time { return clock }
	h := handler.New(handler.Config{ExitOnOK: true, Now: tick}, newService(standby.Config{Now: tick}, f.Cloud()), slog.New(slog.DiscardHandler))
	invokeSample := func(h *handler.Handler, name string) handler.Outcome {
		return h.Invoke(context.Background(), standby.Invocation{RequestID: name, Region: essemu.SampleRegion, Credentials: creds}, bytes.NewReader(sample(t, name)))
	}
	invokeSample(h, "http-cms-alarm-alert.json")
	clock = clock.Add(2 * time.Minute)
	invokeSample(h, "http-cms-alarm-ok.json")
	if calls := f.Calls("Standby"); f.State("i-bp1ecr7go2go9kq3m1a") != "InService" || len(calls) != 2 || calls[1].Standby.Action != standby.ExitStandby {
		t.Errorf("after ALERT then OK: %s, calls %+v", f.State("i-bp1ecr7go2go9kq3m1a"), calls)
	}
	f = sampleFake()
	h, _ = newHandler(config{}, f)
	if out := invokeSample(h, "http-cms-alarm-ok.json"); decodeReply(t, out).Ignored == "" || len(f.Calls("")) != 0 {
		t.Errorf("without EXIT_ON_OK an OK alarm answered %s after %d calls", out.Body, len(f.Calls("")))
	}
}

// A failed call does not hide the others: they are made, and reported. A
// refusal for good beside an instance done is answered, and logged at
// ERROR, without failing the invocation (a retry would change nothing); a
// failure a retry may mend fails it, and the retry does only what is left.
func TestOneFailedCallDoesNotHideTheOthers(t *testing.T) {
	two := []byte(`{"InstanceIds":["i-bp1ecr7go2go9kq3m1a","i-bp1hh2ka9xr7wq4t5n0a"]}`)
	t.Run("refused for good", func(t *testing.T) {
		w := newWorld(t, config{})
		w.emu.Inject(essemu.Fault{Action: "EnterStandby", Group: essemu.WebGroup, Status: 403, Code: "Forbidden.Unauthorized", Message: "not this group"})
		out, a := w.invoke(t, "two", two)
		if out.Err != nil || out.Status != 200 || len(a.Activities) != 1 {
			t.Fatalf("answered %d %s with %d activities, want 200 and the other group's activity", out.Status, out.Body, len(a.Activities))
		}
		if a.Instances[0].Result != "Refused" || a.Instances[0].Code != "Forbidden.Unauthorized" || a.Instances[1].Result != "EnteredStandby" {
			t.Errorf("report %+v", a.Instances)
		}
		if logs := w.logs.String(); !strings.Contains(logs, `"level":"ERROR"`) || !strings.Contains(logs, `"outcome":"partial"`) || !strings.Contains(logs, `"refused":1`) {
			t.Errorf("the log line does not say, at ERROR, that one was refused: %s", logs)
		}
	})
	t.Run("left to retry", func(t *testing.T) {
		w := newWorld(t, config{})
		w.emu.Inject(essemu.Fault{Action: "EnterStandby", Group: essemu.APIGroup, Status: 503, Code: "ServiceUnavailable", Message: "down"})
		out, a := w.invokeWithin(t, 1500*time.Millisecond, "two", two)
		if out.Err == nil || a.Code != "ServiceUnavailable" || !strings.Contains(a.Message, "1 of 2 instances are left to retry") || len(a.Activities) != 1 {
			t.Fatalf("answered %s %q with %d activities, want the failure, naming what is left", a.Code, a.Message, len(a.Activities))
		}
		if a.Instances[0].Result != "EnteredStandby" || a.Instances[1].Result != "Failed" {
			t.Errorf("report %+v", a.Instances)
		}
		w.emu.ClearFaults()
		before := len(w.calls("EnterStandby"))
		if out, a := w.invoke(t, "two", two); out.Err != nil || a.Instances[1].Result != "EnteredStandby" || len(w.calls("EnterStandby")) != before+1 {
			t.Errorf("the retry answered %s with %+v after %d more calls, want the one left done by one call", out.Body, a.Instances, len(w.calls("EnterStandby"))-before)
		}
	})
}

// Each notice of an event is its own: ECS gives the notices of one event
// one top-level id (its own Scheduled and Avoided examples share one), so
// the status is part of the identity the tokens derive from. A Scheduled
// notice parks the instance; an operator takes it back; the Executing
// notice that follows parks it anew, rather than having Auto Scaling
// answer the Scheduled notice's token with its old activity while the
// instance stays InService. The same notice delivered again still starts
// nothing.
func TestEachNoticeIsItsOwn(t *testing.T) {
	w := newWorld(t, config{})
	scheduled := sample(t, "cms-event-maintenance.json")
	executing := []byte(strings.ReplaceAll(string(scheduled), "Scheduled", "Executing"))
	if _, a := w.invoke(t, "scheduled", scheduled); a.Code != "" || len(w.emu.Activities()) != 1 {
		t.Fatalf("the Scheduled notice answered %+v", a)
	}
	if _, a := w.invoke(t, "scheduled-again", scheduled); a.Code != "" || len(w.emu.Activities()) != 1 {
		t.Errorf("the same notice again answered %+v after %d activities, want the first", a, len(w.emu.Activities()))
	}
	w.invoke(t, "operator", []byte(`{"Action":"ExitStandby","InstanceIds":["i-bp1ecr7go2go9kq3m1c"]}`))
	_, a := w.invoke(t, "executing", executing)
	if in, _ := w.emu.Instance("i-bp1ecr7go2go9kq3m1c"); in.LifecycleState != essemu.Standby || a.Code != "" || len(w.calls("EnterStandby")) != 2 {
		t.Errorf("after the Executing notice the instance is %s (%d EnterStandby calls, %d activities); want Standby, parked anew", in.LifecycleState, len(w.calls("EnterStandby")), len(w.emu.Activities()))
	}
}
