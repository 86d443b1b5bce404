//go:build !fcgo1 && !fccustom

package modes_test

import (
	"bytes"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"ess-standby/handler/essemu"
	"ess-standby/handler/internal/fctest"
)

// The drill, as an operator runs it after s deploy: the built binary
// schedules a simulated maintenance for a canary (the emulator checks the
// call's signature, as ECS would), the notice reaches the deployed
// function (the built server, as EventBridge delivers it), and the drill
// watches Auto Scaling until the canary is in Standby, then says how long
// it took and how to take it back.
func TestTheDrillWatchesTheCanaryIntoStandby(t *testing.T) {
	const canary = "i-bp1ecr7go2go9kq3m1b"
	f := fctest.Start(t, binary, fctest.Custom, nil, "MAX_EVENT_AGE=0")
	drill := startDrill(t, f, nil, "--instance", canary)
	ev := drill.deliverNotice(t, f, "drill-notice")
	if ev.InstanceID != canary || ev.EventType != "SystemMaintenance.Reboot" || !ev.NotBefore.After(ev.Published) {
		t.Errorf("scheduled %+v", ev)
	}
	err := drill.Wait()
	if in, _ := f.Emu.Instance(canary); err != nil || in.LifecycleState != essemu.Standby || !strings.Contains(drill.out.String(), "is in Standby") || !strings.Contains(drill.out.String(), `"Action":"ExitStandby"`) {
		t.Errorf("drill: %v; the canary is %s\n%s%s", err, in.LifecycleState, drill.out.String(), drill.errOut.String())
	}
	// What the drill prints to search the log with finds the function's line.
	if sim := f.Emu.Simulated(); len(sim) != 1 || !strings.Contains(f.Logs.String(), sim[0].EventID) {
		t.Errorf("the function's log names no simulated event %v:\n%s", sim, f.Logs)
	}
	for _, c := range f.Emu.Calls() {
		if c.Action == "CreateSimulatedSystemEvents" && (!c.SignatureOK || c.Status != 200) {
			t.Errorf("the drill's call: %+v", c)
		}
	}
	f.Stop(t)
}

// Under dry run, the drill reads the function's decision from its log: the
// built drill schedules the event, the built server (DRY_RUN=true) answers
// its notice, FC ships the server's output to Log Service (the emulator's,
// on loopback, the project in the Host), and the
// drill finds the line that says the function would park the canary, while
// the canary stays InService.
func TestTheDrillReadsTheDecisionUnderDryRun(t *testing.T) {
	const canary, project = "i-bp1ecr7go2go9kq3m1b", "serverless-cn-hangzhou-5c1e0f4a"
	f := fctest.Start(t, binary, fctest.Custom, nil, "MAX_EVENT_AGE=0", "DRY_RUN=true")
	f.Emu.ShipLogs(project, "default-logs", "ess-standby", "FC Invoke Start RequestId: r-0\n")
	// A proxy that answers nothing: loopback calls never go through it.
	drill := startDrill(t, f, []string{"LOG_ENDPOINT=" + f.Emu.URL, "HTTP_PROXY=http://127.0.0.1:1"}, "--instance", canary, "--dry-run", "--log-project", project)
	drill.deliverNotice(t, f, "drill-dry-run")
	if _, err := f.Logs.Await(regexp.MustCompile(`"request_id":"drill-dry-run"`), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	f.Emu.ShipLogs(project, "default-logs", "ess-standby", f.Logs.String()) // as FC ships the function's output
	err := drill.Wait()
	if in, _ := f.Emu.Instance(canary); err != nil || in.LifecycleState != essemu.InService || !strings.Contains(drill.out.String(), "would have parked "+canary) ||
		!strings.Contains(drill.out.String(), "request drill-dry-run") {
		t.Errorf("drill: %v; the canary is %s\n%s%s", err, in.LifecycleState, drill.out.String(), drill.errOut.String())
	}
	reads := 0
	for _, c := range f.Emu.Calls() {
		if c.Action == "GetLogStoreLogs" {
			reads++
			if !c.SignatureOK || c.Status != 200 || c.SecurityToken != fctest.Key.Token {
				t.Errorf("the drill's read of the log: %+v", c)
			}
		}
	}
	if reads == 0 {
		t.Error("the drill never read the log")
	}
	f.Stop(t)
}

// startDrill starts the built drill against f's emulator, as the operator
// fctest.Key, with env besides, polling every 20 ms for at most 30 s; the
// emulator tells the test of the simulated event it schedules.
func startDrill(t *testing.T, f *fctest.Function, env []string, args ...string) *drillRun {
	t.Helper()
	d := &drillRun{notices: make(chan essemu.SimulatedEvent, 1)}
	f.Emu.OnSimulated(func(ev essemu.SimulatedEvent) { d.notices <- ev })
	drill := exec.Command(binary, append([]string{"drill", "--region", essemu.SampleRegion, "--poll", "20ms", "--timeout", "30s"}, args...)...)
	drill.Env = append([]string{"ESS_ENDPOINT=" + f.Emu.URL, "ECS_ENDPOINT=" + f.Emu.URL, "ECI_ENDPOINT=" + f.Emu.URL,
		"ALIBABA_CLOUD_ACCESS_KEY_ID=" + fctest.Key.ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + fctest.Key.Secret, "ALIBABA_CLOUD_SECURITY_TOKEN=" + fctest.Key.Token}, env...)
	drill.Stdout, drill.Stderr = io.MultiWriter(&d.out, fctest.Logs()), io.MultiWriter(&d.errOut, fctest.Logs())
	if err := drill.Start(); err != nil {
		t.Fatal(err)
	}
	d.Cmd = drill
	return d
}

// drillRun is a drill being run: the process, what it printed, and the
// simulated events the emulator scheduled for it.
type drillRun struct {
	*exec.Cmd
	out, errOut bytes.Buffer
	notices     chan essemu.SimulatedEvent
}

// deliverNotice waits for the drill's simulated event, and delivers its
// notice to the function, as EventBridge would.
func (d *drillRun) deliverNotice(t *testing.T, f *fctest.Function, requestID string) essemu.SimulatedEvent {
	t.Helper()
	select {
	case ev := <-d.notices:
		if got := f.Invoke(t, fctest.Invocation{RequestID: requestID, Payload: ev.CloudEvent()}, fctest.Key); got.Code != "" {
			t.Errorf("the function answered the notice %s", got.Body)
		}
		return ev
	case <-time.After(30 * time.Second):
		t.Fatalf("no simulated event was scheduled:\n%s%s", d.out.String(), d.errOut.String())
	}
	return essemu.SimulatedEvent{}
}

// A drill whose notice never arrives (the wiring is broken) gives up at its
// timeout, fails, and says where to look; so does one under --dry-run
// whose log holds no decision on its event, and one told a log project
// that does not exist fails at once. --dry-run without a log project is a
// usage error: the drill would have nothing to watch.
func TestADrillWithoutWiringFails(t *testing.T) {
	key := essemu.Key{ID: "LTAI5tCliOperatorKey01", Secret: fctest.Secret("cli-secret-value")}
	emu := essemu.NewServer([]essemu.Key{key}, essemu.SampleFleet()...)
	defer emu.Close()
	env := []string{"ESS_ENDPOINT=" + emu.URL, "ECS_ENDPOINT=" + emu.URL, "ECI_ENDPOINT=" + emu.URL, "ALIBABA_CLOUD_ACCESS_KEY_ID=" + key.ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + key.Secret}
	code, out, errOut := run(t, env, "", "drill", "--instance", "i-bp1ecr7go2go9kq3m1c", "--region", "cn-hangzhou", "--poll", "20ms", "--timeout", "1200ms")
	if code != 1 || !strings.Contains(errOut, "not in Standby") || !strings.Contains(errOut, "s logs --search 'e-sim") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	emu.ShipLogs("p-ess", "default-logs", "ess-standby", `{"msg":"invocation","rule":"SystemMaintenance.Reboot/e-other"}`)
	env = append(env, "LOG_ENDPOINT="+emu.URL)
	code, out, errOut = run(t, env, "", "drill", "--instance", "i-bp1ecr7go2go9kq3m1c", "--region", "cn-hangzhou", "--dry-run", "--log-project", "p-ess", "--poll", "20ms", "--timeout", "1200ms")
	if code != 1 || !strings.Contains(errOut, "logged no decision on e-sim") || len(emu.Simulated()) != 2 {
		t.Errorf("--dry-run: exit %d, %d events\n%s%s", code, len(emu.Simulated()), out, errOut)
	}
	code, out, errOut = run(t, env, "", "drill", "--instance", "i-bp1ecr7go2go9kq3m1c", "--region", "cn-hangzhou", "--dry-run", "--log-project", "p-none", "--poll", "20ms", "--timeout", "1200ms")
	if code != 1 || !strings.Contains(errOut, "ProjectNotExist") || !strings.Contains(errOut, "s info names them") {
		t.Errorf("--dry-run, no such project: exit %d\n%s%s", code, out, errOut)
	}
	for _, args := range [][]string{{"drill"}, {"drill", "--instance", "i-bp1ecr7go2go9kq3m1f", "--region", "cn-hangzhou"}, {"drill", "--instance", "i-bp1ecr7go2go9kq3m1c", "--region", "cn-hangzhou", "--dry-run"},
		{"drill", "--instance", "i-bp1ecr7go2go9kq3m1c", "--region", "cn-hangzhou", "--log-project", "p-ess", "--function", `a" or "b`},
		{"drill", "--instance", "i-bp1ecr7go2go9kq3m1c", "--region", "cn-hangzhou", "--poll", "0s"}} {
		if code, out, errOut := run(t, env, "", args...); code == 0 {
			t.Errorf("%v: exit 0 (a canary not InService, or none)\n%s%s", args, out, errOut)
		}
	}
}
