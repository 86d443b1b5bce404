// Package handler is the function: it reads what an invocation brought
// (package trigger), authenticates HTTP-trigger callers, sets aside events
// that call for nothing or are too old, merges a batch's events into
// requests, runs them (package standby), and answers, with one log line per
// invocation. The runtime adapters (fcgo, fcserver) and the command's
// operator modes (handler/modes) call it; it knows neither FC's protocols
// nor the SDK.
//
// The way of a payload: runtime adapter → Invoke → trigger.Decode →
// Service.Check → Service.Run (plan, execute) → Outcome.
package handler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"ess-standby/handler/build"
	"ess-standby/handler/notify"
	"ess-standby/handler/standby"
	"ess-standby/handler/trigger"
)

// Config is the handler's share of the settings, parsed once at start; the
// core's are in the Service it is given.
type Config struct {
	AuthToken   Secret        // AUTH_TOKEN: what an HTTP-trigger caller must present
	MaxEventAge time.Duration // MAX_EVENT_AGE: older events are ignored; 0: no limit
	ExitOnOK    bool          // EXIT_ON_OK: an alarm back to OK takes out of Standby what it parked
	// ExitOnEventEnd (EXIT_ON_EVENT_END): an ECS event's end takes out of
	// Standby what the event parked.
	ExitOnEventEnd bool
	// NotifyURL (NOTIFY_URL, checked by notify.ParseURL) hears of what an
	// invocation did, signed with NotifySecret (NOTIFY_SECRET); "": no one.
	// Both are secrets: DingTalk's URL holds the robot's access token.
	NotifyURL, NotifySecret Secret
	// Proxy picks a notification's proxy (HTTPS_PROXY, NO_PROXY); nil:
	// none.
	Proxy func(*url.URL) (*url.URL, error)
	// InstanceLabels (INSTANCE_LABELS) are the alert labels tried, in
	// order, for an alert's instance ID; nil is trigger's defaults.
	InstanceLabels []string
	// LocateByAddress (LOCATE_BY_ADDRESS): an alert that names its
	// instance only by Prometheus's instance label, host:port, has the
	// instance at that private address looked up (Service.Locate).
	LocateByAddress bool
	// Now is the clock events' ages are measured by; nil is time.Now.
	Now func() time.Time
}

// DefaultMaxEventAge is MAX_EVENT_AGE when unset: an async delivery can be
// retried for hours, and an alarm that could not act within the hour should
// not act later.
const DefaultMaxEventAge = time.Hour

// Handler answers invocations. It is safe for concurrent use.
type Handler struct {
	cfg      Config
	svc      *standby.Service
	log      *slog.Logger
	now      func() time.Time
	notifier *notify.Notifier // nil: NOTIFY_URL unset
	build    string           // the build, for the notifications
	opts     trigger.Options  // what decoding reads of the settings
	locate   locateFunc       // svc.Locate; a test's fake in its place
}

// locateFunc finds the instances at private addresses: per address, the
// instance there, or why none is taken (standby.Service.Locate).
type locateFunc func(ctx context.Context, inv standby.Invocation, region string, ips []string) (found map[string]string, why map[string]error)

// New returns the function: it answers invocations with svc, the core main
// built, and writes one line per invocation to log.
func New(cfg Config, svc *standby.Service, log *slog.Logger) *Handler {
	h := &Handler{cfg: cfg, svc: svc, log: log, now: cfg.Now, build: build.Current().String(),
		opts: trigger.Options{InstanceLabels: cfg.InstanceLabels}, locate: svc.Locate}
	if h.now == nil {
		h.now = time.Now
	}
	if cfg.NotifyURL != "" {
		// Settings checked it; a URL that does not parse notifies no one.
		if u, err := notify.ParseURL(string(cfg.NotifyURL)); err == nil {
			h.notifier = notify.New(notify.Config{URL: u, Secret: string(cfg.NotifySecret), Proxy: cfg.Proxy})
		}
	}
	return h
}

// Outcome is the answer to one invocation, in the function's own terms: the
// runtime adapters shape it the way their protocol wants.
type Outcome struct {
	HTTP   bool           // came through an HTTP trigger: answer with Status and Body
	Status int            // the HTTP status of the answer
	Body   []byte         // JSON: the answer, or the error {"Code","Message","RequestId"}
	Err    *standby.Error // non-nil: the invocation failed (non-HTTP sources report it as such)
}

// EventReply is what an event invocation answers, and whether it failed.
// An HTTP trigger's request, which FC delivers as an event to the go1
// runtime (and to the custom runtime's /invoke), is answered with an HTTP
// response in FC's shape, whatever its status.
func (o Outcome) EventReply() (body []byte, failed bool) {
	if !o.HTTP {
		return o.Body, o.Err != nil
	}
	return mustJSON(httpTriggerResponse{StatusCode: o.Status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(o.Body)}), false
}

// httpTriggerResponse is FC's answer to an HTTP trigger's event: exactly
// the four keys of fc-runtime-go-sdk's events.HTTPTriggerResponse (fcgo's
// tests hold the two to each other).
type httpTriggerResponse struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	Body            string            `json:"body"`
}

// MaxPayload is the largest event accepted; a larger one is refused before
// parsing. FC's own limits are 128 KB for async and 32 MB for sync events;
// a real request is a few hundred bytes.
const MaxPayload = 1 << 20

var errTooLarge = &standby.Error{Kind: standby.Invalid, Code: "InvalidParameter", Message: "the event is larger than 1 MiB"}

// Invoke answers an event invocation: the payload is whatever the trigger
// sent, read up to MaxPayload bytes, and its source is told apart by its
// fields. An HTTP trigger's request arrives so on the go1 runtime.
func (h *Handler) Invoke(ctx context.Context, inv standby.Invocation, payload io.Reader) Outcome {
	c := h.begin(ctx, inv, "unread")
	b, err := ReadPayload(payload)
	if err != nil {
		return c.fail(err)
	}
	d := trigger.Decode(b, h.opts)
	if d.HTTP != nil {
		return c.http(*d.HTTP, nil, nil)
	}
	c.rec.viaHTTP = d.ViaHTTP
	return c.handle(d)
}

// HTTPRequest is an HTTP-trigger request as a runtime adapter receives it:
// the caller's own, without the runtime's headers.
type HTTPRequest struct {
	Method, Path string
	RawQuery     string      // as sent, not yet parsed
	Header       http.Header // canonical names; a header sent twice has two values
	Body         io.Reader   // read only once the caller is authenticated
}

// InvokeHTTP answers an HTTP-trigger request; failures are HTTP answers too.
func (h *Handler) InvokeHTTP(ctx context.Context, inv standby.Invocation, r HTTPRequest) Outcome {
	c := h.begin(ctx, inv, "http")
	query, err := trigger.ParseQuery(r.RawQuery) // a query that does not parse holds no token
	req := trigger.HTTPRequest{Method: r.Method, Path: r.Path, Header: r.Header, Query: query}
	if err != nil {
		req.Query = nil // not even what parsed before the fault is trusted
		err = &standby.Error{Kind: standby.Invalid, Code: "InvalidParameter", Message: "query string: " + err.Error()}
	}
	return c.http(req, r.Body, err)
}

// http answers an HTTP-trigger request whose body is body, or, when body is
// nil, already in req; malformed is what was wrong with it as sent. The
// caller is authenticated first: a request without the token learns
// nothing and costs nothing beyond its headers.
func (c *invocation) http(req trigger.HTTPRequest, body io.Reader, malformed error) Outcome {
	c.rec.source, c.rec.viaHTTP = "http", true
	if token := c.h.cfg.AuthToken; token != "" {
		var ok bool
		if req, ok = authenticate(req, token); !ok {
			c.rec.stats.Guard = "AUTH_TOKEN"
			return c.fail(errUnauthorized)
		}
	}
	if malformed != nil {
		return c.fail(malformed)
	}
	if _, ok := trigger.RouteOf(req.Path); !ok {
		return c.fail(errNoRoute(req.Path))
	}
	if body != nil {
		var err error
		if req.Body, err = ReadPayload(body); err != nil {
			return c.fail(err)
		}
	}
	return c.handle(trigger.FromHTTP(req, c.h.opts))
}

// errNoRoute answers a path that is no route: nothing is done, and the
// answer names the routes.
func errNoRoute(path string) error {
	var enter, exit, alerts []string
	for _, r := range trigger.Routes {
		switch {
		case r.Alerts:
			alerts = append(alerts, r.Path)
		case r.Exit:
			exit = append(exit, r.Path)
		default:
			enter = append(enter, r.Path)
		}
	}
	return &standby.Error{Kind: standby.NotFound, Code: "InvalidPath.NotFound", Message: fmt.Sprintf(
		"%s is not a route of this function: it serves %s (EnterStandby, or the request's Action), %s (ExitStandby) and %s (a group of alerts: Alertmanager, ARMS, Grafana), exactly",
		standby.Quote(path), strings.Join(enter, ", "), strings.Join(exit, ", "), strings.Join(alerts, ", "))}
}

// ReadPayload reads an event or a request body, at most MaxPayload bytes of
// it: a larger one is refused once that much has arrived, and one that
// stops arriving fails when the reader's deadline passes.
func ReadPayload(r io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	if sized, ok := r.(interface{ Len() int }); ok {
		// A payload already in memory (the go1 runtime's) is copied once,
		// not grown into.
		buf.Grow(min(sized.Len(), MaxPayload) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(io.LimitReader(r, MaxPayload+1))
	b := buf.Bytes()
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, &standby.Error{Kind: standby.Timeout, Code: "Timeout", Message: "the request body did not arrive within the invocation's time", Cause: err}
	case err != nil:
		return nil, &standby.Error{Kind: standby.Invalid, Code: "InvalidParameter", Message: "the request body could not be read", Cause: err}
	case len(b) > MaxPayload:
		return nil, errTooLarge
	}
	return b, nil
}

// handle acts on what a delivery brought, and answers.
func (c *invocation) handle(d trigger.Delivery) Outcome {
	events := d.Events
	c.rec.source, c.rec.alarm, c.rec.senderRetries, c.rec.rule = events[0].Source, events[0].Alarm, events[0].SenderRetries, events[0].Rule
	c.rec.truncated, c.rec.retriedOn5xx = d.Truncated, events[0].RetriedOn5xx
	for _, ev := range events {
		c.rec.undocumented = c.rec.undocumented || ev.Undocumented
	}
	if d.Batch {
		c.rec.source, c.rec.alarm, c.rec.events, c.rec.rule = d.Source, nil, len(events), ""
		for _, ev := range events {
			c.rec.rules = append(c.rec.rules, ev.Rule)
		}
	}
	a, st, err := c.h.act(c.ctx, c.inv, events, d.Batch)
	c.rec.stats = st
	return c.answer(a, err)
}

// fail answers a failure before anything was done.
func (c *invocation) fail(err error) Outcome { return c.answer(report{}, err) }

// answer ends the invocation: it renders the answer, or the failure with
// what was done before it; tells NOTIFY_URL, if it is news; and writes the
// invocation's one log line.
func (c *invocation) answer(a report, err error) Outcome {
	out := render(a, err, c.rec, c.inv.RequestID)
	line := logLine(a, err, c.rec, c.inv, out.Status, c.h.now().Sub(c.start))
	if ev, ok := c.notice(a, line.Outcome); ok {
		// After the action, within its time; its failure changes no answer.
		if err := c.h.notify(c.ctx, ev); err != nil {
			line.NotifyError = err.Error()
		} else {
			line.Notified = true
		}
	}
	c.h.log.LogAttrs(c.ctx, level(a, err, c.rec), "invocation", logAttrs(line)...)
	return out
}
