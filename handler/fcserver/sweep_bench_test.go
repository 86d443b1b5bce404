package fcserver_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"ess-standby/handler/essemu"
)

// BenchmarkSweep drives the built server (the custom runtime's build) with
// the lease-sweep timer's request over a group of 1,000 instances in
// Standby, 300 of whose leases ended, with LEASE_END=exit and s.yaml's
// guards and MAX_INSTANCES, against the emulator answering every call 50 ms
// late. Each iteration sweeps a fresh fleet until every ended lease is
// taken back (at most 3 sweeps, the target), and reports the sweeps it
// took, the instances returned, the Auto Scaling and ECS calls, and the
// time of each sweep. Run it without -race:
//
//	go test -run '^$' -bench Sweep -benchtime 3x ./handler/fcserver/
func BenchmarkSweep(b *testing.B) {
	const size, ended = 1000, 300
	var sweeps, returned, essCalls, ecsCalls int
	var took time.Duration
	for b.Loop() {
		b.StopTimer()
		now := time.Now().UTC()
		g := essemu.Group{ID: "asg-bp1sweep", Region: essemu.SampleRegion}
		for i := range size {
			since, until := now.Add(-time.Hour), now.Add(23*time.Hour)
			if i < ended {
				since, until = now.Add(-48*time.Hour), now.Add(-24*time.Hour)
			}
			g.Instances = append(g.Instances, essemu.Instance{ID: fmt.Sprintf("i-bp1sweep%04d", i), LifecycleState: essemu.Standby,
				Tags: map[string]string{"ess-standby:source": "cms-alarm-callback", "ess-standby:rule": "rule-mem",
					"ess-standby:since": since.Format(time.RFC3339), "ess-standby:until": until.Format(time.RFC3339)}})
		}
		s := startServer(b, []string{"LEASE_END=exit", "MIN_IN_SERVICE=50%", "MAX_STANDBY=25%", "MAX_INSTANCES=20"}, g)
		s.Emu.Inject(essemu.Fault{Action: "*", Delay: 50 * time.Millisecond})
		b.StartTimer()
		sweeps, returned = 0, 0
		for sweeps < 3 && returned < ended {
			sweeps++
			start := time.Now()
			resp, body := do(b, s, invokeRequest(b, s.URL, fmt.Sprint("sweep-", sweeps), `{"Action":"Sweep"}`))
			took += time.Since(start)
			var answer struct {
				Sweep struct{ Instances []struct{ Result string } }
			}
			if err := json.Unmarshal(body, &answer); err != nil {
				b.Fatalf("sweep %d answered %d %s", sweeps, resp.StatusCode, body)
			}
			for _, l := range answer.Sweep.Instances {
				if l.Result == "Returned" {
					returned++
				}
			}
		}
		b.StopTimer()
		if returned != ended || s.Emu.InState(essemu.InService) != ended {
			b.Errorf("%d sweeps returned %d of %d ended leases; %d InService", sweeps, returned, ended, s.Emu.InState(essemu.InService))
		}
		essCalls, ecsCalls = 0, 0
		for _, c := range s.Emu.Calls() {
			switch c.Action {
			case "ListTagResources", "TagResources", "UntagResources":
				ecsCalls++
			default:
				essCalls++
			}
		}
		s.Cmd.Process.Kill()
		s.Cmd.Wait()
		b.StartTimer()
	}
	b.ReportMetric(float64(sweeps), "sweeps")
	b.ReportMetric(float64(returned), "returned")
	b.ReportMetric(float64(essCalls), "ESS-calls")
	b.ReportMetric(float64(ecsCalls), "ECS-calls")
	b.ReportMetric(float64(took.Milliseconds())/float64(b.N*sweeps), "ms/sweep")
}
