package fcserver_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"ess-standby/handler"
	"ess-standby/handler/ess"
	"ess-standby/handler/essemu"
	"ess-standby/handler/fcserver"
	"ess-standby/handler/internal/fctest"
	"ess-standby/handler/standby"
)

const token = "0123456789abcdef0123"

// guarded is a server with AUTH_TOKEN on, in front of the emulator.
func guarded(t *testing.T) (*fcserver.Server, *essemu.Server) {
	t.Helper()
	emu := essemu.NewServer([]essemu.Key{key}, essemu.SampleFleet()...)
	t.Cleanup(emu.Close)
	endpoint, _ := url.Parse(emu.URL)
	log := slog.New(slog.NewJSONHandler(fctest.Logs(), nil))
	h := handler.New(handler.Config{AuthToken: token}, standby.New(standby.Config{}, ess.New(ess.Config{Endpoint: endpoint, ECSEndpoint: endpoint, ECIEndpoint: endpoint}).Cloud()), log)
	return fcserver.New(h, log, io.Discard), emu
}

// Only what FC marks as an event invocation (POST /invoke with
// x-fc-control-path: /invoke) skips AUTH_TOKEN: a request that looks like
// one in any other way is an HTTP-trigger request, and needs the token.
func TestOnlyFCMarkedInvocationsSkipTheToken(t *testing.T) {
	srv, emu := guarded(t)
	request := `{"ScalingGroupId":"asg-bp1fo0dbtsbmqa9h5dl3","InstanceIds":["i-bp1ecr7go2go9kq3m1a"]}`
	tests := []struct {
		name, method, path, controlPath string
		wantStatus, wantCalls           int
	}{
		{"POST /invoke without FC's mark", "POST", "/invoke", "", 401, 0},
		{"another path with FC's mark", "POST", "/standby", "/invoke", 401, 0},
		{"GET /invoke with FC's mark", "GET", "/invoke", "/invoke", 401, 0},
		{"an HTTP trigger's request for /invoke", "POST", "/invoke", "/http-invoke", 401, 0},
		{"an event invocation", "POST", "/invoke", "/invoke", 200, 3}, // read, call, tags
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu.Reset()
			r := invokeRequest(t, "http://fc", "bypass", request)
			r.Method, r.URL.Path = tt.method, tt.path
			r.Header.Set("x-fc-control-path", tt.controlPath)
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, r)
			if rec.Code != tt.wantStatus || len(emu.Calls()) != tt.wantCalls {
				t.Errorf("answered %d after %d calls, want %d after %d: %s", rec.Code, len(emu.Calls()), tt.wantStatus, tt.wantCalls, rec.Body)
			}
		})
	}
}

// touchy is a body that records whether anything read it.
type touchy struct{ read bool }

func (b *touchy) Read([]byte) (int, error) { b.read = true; return 0, io.EOF }

// A caller without the token is refused before its body is read: a large
// body costs nothing.
func TestAuthenticateBeforeReadingTheBody(t *testing.T) {
	srv, _ := guarded(t)
	for _, auth := range []string{"", "Bearer wrong-token-of-some-length"} {
		body := &touchy{}
		r := httptest.NewRequest("POST", "http://fc/standby", body)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, r)
		if rec.Code != 401 || body.read {
			t.Errorf("Authorization %q: answered %d, body read %t; want 401 unread", auth, rec.Code, body.read)
		}
	}
}

// serving is server mode served in this process on a real listener.
type serving struct {
	addr    string
	markers *fctest.Output
	stop    context.CancelFunc
	done    chan error
}

func serve(t *testing.T, opts fcserver.Options) *serving {
	t.Helper()
	return serveWith(t, handler.Config{}, opts)
}

func serveWith(t *testing.T, cfg handler.Config, opts fcserver.Options) *serving {
	t.Helper()
	emu := essemu.NewServer([]essemu.Key{key}, essemu.SampleFleet()...)
	t.Cleanup(emu.Close)
	endpoint, _ := url.Parse(emu.URL)
	log := slog.New(slog.NewJSONHandler(fctest.Logs(), nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &serving{addr: ln.Addr().String(), markers: &fctest.Output{}, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	srv := fcserver.New(handler.New(cfg, standby.New(standby.Config{}, ess.New(ess.Config{Endpoint: endpoint, ECSEndpoint: endpoint, ECIEndpoint: endpoint}).Cloud()), log), log, s.markers)
	go func() { s.done <- srv.Serve(ctx, context.Background(), ln, opts) }()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	return s
}

// stall sends an HTTP-trigger request's headers and the start of its body,
// and no more.
func (s *serving) stall(t *testing.T, requestID string, timeout int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST /standby HTTP/1.1\r\nHost: fc\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n"+
		"x-fc-request-id: %s\r\nx-fc-function-timeout: %d\r\n\r\n{\"InstanceIds\":", requestID, timeout)
	return conn
}

// A body that stops arriving is answered when the invocation's time is up,
// not held for ever.
func TestAStalledBodyIsAnsweredInTime(t *testing.T) {
	s := serve(t, fcserver.Options{})
	conn := s.stall(t, "stalled", 1)
	conn.SetReadDeadline(time.Now().Add(30 * time.Second)) // a bound on the test, not the thing tested
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 504 || !strings.Contains(string(body), "did not arrive within the invocation's time") {
		t.Errorf("answered %d %s, want 504", resp.StatusCode, body)
	}
}

// A connection left idle between invocations is closed.
func TestIdleConnectionsAreClosed(t *testing.T) {
	s := serve(t, fcserver.Options{Idle: 100 * time.Millisecond})
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "GET /pre-stop HTTP/1.1\r\nHost: fc\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(30 * time.Second)) // a bound on the test
	reader := bufio.NewReader(conn)
	if resp, err := http.ReadResponse(reader, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /pre-stop: %v", err)
	}
	if _, err := reader.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("the idle connection got %v, want it closed by the server", err)
	}
}

// Shutting down does not wait for bodies that are still arriving: their
// invocations have not begun. The server stops at once, not after its
// grace.
func TestShutdownCutsOffStalledBodies(t *testing.T) {
	s := serve(t, fcserver.Options{Grace: time.Hour})
	for i := range 5 {
		s.stall(t, fmt.Sprint("stall-", i), 600)
	}
	for i := range 5 {
		if _, err := s.markers.Await(regexp.MustCompile("FC Invoke Start RequestId: stall-"+fmt.Sprint(i)+"\n"), 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	s.stop()
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		if err != nil {
			t.Errorf("Serve = %v", err)
		}
	case <-time.After(30 * time.Second): // a bound on the test; the grace is an hour
		t.Fatal("the server still waits for stalled bodies 30s after shutdown began")
	}
}

// Auto Scaling calls are bounded per process: many invocations at once
// open no more connections, and make no more calls at once, than allowed;
// the others wait their turn within their time, and all succeed.
func TestAutoScalingCallsAreBounded(t *testing.T) {
	const places, invocations = 3, 40
	emu := essemu.NewServer([]essemu.Key{key}, bulkFleet())
	defer emu.Close()
	endpoint, _ := url.Parse(emu.URL)
	client := ess.New(ess.Config{Endpoint: endpoint, ECSEndpoint: endpoint, ECIEndpoint: endpoint, MaxConcurrent: places})
	defer client.Close()
	srv := fcserver.New(handler.New(handler.Config{}, standby.New(standby.Config{}, client.Cloud()), slog.New(slog.DiscardHandler)), slog.New(slog.DiscardHandler), io.Discard)
	var wg sync.WaitGroup
	failures := make(chan string, invocations)
	for i := range invocations {
		wg.Go(func() {
			r := invokeRequest(t, "http://fc", fmt.Sprint("bounded-", i), fmt.Sprintf(`{"InstanceIds":["i-bp1bulk%06d"]}`, i))
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, r)
			if rec.Code != 200 {
				failures <- rec.Body.String()
			}
		})
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Errorf("an invocation failed: %s", f)
	}
	if n, conns := emu.MostAtOnce(), emu.NewConnections(); n > places || conns > places {
		t.Errorf("%d calls at once over %d connections; want at most %d", n, conns, places)
	}
	moved := 0
	for _, a := range emu.Activities() {
		moved += len(a.InstanceIDs)
	}
	if moved != invocations {
		t.Errorf("%d activities moved %d instances, want %d", len(emu.Activities()), moved, invocations)
	}
}

// A caller refused before its body is read (no token) is answered, and its
// connection closed: the server does not wait, after answering, for a body
// it will never read.
func TestARefusedStalledBodyDoesNotHoldTheConnection(t *testing.T) {
	s := serveWith(t, handler.Config{AuthToken: token}, fcserver.Options{})
	conn := s.stall(t, "refused", 600)
	conn.SetReadDeadline(time.Now().Add(30 * time.Second)) // a bound on the test
	reader := bufio.NewReader(conn)
	resp, err := http.ReadResponse(reader, nil)
	if err != nil || resp.StatusCode != 401 {
		t.Fatalf("answered %v, %v; want 401", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	if _, err := reader.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("after the 401 the connection got %v, want it closed by the server", err)
	}
}
