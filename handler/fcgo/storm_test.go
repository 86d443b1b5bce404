package fcgo_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"ess-standby/handler/essemu"
	"ess-standby/handler/fctest"
	"ess-standby/handler/samples"
)

// wave is a group of n InService instances, and a spot interruption for
// each, as EventBridge delivers them, dated at the samples' time.
func wave(id string, n int) (essemu.Group, []string) {
	g := essemu.Group{ID: id, Region: essemu.SampleRegion}
	var events []string
	for i := range n {
		instance := fmt.Sprintf("i-%s%04d", strings.TrimPrefix(id, "asg-")[:8], i)
		g.Instances = append(g.Instances, essemu.Instance{ID: instance, LifecycleState: essemu.InService})
		events = append(events, spotEvent(fmt.Sprintf("%s-%d", id, i), instance))
	}
	return g, events
}

func spotEvent(id, instance string) string {
	return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"acs.ecs","type":"ecs:Instance:PreemptibleInstanceInterruption","time":%q,"aliyunregionid":"cn-hangzhou","data":{"instanceId":%q,"action":"delete"}}`,
		id, essemu.SampleTime.Add(-time.Minute).Format(time.RFC3339), instance)
}

// A storm's batch through the built go1 function: 40 spot interruptions,
// the second call throttled until the invocation gives up. The invocation
// fails; FC's retry of it finishes the job, and no token names two sets.
func TestARetryFinishesAStormThroughTheGo1Runtime(t *testing.T) {
	g, events := wave("asg-bp1wave0000000001", 40)
	f := startFunctionWith(t, []essemu.Group{g})
	f.emu.Inject(essemu.Fault{Action: "EnterStandby", After: 1, Status: 400, Code: "Throttling.User", Message: "Request was denied due to user flow control."})
	batch := []byte("[" + strings.Join(events, ",") + "]")
	first := f.invokeAs(t, fctest.Invocation{RequestID: "wave", Payload: batch, Timeout: 2 * time.Second}, key)
	if first.Code != "Throttling.User" || !strings.Contains(string(first.Body), "20 of 40 instances are left to retry") {
		t.Fatalf("the first delivery answered %s", first.Body)
	}
	f.emu.ClearFaults()
	retry := f.invokeAs(t, fctest.Invocation{RequestID: "wave", RetryCount: 1, Payload: batch, Timeout: 10 * time.Second}, key)
	var a struct{ InstanceIds []string }
	if json.Unmarshal(retry.Body, &a); retry.Code != "" || len(a.InstanceIds) != 40 {
		t.Fatalf("the retry answered %s", retry.Body)
	}
	standby, tokens := f.emu.InState(essemu.Standby), map[string]string{}
	for _, c := range f.emu.Calls() {
		if c.Action != "EnterStandby" {
			continue
		}
		set := fmt.Sprint(c.Params["InstanceId.1"], c.Params["InstanceId.20"])
		if prev, ok := tokens[c.Params.Get("ClientToken")]; ok && prev != set || c.Code == "IdempotentParameterMismatch" {
			t.Errorf("token %s named %s and %s (%s)", c.Params.Get("ClientToken"), prev, set, c.Code)
		}
		tokens[c.Params.Get("ClientToken")] = set
	}
	if standby != 40 {
		t.Errorf("%d of 40 in Standby after the retry", standby)
	}
}

// A batch through the built go1 function, as the ecs-events rule delivers
// them: one event for a group the function must not touch, one it does
// not read, one of an undocumented state, beside one it acts on. That one
// drains; the invocation succeeds; the log line says, at ERROR, what was
// refused (the undocumented state is ignored).
func TestOneEventDoesNotBlockABatchThroughTheGo1Runtime(t *testing.T) {
	f := startFunctionWith(t, essemu.SampleFleet(), "ALLOWED_SCALING_GROUP_IDS="+essemu.WebGroup)
	batch := "[" + strings.Join([]string{
		spotEvent("allowed", "i-bp1ecr7go2go9kq3m1a"),
		spotEvent("not-allowed", "i-bp1hh2ka9xr7wq4t5n0a"),
		strings.Replace(strings.Replace(spotEvent("hibernating", "i-bp1ecr7go2go9kq3m1b"), "PreemptibleInstanceInterruption", "StateChange", 1), `"instanceId":"i-bp1ecr7go2go9kq3m1b","action":"delete"`, `"resourceId":"i-bp1ecr7go2go9kq3m1b","state":"Hibernating"`, 1),
		`{"InstanceIds":["i-bp1ecr7go2go9kq3m1c"]}`,
	}, ",") + "]"
	got := f.invoke(t, "mixed", []byte(batch), key)
	if got.Code != "" {
		t.Fatalf("answered %s", got.Body)
	}
	for id, want := range map[string]string{"i-bp1ecr7go2go9kq3m1a": essemu.Standby, "i-bp1hh2ka9xr7wq4t5n0a": essemu.InService, "i-bp1ecr7go2go9kq3m1b": essemu.InService, "i-bp1ecr7go2go9kq3m1c": essemu.InService} {
		if in, _ := f.emu.Instance(id); in.LifecycleState != want {
			t.Errorf("%s is %s, want %s", id, in.LifecycleState, want)
		}
	}
	if _, err := f.logs.Await(regexp.MustCompile(`"level":"ERROR".*"refused":2,"outcome":"partial"`), 10*time.Second); err != nil {
		t.Errorf("%v:\n%s", err, f.logs)
	}
}

// MIN_IN_SERVICE holds when invocations run at once in the built go1
// function (the SDK's loop runs each in its own goroutine): six requests
// for six of a group of eight at 50% leave four InService, and four for a
// group of four, with each read taking 100 ms, leave two.
func TestMinInServiceHoldsThroughTheGo1Runtime(t *testing.T) {
	for _, tt := range []struct {
		size, requests, left int
		slowReads            time.Duration
	}{{8, 6, 4, 0}, {4, 4, 2, 100 * time.Millisecond}} {
		t.Run(fmt.Sprintf("%d on %d", tt.requests, tt.size), func(t *testing.T) {
			g, _ := wave("asg-bp1floor000000000"+fmt.Sprint(tt.size), tt.size)
			f := startFunctionWith(t, []essemu.Group{g}, "MIN_IN_SERVICE=50%")
			if tt.slowReads > 0 {
				f.emu.Inject(essemu.Fault{Action: "DescribeScalingInstances", Delay: tt.slowReads})
			}
			answers := make([]samples.Response, tt.requests)
			var wg sync.WaitGroup
			for i := range tt.requests {
				wg.Go(func() {
					payload := fmt.Sprintf(`{"InstanceIds":[%q]}`, g.Instances[i].ID)
					answers[i] = f.invoke(t, fmt.Sprint("floor-", i), []byte(payload), key)
				})
			}
			wg.Wait()
			inService, refused := f.emu.InState(essemu.InService), 0
			for _, a := range answers {
				if a.Code == "Forbidden.MinInService" {
					refused++
				}
			}
			if inService != tt.left || refused != tt.requests-(tt.size-tt.left) {
				t.Errorf("%d left InService, %d refused; want %d left, %d refused", inService, refused, tt.left, tt.requests-(tt.size-tt.left))
			}
		})
	}
}
