package fcgo_test

import (
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"ess-standby/handler/essemu"
	"ess-standby/handler/internal/fctest"
)

// program is a function measured side by side with the others.
type program struct {
	name, pkg string
	tags      string // as s.yaml builds it
	calls     int    // Auto Scaling calls one invocation makes
	path      string
	size      int64
	cold      []time.Duration
	cpuPerOp  time.Duration // per invocation
	conns     int           // new connections over the warm invocations
	rss       int           // peak RSS after the warm invocations, KiB
}

const (
	coldStarts = 60
	warmCalls  = 1000
)

var standbyEvent = []byte(`{"ScalingGroupId":"asg-bp1fo0dbtsbmqa9h5dl3","InstanceIds":["i-bp1ecr7go2go9kq3m1a"]}`)

// BenchmarkFunctions measures ess-standby next to its two floors, built the
// same way in the same run (stripped, static, as s.yaml builds it: the go1
// function with -tags fcgo1, server mode without) and run
// under the FC runtime API emulator against the Auto Scaling emulator over
// HTTPS: hello, an fc.Start function that answers at once, and bare-sdk,
// the function most people would write (a new SDK client per invocation,
// one EnterStandby). It runs once, whatever -benchtime says, and logs a
// table; `go test -run '^$' -bench Functions ./handler/fcgo/` runs it alone.
func BenchmarkFunctions(b *testing.B) {
	dir := b.TempDir()
	programs := []*program{
		{name: "hello", pkg: "ess-standby/handler/internal/fctest/testdata/hello"},
		{name: "bare-sdk", pkg: "ess-standby/handler/ess/testdata/baresdk", calls: 1},
		{name: "ess-standby", pkg: "ess-standby", tags: fctest.Go1Tag, calls: 3}, // the read, the call, its tags
	}
	// Server mode is measured on the build s.yaml makes for the custom runtime.
	server := &program{name: "ess-standby-serve", pkg: "ess-standby", tags: fctest.CustomTag}
	for _, p := range append(programs, server) {
		p.path = filepath.Join(dir, p.name)
		build := exec.Command("go", "build", "-tags="+p.tags, "-trimpath", "-ldflags=-s -w", "-o", p.path, p.pkg)
		build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		if out, err := build.CombinedOutput(); err != nil {
			b.Fatalf("building %s: %v\n%s", p.name, err, out)
		}
		st, err := os.Stat(p.path)
		if err != nil {
			b.Fatal(err)
		}
		p.size = st.Size()
	}

	emu := essemu.NewTLSServer([]essemu.Key{fctest.Key}, essemu.SampleFleet()...)
	defer emu.Close()
	certFile := filepath.Join(dir, "emulator.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: emu.Certificate().Raw}), 0o644); err != nil {
		b.Fatal(err)
	}
	env := []string{"ESS_ENDPOINT=" + emu.URL, "ECS_ENDPOINT=" + emu.URL, "ECI_ENDPOINT=" + emu.URL, "FC_REGION=" + essemu.SampleRegion, "SSL_CERT_FILE=" + certFile}

	b.ResetTimer()
	for round := range coldStarts {
		for i := range programs { // a different one first each round
			p := programs[(round+i)%len(programs)]
			emu.Reset()
			run := start(b, p, env)
			t0 := run.started
			run.invoke(b, "cold", standbyEvent)
			p.cold = append(p.cold, time.Since(t0))
			run.stop()
		}
	}
	for _, p := range programs {
		emu.Reset()
		run := start(b, p, env)
		run.invoke(b, "warm-up", standbyEvent)
		cpu0, conns0 := run.cpu(b), emu.NewConnections()
		for i := range warmCalls {
			emu.Reset()
			run.invoke(b, fmt.Sprint("warm-", i), standbyEvent)
		}
		p.cpuPerOp = (run.cpu(b) - cpu0) / warmCalls
		p.conns = emu.NewConnections() - conns0
		p.rss = run.peakRSS(b)
		run.stop()
	}
	serveRSS, serveErrors := serveUnderLoad(b, server.path, env)
	b.StopTimer()

	hello, bare, ours := programs[0], programs[1], programs[2]
	median := func(p *program) time.Duration { return slices.Sorted(slices.Values(p.cold))[len(p.cold)/2] }
	perCall := func(p *program) time.Duration { return p.cpuPerOp / time.Duration(max(p.calls, 1)) }
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-12s %12s %14s %16s %14s %16s %12s\n", "function", "cold start", "CPU/invocation", "CPU/ESS call", "new conns", "peak RSS (1000)", "binary")
	for _, p := range programs {
		fmt.Fprintf(&table, "%-12s %10.1fms %12.0fµs %14.0fµs %10d/%d %13.1fMiB %10.2fMB\n", p.name, ms(median(p)), us(p.cpuPerOp), us(perCall(p)),
			p.conns, warmCalls, float64(p.rss)/1024, float64(p.size)/1e6)
	}
	fmt.Fprintf(&table, "ratios, ess-standby to bare-sdk: cold start %.2f (target <= 1.15), CPU per ESS call %.2f (<= 0.75), binary %.2f (<= 1.10)\n",
		ratio(median(ours), median(bare)), ratio(perCall(ours), perCall(bare)), float64(ours.size)/float64(bare.size))
	fmt.Fprintf(&table, "ratios, ess-standby to hello: cold start %.2f, peak RSS %.2f (<= 1.3)\n", ratio(median(ours), median(hello)), float64(ours.rss)/float64(hello.rss))
	fmt.Fprintf(&table, "server mode (the custom runtime's build, all modes, %.2f MB), 200 concurrent callers x 5 invocations: peak RSS %.1f MiB (target < 40), %d errors\n",
		float64(server.size)/1e6, float64(serveRSS)/1024, serveErrors)
	b.Log(table.String())

	b.ReportMetric(ms(median(ours)), "cold-ms")
	b.ReportMetric(ratio(median(ours), median(bare)), "cold/bare")
	b.ReportMetric(ratio(perCall(ours), perCall(bare)), "cpu-per-call/bare")
	b.ReportMetric(float64(ours.size)/float64(bare.size), "size/bare")
	b.ReportMetric(float64(ours.rss)/float64(hello.rss), "rss/hello")
	b.ReportMetric(float64(serveRSS)/1024, "serve-rss-MiB")
	if serveErrors > 0 {
		b.Errorf("%d invocations failed in server mode", serveErrors)
	}
}

func ms(d time.Duration) float64       { return float64(d.Microseconds()) / 1000 }
func us(d time.Duration) float64       { return float64(d.Nanoseconds()) / 1000 }
func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

func procFile(pid int, name string) string { return fmt.Sprintf("/proc/%d/%s", pid, name) }

// running is one started function process, with its own runtime API: a
// killed process's pending poll must not take the next one's invocation.
type running struct {
	cmd     *exec.Cmd
	fc      *fctest.Server
	started time.Time
}

func start(b testing.TB, p *program, env []string) *running {
	b.Helper()
	fc, err := fctest.NewServer()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(p.path)
	cmd.Env = append([]string{"FC_RUNTIME_API=" + fc.Addr}, env...)
	r := &running{cmd: cmd, fc: fc, started: time.Now()}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	return r
}

func (r *running) stop() {
	r.cmd.Process.Kill()
	r.cmd.Wait()
	if r.fc != nil {
		r.fc.Close()
	}
}

func (r *running) invoke(b testing.TB, id string, payload []byte) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := r.fc.Invoke(ctx, fctest.Invocation{RequestID: id + "-" + strconv.Itoa(r.cmd.Process.Pid), Payload: payload, Region: essemu.SampleRegion,
		AccessKeyID: fctest.Key.ID, AccessKeySecret: fctest.Key.Secret, SecurityToken: fctest.Key.Token})
	if err != nil || !res.OK {
		b.Fatalf("%s: %v %s", r.cmd.Path, err, res.Body)
	}
}

// cpu is the process's user and system time so far.
func (r *running) cpu(b testing.TB) time.Duration {
	b.Helper()
	stat, err := os.ReadFile(procFile(r.cmd.Process.Pid, "stat"))
	if err != nil {
		b.Fatal(err)
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	utime, _ := strconv.Atoi(fields[11])
	stime, _ := strconv.Atoi(fields[12])
	return time.Duration(utime+stime) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

var hwm = regexp.MustCompile(`VmHWM:\s+(\d+) kB`)

func (r *running) peakRSS(b *testing.B) int {
	b.Helper()
	status, err := os.ReadFile(procFile(r.cmd.Process.Pid, "status"))
	m := hwm.FindSubmatch(status)
	if err != nil || m == nil {
		b.Fatalf("no VmHWM: %v", err)
	}
	kib, _ := strconv.Atoi(string(m[1]))
	return kib
}

// serveUnderLoad runs the binary in server mode and sends it 200
// concurrent callers of 5 invocations each; it returns the peak RSS.
func serveUnderLoad(b *testing.B, binary string, env []string) (rssKiB, errors int) {
	fleet := essemu.Group{ID: "asg-bp1bulk000000000001", Region: essemu.SampleRegion}
	for i := range 200 {
		fleet.Instances = append(fleet.Instances, essemu.Instance{ID: fmt.Sprintf("i-bp1bulk%06d", i), LifecycleState: essemu.InService})
	}
	emu := essemu.NewServer([]essemu.Key{fctest.Key}, fleet)
	defer emu.Close()
	out := &fctest.Output{}
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(slices.Clone(env), "FC_CUSTOM_LISTEN_PORT=0", "ESS_ENDPOINT="+emu.URL, "ECS_ENDPOINT="+emu.URL, "ECI_ENDPOINT="+emu.URL)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	r := &running{cmd: cmd}
	defer r.stop()
	m, err := out.Await(regexp.MustCompile(`"msg":"listening",.*"addr":"[^"]*:(\d+)"`), 30*time.Second)
	if err != nil {
		b.Fatalf("%v\n%s", err, out)
	}
	base := "http://127.0.0.1:" + m[1]
	var mu sync.Mutex
	var wg sync.WaitGroup
	client := newCaller(200)
	for c := range 200 {
		wg.Go(func() {
			for n := range 5 {
				action := []string{"EnterStandby", "ExitStandby"}[n%2]
				body := fmt.Sprintf(`{"ScalingGroupId":%q,"InstanceIds":["i-bp1bulk%06d"],"Action":%q}`, fleet.ID, c, action)
				if !client.invoke(base, fmt.Sprintf("load-%d-%d", c, n), body) {
					mu.Lock()
					errors++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return r.peakRSS(b), errors
}

// caller sends event invocations to server mode, as FC's custom runtime does.
type caller struct{ http *http.Client }

func newCaller(conns int) caller {
	return caller{&http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns}, Timeout: 30 * time.Second}}
}

func (c caller) invoke(base, requestID, body string) bool {
	req, _ := http.NewRequest(http.MethodPost, base+"/invoke", strings.NewReader(body))
	for k, v := range map[string]string{"x-fc-request-id": requestID, "x-fc-region": essemu.SampleRegion, "x-fc-control-path": "/invoke",
		"x-fc-access-key-id": fctest.Key.ID, "x-fc-access-key-secret": fctest.Key.Secret, "x-fc-security-token": fctest.Key.Token, "x-fc-function-timeout": "30"} {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}
