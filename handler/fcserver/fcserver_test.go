package fcserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"ess-standby/handler"
	"ess-standby/handler/ess"
	"ess-standby/handler/essemu"
	"ess-standby/handler/fcserver"
	"ess-standby/handler/internal/fctest"
	"ess-standby/handler/standby"
)

var key = fctest.Key

const concurrent = 200

// bulkFleet is one group of as many InService instances as invocations.
func bulkFleet() essemu.Group {
	g := essemu.Group{ID: "asg-bp1bulk000000000001", Region: essemu.SampleRegion}
	for i := range concurrent {
		g.Instances = append(g.Instances, essemu.Instance{ID: fmt.Sprintf("i-bp1bulk%06d", i), LifecycleState: essemu.InService})
	}
	return g
}

// invokeRequest is an event invocation as FC's custom runtime sends it,
// with the role's credentials.
func invokeRequest(t testing.TB, base, requestID, payload string) *http.Request {
	t.Helper()
	return fctest.InvokeRequest(t, base, fctest.Invocation{RequestID: requestID, Payload: []byte(payload), Region: essemu.SampleRegion,
		AccessKeyID: key.ID, AccessKeySecret: key.Secret, SecurityToken: key.Token})
}

// inProcess is server mode served in this process, with the emulator
// behind it and a caller allowed as many connections as it has callers.
type inProcess struct {
	base   string
	emu    *essemu.Server
	client *ess.Client
	caller *http.Client
	stop   func() error // shuts down and waits for Serve
}

func serveInProcess(tb testing.TB, log io.Writer, callers int) *inProcess {
	tb.Helper()
	s := &inProcess{emu: essemu.NewServer([]essemu.Key{key}, bulkFleet())}
	endpoint, _ := url.Parse(s.emu.URL)
	s.client = ess.New(ess.Config{Endpoint: endpoint, ECSEndpoint: endpoint, ECIEndpoint: endpoint})
	logger := slog.New(slog.NewJSONHandler(log, nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- fcserver.New(handler.New(handler.Config{}, standby.New(standby.Config{}, s.client.Cloud()), logger), logger, io.Discard).Serve(ctx, context.Background(), ln, fcserver.Options{})
	}()
	s.base = "http://" + ln.Addr().String()
	s.caller = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: callers}}
	s.stop = func() error {
		cancel()
		err := <-served
		s.caller.CloseIdleConnections()
		s.client.Close()
		s.emu.Close()
		return err
	}
	return s
}

// 200 invocations at once, in process and under -race: each is answered
// with the activity that moved its instance (invocations merged share
// one), every instance moves once, nothing races, and after shutdown no
// goroutine is left.
func TestConcurrentInvocationsThenShutdown(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s := serveInProcess(t, fctest.Logs(), concurrent)
	emu, base, caller := s.emu, s.base, s.caller

	activities := make([]string, concurrent)
	var wg sync.WaitGroup
	for i := range concurrent {
		wg.Go(func() {
			id := fmt.Sprintf("i-bp1bulk%06d", i)
			payload := fmt.Sprintf(`{"InstanceIds":[%q]}`, id) // half looked up,
			if i%2 == 0 {
				payload = fmt.Sprintf(`{"ScalingGroupId":"asg-bp1bulk000000000001","InstanceIds":[%q]}`, id) // half named
			}
			resp, err := caller.Do(invokeRequest(t, base, fmt.Sprintf("req-%d", i), payload))
			if err != nil {
				t.Errorf("invocation %d: %v", i, err)
				return
			}
			defer resp.Body.Close()
			var answer struct {
				ScalingActivityId string
				InstanceIds       []string
			}
			if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || resp.StatusCode != 200 || len(answer.InstanceIds) != 1 || answer.InstanceIds[0] != id {
				t.Errorf("invocation %d: status %d, answer %+v, %v", i, resp.StatusCode, answer, err)
			}
			activities[i] = answer.ScalingActivityId
		})
	}
	wg.Wait()

	movedBy := map[string]string{} // instance → the activity that moved it
	answered := map[string]bool{}
	for _, a := range emu.Activities() {
		for _, id := range a.InstanceIDs {
			if movedBy[id] != "" {
				t.Errorf("%s moved by %s and %s", id, movedBy[id], a.ID)
			}
			movedBy[id] = a.ID
		}
	}
	for i, a := range activities {
		id := fmt.Sprintf("i-bp1bulk%06d", i)
		if movedBy[id] != a {
			t.Errorf("invocation %d answered activity %q; %s was moved by %q", i, a, id, movedBy[id])
		}
		answered[a] = true
		if in, _ := emu.Instance(id); in.LifecycleState != essemu.Standby {
			t.Errorf("instance %d is %s", i, in.LifecycleState)
		}
	}
	if len(movedBy) != concurrent || len(answered) != len(emu.Activities()) {
		t.Errorf("%d instances moved by %d activities, %d of them answered; want %d moved, every activity answered", len(movedBy), len(emu.Activities()), len(answered), concurrent)
	}
	for _, c := range emu.Calls() {
		if !c.SignatureOK || c.Status != 200 || c.SecurityToken != key.Token {
			t.Errorf("call %+v: want a verified call with the invocation's token", c)
		}
	}

	if err := s.stop(); err != nil {
		t.Errorf("Serve = %v", err)
	}
}

func TestLifecycleHooksAndRouting(t *testing.T) {
	emu := essemu.NewServer([]essemu.Key{key}, essemu.SampleFleet()...)
	defer emu.Close()
	endpoint, _ := url.Parse(emu.URL)
	srv := fcserver.New(handler.New(handler.Config{}, standby.New(standby.Config{}, ess.New(ess.Config{Endpoint: endpoint, ECSEndpoint: endpoint, ECIEndpoint: endpoint}).Cloud()), slog.New(slog.NewJSONHandler(fctest.Logs(), nil))), slog.New(slog.NewJSONHandler(fctest.Logs(), nil)), io.Discard)
	tests := []struct {
		method, path, controlPath string
		wantStatus                int
		wantCalls                 int
	}{
		{"GET", "/pre-stop", "", 200, 0},
		{"POST", "/initialize", "/initialize", 200, 0},
		// Only what FC marks as a hook or an event invocation is one; every
		// other request is an HTTP-trigger request (here without AUTH_TOKEN),
		// which only a route of the function's answers.
		{"POST", "/standby", "", 200, 3}, // read, call, tags
		{"POST", "/standby", "/http-invoke", 200, 3},
		{"POST", "/initialize", "", 404, 0},
		{"POST", "/invoke", "/http-invoke", 404, 0},
		{"POST", "/invoke", "", 404, 0},
		{"POST", "/anything", "", 404, 0},
	}
	for _, tt := range tests {
		emu.Reset()
		r, _ := http.NewRequest(tt.method, "http://fc"+tt.path, strings.NewReader(`{"ScalingGroupId":"asg-bp1fo0dbtsbmqa9h5dl3","InstanceIds":["i-bp1ecr7go2go9kq3m1a"]}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("x-fc-access-key-id", key.ID)
		r.Header.Set("x-fc-access-key-secret", key.Secret)
		r.Header.Set("x-fc-security-token", key.Token)
		r.Header.Set("x-fc-region", essemu.SampleRegion)
		if tt.controlPath != "" {
			r.Header.Set("x-fc-control-path", tt.controlPath)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, r)
		if rec.Code != tt.wantStatus || len(emu.Calls()) != tt.wantCalls {
			t.Errorf("%s %s (control path %q) = %d after %d calls, want %d after %d", tt.method, tt.path, tt.controlPath, rec.Code, len(emu.Calls()), tt.wantStatus, tt.wantCalls)
		}
	}
}

func TestOversizedBodyIsRefusedUnread(t *testing.T) {
	emu := essemu.NewServer([]essemu.Key{key}, essemu.SampleFleet()...)
	defer emu.Close()
	endpoint, _ := url.Parse(emu.URL)
	srv := fcserver.New(handler.New(handler.Config{}, standby.New(standby.Config{}, ess.New(ess.Config{Endpoint: endpoint, ECSEndpoint: endpoint, ECIEndpoint: endpoint}).Cloud()), slog.New(slog.NewJSONHandler(fctest.Logs(), nil))), slog.New(slog.NewJSONHandler(fctest.Logs(), nil)), io.Discard)
	huge := `{"InstanceIds":["i-bp1ecr7go2go9kq3m1a"],"ClientToken":"` + strings.Repeat("x", handler.MaxPayload) + `"}`
	for _, path := range []string{"/invoke", "/standby"} {
		r := invokeRequest(t, "http://fc", "big", huge)
		r.URL.Path = path
		if path != "/invoke" {
			r.Header.Del("x-fc-control-path")
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, r)
		if !strings.Contains(rec.Body.String(), "larger than 1 MiB") || rec.Code == 200 || len(emu.Calls()) != 0 {
			t.Errorf("%s with a 1 MiB body = %d %s after %d calls, want refused without a call", path, rec.Code, rec.Body.String(), len(emu.Calls()))
		}
	}
}
