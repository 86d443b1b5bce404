package fcgo_test

import (
	"context"
	"encoding/json"
	"io"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"ess-standby/handler/essemu"
	"ess-standby/handler/fctest"
	"ess-standby/handler/samples"
)

// binary is the real ess-standby, built once by TestMain.
var binary string

func TestMain(m *testing.M) { fctest.Main(m, &binary, fctest.Go1Tag) }

var key = essemu.Key{ID: fctest.Secret("STS.NE2eAccessKeyId777"), Secret: fctest.Secret("e2e-Secret+with/chars="), Token: fctest.Secret("CAIS-e2e-token+with/chars=0123456789")}

// function is a running binary in the go1 runtime, with its emulators.
type function struct {
	fc   *fctest.Server
	emu  *essemu.Server
	logs *fctest.Output
	cmd  *exec.Cmd
}

func startFunction(t *testing.T, env ...string) *function {
	t.Helper()
	return startFunctionWith(t, essemu.SampleFleet(), env...)
}

// startFunctionWith runs the function with settings env, in front of an
// emulator holding groups.
func startFunctionWith(t *testing.T, groups []essemu.Group, env ...string) *function {
	t.Helper()
	fc, err := fctest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	f := &function{fc: fc, emu: essemu.NewServer([]essemu.Key{key}, groups...), logs: &fctest.Output{}}
	f.cmd = exec.Command(binary)
	f.cmd.Env = append([]string{"FC_RUNTIME_API=" + fc.Addr, "ESS_ENDPOINT=" + f.emu.URL, "FC_REGION=" + essemu.SampleRegion, samples.MaxEventAgeSetting()}, env...)
	f.cmd.Stdout = io.MultiWriter(f.logs, fctest.Logs())
	f.cmd.Stderr = f.cmd.Stdout
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.cmd.Process.Kill()
		f.cmd.Wait()
		f.fc.Close() // only once the function is gone: its SDK spins on a closed runtime API
		f.emu.Close()
	})
	return f
}

// invoke sends one invocation with the role's credentials and returns the
// answer as the caller of InvokeFunction (or the HTTP trigger) sees it.
func (f *function) invoke(t *testing.T, requestID string, payload []byte, creds essemu.Key) samples.Response {
	t.Helper()
	return f.invokeAs(t, fctest.Invocation{RequestID: requestID, Payload: payload, Timeout: 15 * time.Second}, creds)
}

// invokeAs sends inv, in the sample region, with creds.
func (f *function) invokeAs(t *testing.T, inv fctest.Invocation, creds essemu.Key) samples.Response {
	t.Helper()
	requestID := inv.RequestID
	ctx, cancel := context.WithTimeout(context.Background(), inv.Timeout+5*time.Second)
	defer cancel()
	inv.Region, inv.AccessKeyID, inv.AccessKeySecret, inv.SecurityToken = essemu.SampleRegion, creds.ID, creds.Secret, creds.Token
	res, err := f.fc.Invoke(ctx, inv)
	if err != nil {
		t.Fatalf("invoke %s: %v\nfunction output:\n%s", requestID, err, f.logs)
	}
	if !res.OK {
		msg, code := fctest.ErrorMessage(res.Body)
		if !strings.HasPrefix(msg, code+": ") {
			t.Errorf("failed invocation says %q of type %q; want a message starting with the code", msg, code)
		}
		body, _ := json.Marshal(map[string]string{"Code": code, "Message": strings.TrimPrefix(msg, code+": ")})
		return samples.Response{Code: code, Body: body}
	}
	var httpResp struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Body       string            `json:"body"`
	}
	if json.Unmarshal(res.Body, &httpResp) == nil && httpResp.StatusCode != 0 {
		if httpResp.Headers["Content-Type"] != "application/json" {
			t.Errorf("HTTP answer headers %v, want JSON", httpResp.Headers)
		}
		return samples.Response{HTTP: true, Status: httpResp.StatusCode, Body: []byte(httpResp.Body)}
	}
	return samples.Response{Status: 200, Body: res.Body}
}

// The acceptance test of the go1 runtime: the built binary, started by FC's
// runtime API, answers every file in events/ as package samples says, with
// exactly the expected calls, signed with the invocation's STS credentials.
func TestEverySampleThroughTheGo1Runtime(t *testing.T) {
	f := startFunction(t)
	var ids []string
	for _, sample := range samples.All(t) {
		t.Run(sample.Name, func(t *testing.T) {
			f.emu.Reset()
			id := "e2e-" + strings.TrimSuffix(sample.Name, ".json")
			ids = append(ids, id)
			for _, diff := range sample.Expect.Check(f.invoke(t, id, sample.Payload, key), f.emu, key) {
				t.Error(diff)
			}
		})
	}
	checkLogs(t, f, ids)
}

func TestFailuresThroughTheGo1Runtime(t *testing.T) {
	f := startFunction(t)
	payload := []byte(`{"ScalingGroupId":"asg-bp1fo0dbtsbmqa9h5dl3","InstanceIds":["i-bp1ecr7go2go9kq3m1a"]}`)
	tests := []struct {
		name      string
		creds     essemu.Key
		inject    func()
		wantCode  string // empty: the invocation succeeds
		wantCalls int
	}{
		{"no role attached", essemu.Key{}, nil, "MissingCredentials", 0},
		{"wrong secret", essemu.Key{ID: key.ID, Secret: "not-the-secret", Token: key.Token}, nil, "SignatureDoesNotMatch", 1},
		{"RAM says no: final, never retried", key, func() { f.emu.Fail("EnterStandby", 1, 403, "Forbidden.Unauthorized", "no") }, "Forbidden.Unauthorized", 2},
		// Read again: still InService, so the refusal stands.
		{"instance busy: final", key, func() { f.emu.Fail("EnterStandby", 1, 400, "IncorrectInstanceStatus", "busy") }, "IncorrectInstanceStatus", 3},
		{"throttled once, then through", key, func() {
			f.emu.Fail("EnterStandby", 1, 400, "Throttling", "Request was denied due to request throttling.")
		}, "", 3},
	}
	var ids []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.emu.Reset()
			if tt.inject != nil {
				tt.inject()
			}
			id := "e2e-fail-" + strings.ReplaceAll(strings.Fields(tt.name)[0]+"-"+strings.Fields(tt.name)[1], ":", "")
			ids = append(ids, id)
			got := f.invoke(t, id, payload, tt.creds)
			if got.Code != tt.wantCode {
				t.Errorf("answer %s, want code %q", got.Body, tt.wantCode)
			}
			if n := len(f.emu.Calls()); n != tt.wantCalls {
				t.Errorf("%d calls reached Auto Scaling, want %d", n, tt.wantCalls)
			}
			want := essemu.InService
			if tt.wantCode == "" {
				want = essemu.Standby
			}
			if in, _ := f.emu.Instance("i-bp1ecr7go2go9kq3m1a"); in.LifecycleState != want {
				t.Errorf("the instance is %s, want %s", in.LifecycleState, want)
			}
		})
	}
	checkLogs(t, f, ids)
}

// checkLogs stops the function, then reads everything it printed: one JSON
// line per invocation, and never a credential, in any encoding.
func checkLogs(t *testing.T, f *function, requestIDs []string) {
	t.Helper()
	f.cmd.Process.Kill()
	f.cmd.Wait()
	out := f.logs.String()
	for _, secret := range []string{key.Secret, key.Token, url.QueryEscape(key.Token), url.QueryEscape(key.Secret), key.ID, "not-the-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("the function's output contains the credential %q", secret)
		}
	}
	var seen []string
	for line := range strings.Lines(out) {
		var entry struct {
			Msg       string `json:"msg"`
			RequestID string `json:"request_id"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "invocation" {
			seen = append(seen, entry.RequestID)
		}
	}
	slices.Sort(seen)
	slices.Sort(requestIDs)
	if !slices.Equal(seen, requestIDs) {
		t.Errorf("invocation log lines for %v, want one for each of %v", seen, requestIDs)
	}
}

// Under the go1 runtime FC's SIGTERM ends the function at once: nothing
// may catch it and keep the process waiting for SIGKILL.
func TestSIGTERMEndsTheGo1Runtime(t *testing.T) {
	f := startFunction(t)
	f.invoke(t, "before-sigterm", []byte(`{"InstanceIds":["i-bp1ecr7go2go9kq3m1a"],"DryRun":true}`), key)
	if err := f.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- f.cmd.Wait() }()
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
	if out, err := exec.Command(binary, "help").CombinedOutput(); err != nil || !strings.Contains(string(out), "main local") {
		t.Errorf("help: %v\n%s", err, out)
	}
}
