package fcgo_test

import (
	"context"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"ess-standby/handler/internal/fctest"
)

// binary is the real ess-standby, built once by TestMain.
var binary string

func TestMain(m *testing.M) { fctest.Main(m, &binary, fctest.Go1Tag) }

// The acceptance test of the go1 runtime: the built binary, started by
// FC's runtime API, through every scenario both runtimes share (every
// sample, the failures, the storms).
func TestScenarios(t *testing.T) { fctest.Scenarios(t, binary, fctest.Go1) }

// Under the go1 runtime FC's SIGTERM ends the function at once: nothing
// may catch it and keep the process waiting for SIGKILL.
func TestSIGTERMEndsTheGo1Runtime(t *testing.T) {
	f := fctest.Start(t, binary, fctest.Go1, nil)
	f.Invoke(t, fctest.Invocation{RequestID: "before-sigterm", Payload: []byte(`{"InstanceIds":["i-bp1ecr7go2go9kq3m1a"],"DryRun":true}`)}, fctest.Key)
	if err := f.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- f.Cmd.Wait() }()
	select {
	case err := <-exited:
		if status, ok := err.(*exec.ExitError); !ok || status.Exited() {
			t.Errorf("after SIGTERM: %v, want death by the signal", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the function was still running 10 s after SIGTERM")
	}
}

// The go1 build has only the runtime mode: the operator modes say so and
// fail, and help still works.
func TestGo1BuildHasOnlyTheRuntimeMode(t *testing.T) {
	for _, mode := range []string{"serve", "local", "invoke"} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a serve that starts must not hang the suite
		defer cancel()
		cmd := exec.CommandContext(ctx, binary, mode)
		cmd.Env = []string{"FC_CUSTOM_LISTEN_PORT=0"}
		out, err := cmd.CombinedOutput()
		exit, ok := err.(*exec.ExitError)
		if !ok || exit.ExitCode() != 2 || !strings.Contains(string(out), mode+" is not in this build") {
			t.Errorf("%s: %v\n%s", mode, err, out)
		}
	}
	if out, err := exec.Command(binary, "help").CombinedOutput(); err != nil || !strings.Contains(string(out), "ess-standby local") {
		t.Errorf("help: %v\n%s", err, out)
	}
}
