//go:build !fcgo1 && !fccustom

package modes_test

import (
	"bytes"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"ess-standby/handler/essemu"
	"ess-standby/handler/fctest"
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
	notices := make(chan essemu.SimulatedEvent, 1)
	f.Emu.OnSimulated(func(ev essemu.SimulatedEvent) { notices <- ev })
	drill := exec.Command(binary, "drill", "--instance", canary, "--region", essemu.SampleRegion, "--poll", "20ms", "--timeout", "30s")
	drill.Env = []string{"ESS_ENDPOINT=" + f.Emu.URL, "ECS_ENDPOINT=" + f.Emu.URL,
		"ALIBABA_CLOUD_ACCESS_KEY_ID=" + fctest.Key.ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + fctest.Key.Secret, "ALIBABA_CLOUD_SECURITY_TOKEN=" + fctest.Key.Token}
	var out, errOut bytes.Buffer
	drill.Stdout, drill.Stderr = io.MultiWriter(&out, fctest.Logs()), io.MultiWriter(&errOut, fctest.Logs())
	if err := drill.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-notices:
		if ev.InstanceID != canary || ev.EventType != "SystemMaintenance.Reboot" || !ev.NotBefore.After(ev.Published) {
			t.Errorf("scheduled %+v", ev)
		}
		if got := f.Invoke(t, fctest.Invocation{RequestID: "drill-notice", Payload: ev.CloudEvent()}, fctest.Key); got.Code != "" {
			t.Errorf("the function answered the notice %s", got.Body)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no simulated event was scheduled:\n%s%s", out.String(), errOut.String())
	}
	err := drill.Wait()
	if in, _ := f.Emu.Instance(canary); err != nil || in.LifecycleState != essemu.Standby || !strings.Contains(out.String(), "is in Standby") || !strings.Contains(out.String(), `"Action":"ExitStandby"`) {
		t.Errorf("drill: %v; the canary is %s\n%s%s", err, in.LifecycleState, out.String(), errOut.String())
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

// A drill whose notice never arrives (the wiring is broken) gives up at its
// timeout, fails, and says where to look; with --dry-run, a canary that
// stays InService until the timeout is what dry run should do, and the
// drill says where the function logs its decision.
func TestADrillWithoutWiringFails(t *testing.T) {
	key := essemu.Key{ID: "LTAI5tCliOperatorKey01", Secret: fctest.Secret("cli-secret-value")}
	emu := essemu.NewServer([]essemu.Key{key}, essemu.SampleFleet()...)
	defer emu.Close()
	env := []string{"ESS_ENDPOINT=" + emu.URL, "ECS_ENDPOINT=" + emu.URL, "ALIBABA_CLOUD_ACCESS_KEY_ID=" + key.ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + key.Secret}
	code, out, errOut := run(t, env, "", "drill", "--instance", "i-bp1ecr7go2go9kq3m1c", "--region", "cn-hangzhou", "--poll", "20ms", "--timeout", "1200ms")
	if code != 1 || !strings.Contains(errOut, "not in Standby") || !strings.Contains(errOut, "s logs --search 'e-sim") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, env, "", "drill", "--instance", "i-bp1ecr7go2go9kq3m1c", "--region", "cn-hangzhou", "--dry-run", "--poll", "20ms", "--timeout", "1200ms")
	if code != 0 || !strings.Contains(out, "stayed InService") || !strings.Contains(out, "s logs --search 'e-sim") || len(emu.Simulated()) != 2 {
		t.Errorf("--dry-run: exit %d, %d events\n%s%s", code, len(emu.Simulated()), out, errOut)
	}
	for _, args := range [][]string{{"drill"}, {"drill", "--instance", "i-bp1ecr7go2go9kq3m1f", "--region", "cn-hangzhou"}} {
		if code, out, errOut := run(t, env, "", args...); code == 0 {
			t.Errorf("%v: exit 0 (a canary not InService, or none)\n%s%s", args, out, errOut)
		}
	}
}
