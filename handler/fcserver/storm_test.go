package fcserver_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"ess-standby/handler/essemu"
)

// group is a group of n InService instances i-<name>0000, i-<name>0001, ...
func group(name string, n int) essemu.Group {
	g := essemu.Group{ID: "asg-" + name, Region: essemu.SampleRegion}
	for i := range n {
		g.Instances = append(g.Instances, essemu.Instance{ID: fmt.Sprintf("i-%s%04d", name, i), LifecycleState: essemu.InService})
	}
	return g
}

// MIN_IN_SERVICE holds in server mode, where invocations share a process:
// six requests at once for six of a group of eight at 50% leave four
// InService, and four for a group of four, with each read taking 100 ms,
// leave two; the others are refused.
func TestMinInServiceHoldsInServerMode(t *testing.T) {
	for _, tt := range []struct {
		size, requests, left int
		slowReads            time.Duration
	}{{8, 6, 4, 0}, {4, 4, 2, 100 * time.Millisecond}} {
		t.Run(fmt.Sprintf("%d on %d", tt.requests, tt.size), func(t *testing.T) {
			g := group(fmt.Sprint("bp1floor", tt.size), tt.size)
			s := startServerWith(t, []string{"MIN_IN_SERVICE=50%"}, g)
			if tt.slowReads > 0 {
				s.emu.Inject(essemu.Fault{Action: "DescribeScalingInstances", Delay: tt.slowReads})
			}
			codes := make([]string, tt.requests)
			var wg sync.WaitGroup
			for i := range tt.requests {
				wg.Go(func() {
					resp, body := s.do(t, invokeRequest(t, s.base, fmt.Sprint("floor-", i), fmt.Sprintf(`{"InstanceIds":[%q]}`, g.Instances[i].ID)))
					codes[i] = invokeAnswer(t, resp, body).Code
				})
			}
			wg.Wait()
			inService, refused := s.emu.InState(essemu.InService), 0
			for _, code := range codes {
				if code == "Forbidden.MinInService" {
					refused++
				}
			}
			if inService != tt.left || refused != tt.requests-(tt.size-tt.left) {
				t.Errorf("%d left InService, answers %v; want %d left, the others refused", inService, codes, tt.left)
			}
			s.stop(t)
		})
	}
}

// A storm's batch in server mode: 40 spot interruptions, the second call
// throttled until the invocation gives up; FC's retry finishes the job.
func TestARetryFinishesAStormInServerMode(t *testing.T) {
	g := group("bp1wave", 40)
	var events []string
	for _, in := range g.Instances {
		events = append(events, fmt.Sprintf(`{"instanceId":%q,"action":"delete"}`, in.ID))
	}
	s := startServer(t, g)
	s.emu.Inject(essemu.Fault{Action: "EnterStandby", After: 1, Status: 400, Code: "Throttling.User", Message: "Request was denied due to user flow control."})
	batch := "[" + strings.Join(events, ",") + "]"
	r := invokeRequest(t, s.base, "wave", batch)
	r.Header.Set("x-fc-function-timeout", "2")
	resp, body := s.do(t, r)
	first := invokeAnswer(t, resp, body)
	if first.Code != "Throttling.User" || !strings.Contains(string(first.Body), "20 of 40 instances are left to retry") {
		t.Fatalf("the first delivery answered %s", first.Body)
	}
	s.emu.ClearFaults()
	retry := invokeRequest(t, s.base, "wave", batch)
	retry.Header.Set("x-fc-retry-count", "1")
	resp, body = s.do(t, retry)
	if again := invokeAnswer(t, resp, body); again.Code != "" {
		t.Fatalf("the retry answered %s", again.Body)
	}
	for _, in := range s.emu.Instances() {
		if in.LifecycleState != essemu.Standby {
			t.Errorf("%s is %s after the retry", in.ID, in.LifecycleState)
		}
	}
	s.stop(t)
}

// Duplicates answer success, in server mode: 50 requests at once for one
// instance, without a token, make one activity, and every one answers
// success; a batch delivered 20 times at once moves its instances once,
// and no delivery is refused by MIN_IN_SERVICE for counting them twice.
func TestConcurrentDuplicatesAnswerSuccessInServerMode(t *testing.T) {
	g := group("bp1dup", 40)
	s := startServerWith(t, []string{"MIN_IN_SERVICE=50%"}, g)
	answers := make([]string, 50)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() {
			resp, body := s.do(t, invokeRequest(t, s.base, fmt.Sprint("dup-", i), `{"InstanceIds":["i-bp1dup0000"]}`))
			if a := invokeAnswer(t, resp, body); a.Code != "" {
				answers[i] = a.Code
			}
		})
	}
	wg.Wait()
	if failed := slices.DeleteFunc(answers, func(code string) bool { return code == "" }); len(failed) > 0 || len(s.emu.Activities()) != 1 {
		t.Errorf("%d of 50 failed (%v), %d activities; want every one answered success, one activity", len(failed), failed, len(s.emu.Activities()))
	}

	var events []string
	for _, in := range g.Instances[1:20] {
		events = append(events, fmt.Sprintf(`{"specversion":"1.0","id":"spot-%s","source":"acs.ecs","type":"ecs:Instance:PreemptibleInstanceInterruption","aliyunregionid":"cn-hangzhou","data":{"instanceId":%q,"action":"delete"}}`, in.ID, in.ID))
	}
	batch := "[" + strings.Join(events, ",") + "]"
	codes := make([]string, 20)
	for i := range codes {
		wg.Go(func() {
			resp, body := s.do(t, invokeRequest(t, s.base, fmt.Sprint("batch-", i), batch))
			codes[i] = invokeAnswer(t, resp, body).Code
		})
	}
	wg.Wait()
	if failed := slices.DeleteFunc(codes, func(code string) bool { return code == "" }); len(failed) > 0 {
		t.Errorf("deliveries failed with %v; want every one answered success", failed)
	}
	standby := s.emu.InState(essemu.Standby)
	if standby != 20 {
		t.Errorf("%d in Standby, want the 20 named (40 in the group, 50%% kept)", standby)
	}
	s.stop(t)
}
