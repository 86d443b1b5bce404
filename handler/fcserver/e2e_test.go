package fcserver_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ess-standby/handler/essemu"
	"ess-standby/handler/internal/fctest"
	"ess-standby/handler/internal/samples"
)

// binary is the real ess-standby, with bootstrap beside it, built by TestMain.
var binary string

func TestMain(m *testing.M) { fctest.Main(m, &binary, fctest.CustomTag) }

// The acceptance test of the custom runtime: ./bootstrap on a free port,
// through every scenario both runtimes share (every sample as POST
// /invoke, the failures, the storms).
func TestScenarios(t *testing.T) { fctest.Scenarios(t, binary, fctest.Custom) }

// startServer runs ./bootstrap with the settings env in front of an
// emulator holding groups (the sample fleet when there are none).
func startServer(t testing.TB, env []string, groups ...essemu.Group) *fctest.Function {
	t.Helper()
	return fctest.Start(t, binary, fctest.Custom, groups, env...)
}

// do sends r to s, and reads the answer.
func do(t testing.TB, s *fctest.Function, r *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := s.Client.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// The HTTP-trigger samples, sent as the real HTTP requests they record: FC's
// custom runtime passes them through unchanged.
func TestHTTPTriggerRequestsPassedThrough(t *testing.T) {
	s := startServer(t, nil)
	for _, sample := range samples.Match(t, "http-*.json") {
		name := sample.Name
		t.Run(name, func(t *testing.T) {
			var ev struct {
				Headers         map[string]string
				QueryParameters map[string]string
				Body            string
				IsBase64Encoded bool
				RequestContext  struct{ HTTP struct{ Method, Path string } }
			}
			if err := json.Unmarshal(sample.Payload, &ev); err != nil {
				t.Fatal(err)
			}
			body := []byte(ev.Body)
			if ev.IsBase64Encoded {
				body, _ = base64.StdEncoding.DecodeString(ev.Body)
			}
			r, _ := http.NewRequest(ev.RequestContext.HTTP.Method, s.URL+ev.RequestContext.HTTP.Path, bytes.NewReader(body))
			q := r.URL.Query()
			for k, v := range ev.QueryParameters {
				q.Set(k, v)
			}
			r.URL.RawQuery = q.Encode()
			for k, v := range ev.Headers {
				if k != "Content-Length" {
					r.Header.Set(k, v)
				}
			}
			for k, v := range map[string]string{"x-fc-request-id": "http-" + name, "x-fc-region": essemu.SampleRegion,
				"x-fc-access-key-id": key.ID, "x-fc-access-key-secret": key.Secret, "x-fc-security-token": key.Token} {
				r.Header.Set(k, v)
			}
			s.Emu.Reset()
			resp, answer := do(t, s, r)
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			got := samples.Response{HTTP: true, Status: resp.StatusCode, Body: answer}
			for _, diff := range sample.Expect.Check(got, s.Emu, key) {
				t.Error(diff)
			}
		})
	}
	s.Stop(t)
}

// 200 invocations at once against the built binary (itself built with -race
// under go test -race): all answered right, every instance moved once (by
// merged calls), then a clean, race-free exit.
func TestConcurrentInvocationsAgainstTheBinary(t *testing.T) {
	s := startServer(t, nil, bulkFleet())
	var wg sync.WaitGroup
	for i := range concurrent {
		wg.Go(func() {
			id := fmt.Sprintf("i-bp1bulk%06d", i)
			resp, body := do(t, s, invokeRequest(t, s.URL, fmt.Sprintf("bulk-%d", i), fmt.Sprintf(`{"InstanceIds":[%q]}`, id)))
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"InstanceIds":["`+id+`"]`) {
				t.Errorf("invocation %d: %d %s", i, resp.StatusCode, body)
			}
		})
	}
	wg.Wait()
	moved := 0
	for _, a := range s.Emu.Activities() {
		moved += len(a.InstanceIDs)
	}
	if moved != concurrent {
		t.Errorf("%d activities moved %d instances, want %d", len(s.Emu.Activities()), moved, concurrent)
	}
	s.Stop(t)
}

// SIGTERM while an invocation waits on Auto Scaling: the server stops
// taking requests but lets it finish, then exits 0.
func TestSIGTERMLetsInFlightInvocationsFinish(t *testing.T) {
	s := startServer(t, nil)
	arrived, release := s.Emu.Hold("EnterStandby")
	defer release()
	type result struct {
		status int
		body   []byte
	}
	done := make(chan result, 1)
	go func() {
		resp, err := s.Client.Do(invokeRequest(t, s.URL, "in-flight", `{"ScalingGroupId":"asg-bp1fo0dbtsbmqa9h5dl3","InstanceIds":["i-bp1ecr7go2go9kq3m1a"]}`))
		if err != nil {
			done <- result{body: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		done <- result{resp.StatusCode, body}
	}()
	<-arrived // the invocation is in flight, waiting on EnterStandby
	if err := s.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// A new connection is refused once the listener is closed; keep trying
	// until it is, which proves the server has begun shutting down.
	for deadline := time.Now().Add(10 * time.Second); ; {
		conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections 10s after SIGTERM")
		}
	}
	release()
	res := <-done
	if res.status != 200 || !strings.Contains(string(res.body), "ScalingActivityId") {
		t.Errorf("in-flight invocation answered %d %s, want 200 with its activity", res.status, res.body)
	}
	if err := s.Cmd.Wait(); err != nil {
		t.Errorf("server exit: %v\n%s", err, s.Logs)
	}
	if in, _ := s.Emu.Instance("i-bp1ecr7go2go9kq3m1a"); in.LifecycleState != essemu.Standby {
		t.Errorf("instance is %s after the drained invocation", in.LifecycleState)
	}
}

// A second SIGTERM stops the server at once, in-flight invocation or not;
// the first would have waited for it.
func TestASecondSIGTERMStopsAtOnce(t *testing.T) {
	s := startServer(t, nil)
	arrived, release := s.Emu.Hold("EnterStandby")
	defer release()
	go func() {
		if resp, err := s.Client.Do(invokeRequest(t, s.URL, "held", `{"ScalingGroupId":"asg-bp1fo0dbtsbmqa9h5dl3","InstanceIds":["i-bp1ecr7go2go9kq3m1a"]}`)); err == nil {
			resp.Body.Close()
		}
	}()
	<-arrived
	s.Cmd.Process.Signal(syscall.SIGTERM)
	if _, err := s.Logs.Await(regexp.MustCompile(`signal again to stop at once`), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	s.Cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- s.Cmd.Wait() }()
	select {
	case err := <-exited:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(s.Logs.String(), "invocations still in flight were cut off") {
			t.Errorf("exited with %v, want 1 and the cut-off invocation said:\n%s", err, s.Logs)
		}
	case <-time.After(30 * time.Second): // a bound on the test; the invocation is held for ever
		t.Fatal("the server did not stop at the second SIGTERM")
	}
}
