// Package fcserver serves FC's custom runtime protocol, which the function
// speaks when bootstrap starts it in server mode: event invocations arrive as
// POST /invoke, lifecycle hooks as POST /initialize and GET /pre-stop, and
// HTTP-trigger requests pass through as they were sent. Every request brings
// its invocation's request ID, region and credentials in x-fc-* headers.
// Many invocations are served at once.
package fcserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"ess-standby/handler"
	"ess-standby/handler/fcgo"
	"ess-standby/handler/standby"
	"ess-standby/handler/trigger"
)

// Server answers FC's custom runtime requests with a handler.
type Server struct {
	h       *handler.Handler
	log     *slog.Logger
	markers io.Writer // FC's per-invocation log markers go to stdout
}

func New(h *handler.Handler, log *slog.Logger, markers io.Writer) *Server {
	return &Server{h: h, log: log, markers: markers}
}

// route tells the request kinds apart: by FC's x-fc-control-path header when
// present (so an HTTP-trigger request for /invoke stays one), else by path.
func route(r *http.Request) string {
	if p := r.Header.Get("x-fc-control-path"); p != "" {
		return p
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/invoke":
		return "/invoke"
	case r.Method == http.MethodPost && r.URL.Path == "/initialize":
		return "/initialize"
	case r.Method == http.MethodGet && r.URL.Path == "/pre-stop":
		return "/pre-stop"
	}
	return "/http-invoke"
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch route(r) {
	case "/initialize", "/pre-stop", "/pre-freeze":
		// Nothing to set up or flush: clients are built per call.
		w.WriteHeader(http.StatusOK)
	case "/invoke":
		s.invoke(w, r)
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
	body, err := readBody(r)
	var out handler.Outcome
	if err != nil {
		out = s.h.Refuse(ctx, inv, false, err)
	} else {
		out = s.h.Invoke(ctx, inv, body)
	}
	body, failed := fcgo.EventAnswer(out)
	w.Header().Set("Content-Type", "application/json")
	if failed {
		w.Header().Set("x-fc-status", "404")
		w.WriteHeader(http.StatusNotFound)
	}
	w.Write(body)
}

// httpTrigger answers an HTTP-trigger request passed through by FC.
func (s *Server) httpTrigger(w http.ResponseWriter, r *http.Request) {
	ctx, inv, cancel := invocation(r)
	defer cancel()
	fmt.Fprintf(s.markers, "FC Invoke Start RequestId: %s\n", inv.RequestID)
	defer fmt.Fprintf(s.markers, "FC Invoke End RequestId: %s\n", inv.RequestID)
	var out handler.Outcome
	body, err := readBody(r)
	if err != nil {
		out = s.h.Refuse(ctx, inv, true, err)
	} else {
		out = s.h.InvokeHTTP(ctx, inv, trigger.HTTPRequest{
			Method: r.Method,
			Path:   r.URL.Path,
			Header: callerHeaders(r.Header),
			Query:  r.URL.Query(),
			Body:   body,
		})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(out.Status)
	w.Write(out.Body)
}

// readBody reads at most handler.MaxPayload bytes; a larger body is refused
// before anything parses it.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, handler.MaxPayload+1))
	if err != nil {
		return nil, &standby.Error{Kind: standby.Invalid, Code: "InvalidParameter", Message: "the request body could not be read", Cause: err}
	}
	if len(body) > handler.MaxPayload {
		return nil, handler.ErrTooLarge
	}
	return body, nil
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
	if seconds, err := strconv.Atoi(h.Get("x-fc-function-timeout")); err == nil && seconds > 0 {
		ctx, cancel := context.WithTimeout(r.Context(), time.Duration(seconds)*time.Second)
		return ctx, inv, cancel
	}
	ctx, cancel := context.WithCancel(r.Context())
	return ctx, inv, cancel
}

// Serve serves on ln until ctx ends, then stops taking requests and lets
// those in flight finish, for at most grace.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return err
}
