// Package fcserver serves FC's custom runtime protocol, which the function
// speaks when bootstrap starts it in server mode: event invocations arrive as
// POST /invoke, lifecycle hooks as POST /initialize and GET /pre-stop, and
// HTTP-trigger requests pass through as they were sent. Every request brings
// its invocation's request ID, region and credentials in x-fc-* headers.
// Many invocations are served at once.
//
// Fail closed: only what FC marks as an event invocation is one (POST
// /invoke with x-fc-control-path: /invoke, a header FC sets and never lets
// an HTTP-trigger caller set); every other request is an HTTP-trigger
// request, which AUTH_TOKEN guards. Every read is bounded in size and in
// time.
package fcserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"ess-standby/handler"
	"ess-standby/handler/standby"
)

// Server answers FC's custom runtime requests with a handler.
type Server struct {
	h       *handler.Handler
	log     *slog.Logger // the server's own troubles: a connection it could not serve
	markers io.Writer    // FC's per-invocation log markers go to stdout

	mu      sync.Mutex
	reading map[*http.ResponseController]struct{} // requests whose body is still arriving
	closing bool
}

// New returns a server that answers with h: it logs its own troubles to
// log, and writes FC's per-invocation markers to markers (stdout in FC).
func New(h *handler.Handler, log *slog.Logger, markers io.Writer) *Server {
	return &Server{h: h, log: log, markers: markers, reading: map[*http.ResponseController]struct{}{}}
}

// defaultTimeout bounds an invocation that names no timeout of its own
// (x-fc-function-timeout): FC always sends one.
const defaultTimeout = 60 * time.Second

// eventInvocation says whether FC marks the request as an event
// invocation. FC sets x-fc-control-path on every request it passes (to
// /http-invoke for an HTTP trigger's), and an HTTP-trigger caller cannot
// set an x-fc-* header.
func eventInvocation(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/invoke" && r.Header.Get("x-fc-control-path") == "/invoke"
}

// lifecycleHook says whether the request is one of FC's hooks: there is
// nothing to set up or flush (clients are built per call), so answering one
// does nothing whoever asks.
func lifecycleHook(r *http.Request) bool {
	switch control := r.Header.Get("x-fc-control-path"); {
	case r.Method == http.MethodPost && r.URL.Path == "/initialize" && control == "/initialize":
	case r.Method == http.MethodGet && r.URL.Path == "/pre-stop" && (control == "" || control == "/pre-stop"):
	default:
		return false
	}
	return true
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case eventInvocation(r):
		s.invoke(w, r)
	case lifecycleHook(r):
		w.WriteHeader(http.StatusOK)
	default:
		s.httpTrigger(w, r)
	}
}

// invoke answers an event invocation. A failure is reported to FC as a
// function error (x-fc-status: 404), so async retries and destinations work.
func (s *Server) invoke(w http.ResponseWriter, r *http.Request) {
	ctx, inv, cancel := invocation(r)
	defer cancel()
	fmt.Fprintf(s.markers, "FC Invoke Start RequestId: %s\n", inv.RequestID)
	defer fmt.Fprintf(s.markers, "FC Invoke End RequestId: %s\n", inv.RequestID)
	reader, done := s.body(ctx, w, r.Body)
	defer done()
	body, failed := s.h.Invoke(ctx, inv, reader).EventReply()
	w.Header().Set("Content-Type", "application/json")
	if failed {
		w.Header().Set("x-fc-status", "404")
		w.WriteHeader(http.StatusNotFound)
	}
	w.Write(body)
}

// httpTrigger answers an HTTP-trigger request passed through by FC. The
// handler authenticates the caller before it reads the body.
func (s *Server) httpTrigger(w http.ResponseWriter, r *http.Request) {
	ctx, inv, cancel := invocation(r)
	defer cancel()
	fmt.Fprintf(s.markers, "FC Invoke Start RequestId: %s\n", inv.RequestID)
	defer fmt.Fprintf(s.markers, "FC Invoke End RequestId: %s\n", inv.RequestID)
	reader, done := s.body(ctx, w, r.Body)
	defer done()
	out := s.h.InvokeHTTP(ctx, inv, handler.HTTPRequest{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: callerHeaders(r.Header), Body: reader})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(out.Status)
	w.Write(out.Body)
}

// body is the request body, bounded by the invocation's deadline from the
// moment the request arrives: a client that sends its headers, then
// trickles its body, is cut off then, or at once when the server shuts
// down. done forgets it and, when its body was not read to the end (the
// caller was refused before), cuts the connection off rather than let the
// server wait for the rest.
func (s *Server) body(ctx context.Context, w http.ResponseWriter, body io.Reader) (io.Reader, func()) {
	b := &boundedBody{s: s, rc: http.NewResponseController(w), body: body}
	deadline, _ := ctx.Deadline() // invocation always sets one
	s.mu.Lock()
	if s.closing {
		deadline = time.Now()
	}
	_ = b.rc.SetReadDeadline(deadline) // a connection that cannot take one is bounded by the server's ReadTimeout
	s.reading[b.rc] = struct{}{}
	s.mu.Unlock()
	return b, func() {
		s.doneReading(b.rc)
		if !b.read {
			_ = b.rc.SetReadDeadline(time.Now())
		}
	}
}

// boundedBody reads a request body and notes when it is all in.
type boundedBody struct {
	s    *Server
	rc   *http.ResponseController
	body io.Reader
	read bool // read to its end
}

func (b *boundedBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if err != nil { // the body is all in (or failed): the invocation may now run its course
		b.read = err == io.EOF
		b.s.doneReading(b.rc)
	}
	return n, err
}

func (s *Server) doneReading(rc *http.ResponseController) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.reading, rc)
}

// cutOffReaders ends every body still arriving, at once: a request whose
// body has not arrived has not started its invocation, and must not hold
// the shutdown.
func (s *Server) cutOffReaders() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing = true
	for rc := range s.reading {
		_ = rc.SetReadDeadline(time.Now())
	}
}

// callerHeaders keeps the caller's headers and drops FC's own, which carry
// the invocation's credentials.
func callerHeaders(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for name, values := range h {
		if !strings.HasPrefix(strings.ToLower(name), "x-fc-") {
			out[name] = values
		}
	}
	return out
}

// invocation reads the invocation's identity and deadline from FC's headers.
func invocation(r *http.Request) (context.Context, standby.Invocation, context.CancelFunc) {
	h := r.Header
	retries, _ := strconv.Atoi(h.Get("x-fc-retry-count"))
	inv := standby.Invocation{
		RequestID:  h.Get("x-fc-request-id"),
		Region:     h.Get("x-fc-region"),
		RetryCount: retries,
		Credentials: standby.Credentials{
			AccessKeyID:     h.Get("x-fc-access-key-id"),
			AccessKeySecret: h.Get("x-fc-access-key-secret"),
			SecurityToken:   h.Get("x-fc-security-token"),
		},
	}
	timeout := defaultTimeout
	if seconds, err := strconv.Atoi(h.Get("x-fc-function-timeout")); err == nil && seconds > 0 && seconds <= 86400 {
		timeout = time.Duration(seconds) * time.Second
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	return ctx, inv, cancel
}

// Options bound the server; a zero field takes its default.
type Options struct {
	// Grace is how long invocations in flight may finish after ctx ends.
	Grace time.Duration
	// Idle is how long a connection may wait between invocations (2 min).
	Idle time.Duration
	// Header is how long a request's headers may take to arrive (10 s).
	Header time.Duration
}

// maxHeaderBytes bounds a request's headers: FC sends a few KB. No request
// may take longer to read than FC's longest function timeout, a day; each
// is bounded by its own invocation's time as soon as its body is read.
const (
	maxHeaderBytes = 64 << 10
	readTimeout    = 24 * time.Hour
)

// Serve serves on ln until ctx ends, then stops taking requests, cuts off
// the bodies still arriving, and lets the invocations in flight finish, for
// at most opts.Grace; past it, or when force ends, it closes every
// connection and says which were cut off.
func (s *Server) Serve(ctx, force context.Context, ln net.Listener, opts Options) error {
	srv := &http.Server{Handler: s, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn), // one JSON line each, not plain stderr
		MaxHeaderBytes: maxHeaderBytes, ReadTimeout: readTimeout,
		ReadHeaderTimeout: cmp.Or(opts.Header, 10*time.Second), IdleTimeout: cmp.Or(opts.Idle, 2*time.Minute)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	s.cutOffReaders()
	shutdownCtx, cancel := context.WithTimeout(force, cmp.Or(opts.Grace, time.Minute))
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if err != nil {
		err = errors.Join(fmt.Errorf("invocations still in flight were cut off: %w", err), srv.Close())
	}
	if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return err
}
