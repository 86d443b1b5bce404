package fcserver_test

import (
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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
