package fcserver_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ess-standby/handler/essemu"
)

// BenchmarkServer drives server mode (in process, with the emulator behind
// it) with 1, 16 and 200 concurrent callers, each entering and leaving
// Standby with its own instance, and reports invocations per second and
// the median and 99th-percentile latency.
func BenchmarkServer(b *testing.B) {
	for _, callers := range []int{1, 16, 200} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			s := serveInProcess(b, io.Discard, callers)
			defer s.stop()
			base, caller := s.base, s.caller

			var next atomic.Int64
			latencies := make([][]time.Duration, callers)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for c := range callers {
				wg.Go(func() {
					id := fmt.Sprintf("i-bp1bulk%06d", c)
					for n := 0; next.Add(1) <= int64(b.N); n++ {
						action := "EnterStandby"
						if n%2 == 1 {
							action = "ExitStandby"
						}
						payload := fmt.Sprintf(`{"ScalingGroupId":"asg-bp1bulk000000000001","InstanceIds":[%q],"Action":%q}`, id, action)
						t0 := time.Now()
						resp, err := caller.Do(invokeRequest(b, base, fmt.Sprintf("b-%d-%d", c, n), payload))
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != 200 {
							b.Errorf("status %d", resp.StatusCode)
							return
						}
						latencies[c] = append(latencies[c], time.Since(t0))
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			all := slices.Sorted(slices.Values(slices.Concat(latencies...)))
			if len(all) == 0 {
				return
			}
			b.ReportMetric(float64(len(all))/elapsed.Seconds(), "inv/s")
			b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkSlowClients holds 2000 HTTP-trigger requests whose bodies never
// finish arriving against the built server (the custom runtime's build),
// and reports its peak resident memory. Run it without -race, which
// multiplies memory: go test -run '^$' -bench SlowClients ./handler/fcserver/
func BenchmarkSlowClients(b *testing.B) {
	const clients = 2000
	s := startServer(b, nil)
	addr := strings.TrimPrefix(s.URL, "http://")
	for i := range clients {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /standby HTTP/1.1\r\nHost: fc\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n"+
			"x-fc-request-id: slow-%d\r\nx-fc-function-timeout: 600\r\n\r\n{\"InstanceIds\":", i)
	}
	for deadline := time.Now().Add(time.Minute); strings.Count(s.Logs.String(), "FC Invoke Start RequestId: slow-") < clients; {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d requests reached the server", strings.Count(s.Logs.String(), "FC Invoke Start RequestId: slow-"), clients)
		}
		time.Sleep(50 * time.Millisecond) // polling a count of log lines; nothing else to wait on
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.Cmd.Process.Pid))
	if err != nil {
		b.Fatalf("no /proc here: %v", err)
	}
	for _, field := range []string{"VmHWM", "VmRSS"} {
		m := regexp.MustCompile(field + `:\s+(\d+) kB`).FindSubmatch(status)
		if m == nil {
			b.Fatalf("no %s in /proc/pid/status", field)
		}
		kib, _ := strconv.Atoi(string(m[1]))
		b.ReportMetric(float64(kib)/1024, field+"-MiB")
	}
}

// BenchmarkConcurrentInvocations sends 2000 invocations at once to the
// built server, each on its own connection, each putting its own instance
// into Standby, and reports the server's peak resident memory and the
// connections it opened to Auto Scaling (at most MAX_CONCURRENT_CALLS).
// Run it without -race.
func BenchmarkConcurrentInvocations(b *testing.B) {
	const n = 2000
	g := essemu.Group{ID: "asg-bp1many00000000001", Region: essemu.SampleRegion}
	for i := range n {
		g.Instances = append(g.Instances, essemu.Instance{ID: fmt.Sprintf("i-bp1many%06d", i), LifecycleState: essemu.InService})
	}
	s := startServer(b, nil, g)
	caller := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}}
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range n {
		wg.Go(func() {
			r := invokeRequest(b, s.URL, fmt.Sprint("many-", i), fmt.Sprintf(`{"ScalingGroupId":%q,"InstanceIds":["i-bp1many%06d"]}`, g.ID, i))
			r.Header.Set("x-fc-function-timeout", "120")
			resp, err := caller.Do(r)
			if err != nil {
				failed.Add(1)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.Cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(status)
	kib, _ := strconv.Atoi(string(m[1]))
	b.ReportMetric(float64(kib)/1024, "VmHWM-MiB")
	b.ReportMetric(float64(s.Emu.NewConnections()), "ESS-conns")
	b.ReportMetric(float64(s.Emu.MostAtOnce()), "ESS-calls-at-once")
	b.ReportMetric(float64(failed.Load()), "failed")
}
