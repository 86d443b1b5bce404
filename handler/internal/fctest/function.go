package fctest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"ess-standby/handler/essemu"
	"ess-standby/handler/internal/samples"
)

// Runtime is one of the two ways FC runs the built function.
type Runtime struct {
	Name string // go1 or custom
	Tag  string // the build tag its binary is built with
}

var (
	// Go1 is FC's built-in go1 runtime: the binary polls FC's runtime API.
	Go1 = Runtime{Name: "go1", Tag: Go1Tag}
	// Custom is FC's custom runtime: bootstrap starts server mode, and FC
	// sends each invocation as an HTTP request.
	Custom = Runtime{Name: "custom", Tag: CustomTag}
)

// Key is the role's STS credentials the suites' invocations bring; the
// emulator accepts them, and no log may show them.
var Key = essemu.Key{ID: Secret("STS.NE2eAccessKeyId777"), Secret: Secret("e2e-Secret+with/chars="), Token: Secret("CAIS-e2e-token+with/chars=0123456789")}

// Function is the built binary running as FC runs it, in front of an Auto
// Scaling emulator.
type Function struct {
	Runtime Runtime
	Emu     *essemu.Server
	Logs    *Output // everything the process printed
	Cmd     *exec.Cmd
	URL     string       // the custom runtime's server
	Client  *http.Client // to it, with a connection for each of 200 callers

	fc *Server // the go1 runtime's API
}

var listening = regexp.MustCompile(`"msg":"listening",.*"addr":"[^"]*:(\d+)"`)

// Start runs binary (built by Main for rt) with the settings env, in front
// of an emulator holding groups (the sample fleet when there are none). Its
// clock judges the samples as if it were their day (MAX_EVENT_AGE).
func Start(t testing.TB, binary string, rt Runtime, groups []essemu.Group, env ...string) *Function {
	t.Helper()
	if groups == nil {
		groups = essemu.SampleFleet()
	}
	f := &Function{Runtime: rt, Emu: essemu.NewServer([]essemu.Key{Key}, groups...), Logs: &Output{}}
	base := []string{"ESS_ENDPOINT=" + f.Emu.URL, "ECS_ENDPOINT=" + f.Emu.URL, "ECI_ENDPOINT=" + f.Emu.URL, "FC_REGION=" + essemu.SampleRegion, samples.MaxEventAgeSetting()}
	switch rt {
	case Go1:
		fc, err := NewServer()
		if err != nil {
			t.Fatal(err)
		}
		f.fc = fc
		f.Cmd = exec.Command(binary)
		base = append(base, "FC_RUNTIME_API="+fc.Addr)
	case Custom:
		f.Client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200}}
		f.Cmd = exec.Command(filepath.Join(filepath.Dir(binary), "bootstrap"))
		base = append(base, "PATH="+os.Getenv("PATH"), "FC_CUSTOM_LISTEN_PORT=0")
	}
	f.Cmd.Env = append(base, env...)
	f.Cmd.Stdout = io.MultiWriter(f.Logs, Logs())
	f.Cmd.Stderr = f.Cmd.Stdout
	if err := f.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.Cmd.Process.Kill()
		f.Cmd.Wait()
		if f.fc != nil {
			f.fc.Close() // only once the function is gone: its SDK spins on a closed runtime API
		}
		if f.Client != nil {
			f.Client.CloseIdleConnections()
		}
		f.Emu.Close()
	})
	if rt == Custom {
		m, err := f.Logs.Await(listening, 30*time.Second)
		if err != nil {
			t.Fatalf("%v:\n%s", err, f.Logs)
		}
		f.URL = "http://127.0.0.1:" + m[1]
	}
	return f
}

// Invoke delivers an event invocation as FC does in the function's runtime,
// in the sample region with creds, and returns what FC's caller receives.
// A zero inv.Timeout is 15 s.
func (f *Function) Invoke(t testing.TB, inv Invocation, creds essemu.Key) samples.Response {
	t.Helper()
	if inv.Timeout == 0 {
		inv.Timeout = 15 * time.Second
	}
	inv.Region, inv.AccessKeyID, inv.AccessKeySecret, inv.SecurityToken = essemu.SampleRegion, creds.ID, creds.Secret, creds.Token
	if f.Runtime == Custom {
		return f.post(t, inv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), inv.Timeout+5*time.Second)
	defer cancel()
	res, err := f.fc.Invoke(ctx, inv)
	if err != nil {
		t.Fatalf("invoke %s: %v\nfunction output:\n%s", inv.RequestID, err, f.Logs)
	}
	if !res.OK {
		msg, code := ErrorMessage(res.Body)
		if !strings.HasPrefix(msg, code+": ") {
			t.Errorf("failed invocation says %q of type %q; want a message starting with the code", msg, code)
		}
		body, _ := json.Marshal(map[string]string{"Code": code, "Message": strings.TrimPrefix(msg, code+": ")})
		return samples.Response{Code: code, Body: body}
	}
	return eventResponse(t, res.Body)
}

// post sends inv as FC's custom runtime does: POST /invoke, the invocation
// in x-fc-* headers.
func (f *Function) post(t testing.TB, inv Invocation) samples.Response {
	t.Helper()
	r := InvokeRequest(t, f.URL, inv)
	resp, err := f.Client.Do(r)
	if err != nil {
		t.Fatalf("invoke %s: %v\nfunction output:\n%s", inv.RequestID, err, f.Logs)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Code string }
		json.Unmarshal(body, &e)
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("x-fc-status") != "404" {
			t.Errorf("a failed invocation answered %d, x-fc-status %q; want 404 and x-fc-status: 404", resp.StatusCode, resp.Header.Get("x-fc-status"))
		}
		return samples.Response{Code: e.Code, Body: body}
	}
	return eventResponse(t, body)
}

// InvokeRequest is inv as FC's custom runtime sends it to the server at
// base.
func InvokeRequest(t testing.TB, base string, inv Invocation) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, base+"/invoke", strings.NewReader(string(inv.Payload)))
	if err != nil {
		t.Fatal(err)
	}
	timeout := cmp.Or(inv.Timeout, 30*time.Second)
	for k, v := range map[string]string{"x-fc-request-id": inv.RequestID, "x-fc-region": inv.Region, "x-fc-access-key-id": inv.AccessKeyID,
		"x-fc-access-key-secret": inv.AccessKeySecret, "x-fc-security-token": inv.SecurityToken, "x-fc-control-path": "/invoke",
		"x-fc-function-timeout": strconv.Itoa(int(timeout / time.Second)), "x-fc-retry-count": strconv.Itoa(inv.RetryCount),
		"Content-Type": "application/octet-stream"} {
		if v != "" {
			r.Header.Set(k, v)
		}
	}
	return r
}

// eventResponse reads a successful event invocation's answer: an HTTP
// trigger's request is answered with FC's HTTP response shape.
func eventResponse(t testing.TB, body []byte) samples.Response {
	t.Helper()
	var httpResp struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Body       string            `json:"body"`
	}
	if json.Unmarshal(body, &httpResp) == nil && httpResp.StatusCode != 0 {
		if httpResp.Headers["Content-Type"] != "application/json" {
			t.Errorf("HTTP answer headers %v, want JSON", httpResp.Headers)
		}
		return samples.Response{HTTP: true, Status: httpResp.StatusCode, Body: []byte(httpResp.Body)}
	}
	return samples.Response{Status: 200, Body: body}
}

// Stop ends the function as FC does: SIGTERM. The custom runtime's server
// must then exit cleanly, race-free; the go1 runtime dies of the signal.
// Either way nothing it printed may hold a credential, in any encoding.
func (f *Function) Stop(t testing.TB) {
	t.Helper()
	f.Cmd.Process.Signal(syscall.SIGTERM)
	err := f.Cmd.Wait()
	out := f.Logs.String()
	if f.Runtime == Custom && (err != nil || !strings.Contains(out, `"msg":"stopped"`)) {
		t.Errorf("after SIGTERM the server exited with %v, without a clean stop:\n%s", err, out)
	}
	if strings.Contains(out, "DATA RACE") {
		t.Errorf("the function's output shows a race:\n%s", out)
	}
	for _, secret := range []string{Key.ID, Key.Secret, Key.Token} {
		for _, form := range []string{secret, url.QueryEscape(secret)} {
			if strings.Contains(out, form) {
				t.Errorf("the function printed the credential %q", form)
			}
		}
	}
}

// Invocations are the request IDs of the invocation log lines the function
// printed, in order: there must be one per invocation.
func (f *Function) Invocations() []string {
	var ids []string
	for line := range strings.Lines(f.Logs.String()) {
		var entry struct {
			Msg       string `json:"msg"`
			RequestID string `json:"request_id"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "invocation" {
			ids = append(ids, entry.RequestID)
		}
	}
	return ids
}

// String names the runtime in test names.
func (r Runtime) String() string { return fmt.Sprintf("%s runtime", r.Name) }
