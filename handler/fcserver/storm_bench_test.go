package fcserver_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
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

// BenchmarkStorm drives the built server (the custom runtime's build, as
// s.yaml deploys it, MIN_IN_SERVICE=50%, MAX_STANDBY=25%) with storms, against the emulator
// answering every Auto Scaling call 50 ms late:
//
//   - alarms=200: 200 CloudMonitor alarm callbacks at once, each for its own
//     instance of one group of 400, on the HTTP trigger (the group looked up);
//   - batch=100x20: one batch of 100 spot interruptions (a group of 200),
//     delivered 20 times at once as FC's event invocations;
//   - alarms=200,ecs=1s: the alarms, with ECS answering every tag call a
//     second late: the answers must not wait for it.
//
// Each iteration is one storm on a fresh fleet and a fresh server, as after
// a cold start. It reports the Auto Scaling
// calls made (targets: ceil(N/20) EnterStandby calls plus the reads; ECS's
// TagResources calls at most ceil(parked/50), the instances of one rule
// sharing their tags), the
// answers' latency (p99 under 5 s, CloudMonitor's timeout), the answers
// that were not 2xx (target 0), the instances left InService against the
// floor, and the server's peak resident memory. Run it without -race:
//
//	go test -run '^$' -bench Storm -benchtime 3x ./handler/fcserver/
func BenchmarkStorm(b *testing.B) {
	b.Run("alarms=200", func(b *testing.B) { alarmStorm(b, 0) })
	b.Run("batch=100x20", func(b *testing.B) {
		g := group("bp1batch", 200)
		var events []string
		for _, in := range g.Instances[:100] {
			events = append(events, fmt.Sprintf(`{"specversion":"1.0","id":"spot-%s","source":"acs.ecs","type":"ecs:Instance:PreemptibleInstanceInterruption","time":%q,"aliyunregionid":"cn-hangzhou","data":{"instanceId":%q,"action":"delete"}}`,
				in.ID, time.Now().UTC().Format(time.RFC3339), in.ID))
		}
		batch := "[" + strings.Join(events, ",") + "]"
		storm(b, g, 20, 0, func(i int) *http.Request { return invokeRequest(b, "", fmt.Sprint("batch-", i), batch) })
	})
	b.Run("alarms=200,ecs=1s", func(b *testing.B) { alarmStorm(b, time.Second) })
}

// alarmStorm is 200 alarm callbacks of one rule at once, each for its own
// instance of a group of 400, ECS answering each tag call slowECS late.
func alarmStorm(b *testing.B, slowECS time.Duration) {
	g := group("bp1storm", 400)
	storm(b, g, 200, slowECS, func(i int) *http.Request {
		form := url.Values{"alertName": {"mem"}, "alertState": {"ALERT"}, "curValue": {"97"}, "metricName": {"Host.mem.usedutilization"},
			"namespace": {"acs_ecs"}, "regionId": {essemu.SampleRegion}, "ruleId": {"rule-mem"}, "userId": {"1234567890123456"},
			"dimensions":   {fmt.Sprintf("{userId=1234567890123456, instanceId=%s}", g.Instances[i].ID)},
			"timestamp":    {strconv.FormatInt(time.Now().UnixMilli(), 10)},
			"transId":      {fmt.Sprint("storm-", i)},
			"triggerLevel": {"WARN"}}
		r, _ := http.NewRequest(http.MethodPost, "/alarm", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
		for k, v := range map[string]string{"x-fc-request-id": fmt.Sprint("alarm-", i), "x-fc-region": essemu.SampleRegion, "x-fc-access-key-id": key.ID,
			"x-fc-access-key-secret": key.Secret, "x-fc-security-token": key.Token, "x-fc-function-timeout": "30", "x-fc-control-path": "/http-invoke"} {
			r.Header.Set(k, v)
		}
		return r
	})
}

// storm sends n requests at once, b.N times over, ECS answering tag calls
// slowECS late, and reports what they cost and how they were answered.
func storm(b *testing.B, g essemu.Group, n int, slowECS time.Duration, request func(i int) *http.Request) {
	var latencies []time.Duration
	var enter, reads, tags, calls, failed, inService, peak int
	for b.Loop() {
		b.StopTimer()
		s := startServer(b, []string{"MIN_IN_SERVICE=50%", "MAX_STANDBY=25%", "MAX_INSTANCES=100"}, g)
		caller := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}}
		if slowECS > 0 {
			s.Emu.Inject(essemu.Fault{Action: "TagResources", Delay: slowECS}) // the first fault that matches applies
		}
		s.Emu.Inject(essemu.Fault{Action: "*", Delay: 50 * time.Millisecond})
		b.StartTimer()
		took := make([]time.Duration, n)
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			r := request(i)
			r.URL, _ = url.Parse(s.URL + r.URL.Path)
			r.Host = r.URL.Host
			wg.Go(func() {
				t0 := time.Now()
				resp, err := caller.Do(r)
				if err != nil {
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				took[i], statuses[i] = time.Since(t0), resp.StatusCode
			})
		}
		wg.Wait()
		latencies = append(latencies, took...)
		enter, reads, tags, calls, failed, inService = 0, 0, 0, 0, 0, 0
		for _, c := range s.Emu.Calls() {
			switch c.Action {
			case "EnterStandby":
				enter++
			case "DescribeScalingInstances":
				reads++
			case "TagResources":
				tags++
				continue // ECS's, not Auto Scaling's
			}
			calls++
		}
		for _, status := range statuses {
			if status/100 != 2 {
				failed++
			}
		}
		inService = s.Emu.InState(essemu.InService)
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.Cmd.Process.Pid))
		if err != nil {
			b.Fatal(err)
		}
		m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(status)
		kib, _ := strconv.Atoi(string(m[1]))
		peak = max(peak, kib)
		caller.CloseIdleConnections()
		s.Cmd.Process.Kill()
		s.Cmd.Wait()
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(enter), "EnterStandby-calls")
	b.ReportMetric(float64(reads), "read-calls")
	b.ReportMetric(float64(tags), "TagResources-calls")
	b.ReportMetric(float64(calls), "ESS-calls")
	b.ReportMetric(float64(latencies[len(latencies)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Milliseconds()), "p99-ms")
	b.ReportMetric(float64(failed), "not-2xx")
	b.ReportMetric(float64(inService), "left-InService")
	b.ReportMetric(float64(len(g.Instances)/2), "floor")
	b.ReportMetric(float64(peak)/1024, "VmHWM-MiB")
}
