// Package fctest stands in for FC in tests: it builds the function's code
// directory as FC runs it (Build, Main), runs the binary in either runtime
// in front of the Auto Scaling emulator and delivers invocations as FC does
// (Start, Function: the one harness of both end-to-end suites, whose shared
// scenarios are Scenarios), and reads the logs as Log Service would, which
// must never hold a credential (Output, Secret, CheckSecrets).
//
// For the go1 runtime it emulates FC's runtime API (the
// /2020-11-11/runtime/invocation endpoints), so tests drive the real
// fc.Start loop of fc-runtime-go-sdk, in-process or in a built binary.
// The SDK polls /next again as soon as it receives an invocation and spins
// without backoff if /next fails, so /next blocks until an invocation is
// queued, and the server must outlive the function process it serves.
package fctest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const prefix = "/2020-11-11/runtime/invocation/"

// Invocation is one invocation to hand to the function.
type Invocation struct {
	RequestID string
	Payload   []byte
	Timeout   time.Duration // the function's timeout; default 10s
	Region    string
	// The role's STS credentials, sent as x-fc-access-key-* headers.
	AccessKeyID, AccessKeySecret, SecurityToken string
	RetryCount                                  int
	FunctionType                                int // 0 handler, 1 initializer, 2 preStop
}

// Result is the function's answer: what it POSTed to /response or /error.
type Result struct {
	OK   bool // posted to /response
	Body []byte
}

// Server is a running runtime API. Addr is what FC_RUNTIME_API takes.
type Server struct {
	Addr string

	http    *http.Server
	queue   chan Invocation
	mu      sync.Mutex
	waiters map[string]chan Result
}

// NewServer starts a runtime API on a free loopback port.
func NewServer() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: ln.Addr().String(), queue: make(chan Invocation), waiters: map[string]chan Result{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+prefix+"next", s.next)
	mux.HandleFunc("POST "+prefix+"{id}/{kind}", s.answer)
	s.http = &http.Server{Handler: mux}
	go s.http.Serve(ln) //nolint:errcheck // ends with Close
	return s, nil
}

// Close stops the server. Stop the function process first.
func (s *Server) Close() { s.http.Close() }

// Invoke queues an invocation and waits for the function's answer, or for
// ctx to end.
func (s *Server) Invoke(ctx context.Context, inv Invocation) (Result, error) {
	done := make(chan Result, 1)
	s.mu.Lock()
	if _, dup := s.waiters[inv.RequestID]; dup || inv.RequestID == "" {
		s.mu.Unlock()
		return Result{}, fmt.Errorf("request ID %q is empty or in use", inv.RequestID)
	}
	s.waiters[inv.RequestID] = done
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.waiters, inv.RequestID)
		s.mu.Unlock()
	}()
	select {
	case s.queue <- inv:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("no function polled for %s: %w", inv.RequestID, ctx.Err())
	}
	select {
	case res := <-done:
		return res, nil
	case <-ctx.Done():
		return Result{}, fmt.Errorf("no answer to %s: %w", inv.RequestID, ctx.Err())
	}
}

func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	var inv Invocation
	select {
	case inv = <-s.queue:
	case <-r.Context().Done():
		return
	}
	timeout := inv.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	h := w.Header()
	h.Set("x-fc-request-id", inv.RequestID)
	h.Set("x-fc-function-deadline", strconv.FormatInt(time.Now().Add(timeout).UnixMilli(), 10))
	h.Set("x-fc-function-timeout", strconv.Itoa(int(timeout/time.Second)))
	h.Set("x-fc-function-type", strconv.Itoa(inv.FunctionType))
	h.Set("x-fc-retry-count", strconv.Itoa(inv.RetryCount))
	h.Set("x-fc-function-name", "ess-standby")
	h.Set("x-fc-function-handler", "main")
	h.Set("x-fc-function-memory", "128")
	h.Set("x-fc-account-id", "1234567890123456")
	for name, v := range map[string]string{"x-fc-region": inv.Region, "x-fc-access-key-id": inv.AccessKeyID,
		"x-fc-access-key-secret": inv.AccessKeySecret, "x-fc-security-token": inv.SecurityToken} {
		if v != "" {
			h.Set(name, v)
		}
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.Payload)
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request) {
	kind := r.PathValue("kind")
	if kind != "response" && kind != "error" {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	done := s.waiters[r.PathValue("id")]
	s.mu.Unlock()
	if done != nil {
		select {
		case done <- Result{OK: kind == "response", Body: body}:
		default: // answered twice: the first answer stands
		}
	}
	w.WriteHeader(http.StatusOK)
}

// ErrorMessage extracts errorMessage and errorType from an /error body.
func ErrorMessage(body []byte) (message, errorType string) {
	var v struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return strings.TrimSpace(string(body)), ""
	}
	return v.Message, v.Type
}
