// Package handler turns an event into Auto Scaling EnterStandby calls: it
// decodes every trigger ess-standby accepts, validates the request, finds the
// scaling group of each instance and answers with the scaling activities.
//
// Failures are *Error values: a kind (which maps to an HTTP status), an error
// code (ESS codes pass through) and a message safe for callers. The cause is
// logged, never returned.
package handler

import (
	"cmp"
	"context"
	"log/slog"
	"math/rand/v2"
	"time"
)

// Config is the handler's share of the settings, parsed once at start.
type Config struct {
	Region         string      // ALIBABA_CLOUD_REGION_ID: for invocations that name none
	FCRegion       string      // FC_REGION: the function's own region, the last resort
	ScalingGroupID string      // SCALING_GROUP_ID: for events that name no group
	Credentials    Credentials // ALIBABA_CLOUD_ACCESS_KEY_*: when the invocation brings none
	DryRun         bool        // DRY_RUN: decide and report, change nothing
	AuthToken      Secret      // AUTH_TOKEN: what an HTTP-trigger caller must present
	AllowedGroups  []string    // ALLOWED_SCALING_GROUP_IDS: empty allows any
	MaxInstances   int         // MAX_INSTANCES: most instances one invocation acts on
	MinInService   MinInService
	Wait           bool // WAIT: wait for each activity to finish
	ExitOnOK       bool // EXIT_ON_OK: an alarm back to OK takes its instance out of Standby
}

// MinInService is how many InService instances a group must keep: Count, or
// Percent of the group's instances (rounded up). Zero values: no guard.
type MinInService struct {
	Count, Percent int
}

// Handler answers invocations. It is safe for concurrent use.
type Handler struct {
	cfg     Config
	scaling AutoScaling
	log     *slog.Logger
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
	jitter  func(max time.Duration) time.Duration
}

func New(cfg Config, scaling AutoScaling, log *slog.Logger) *Handler {
	if cfg.MaxInstances == 0 {
		cfg.MaxInstances = defaultMaxInstances
	}
	return &Handler{cfg: cfg, scaling: scaling, log: log, now: time.Now, sleep: sleep,
		jitter: func(max time.Duration) time.Duration { return time.Duration(rand.Int64N(int64(max) + 1)) }}
}

// Outcome is the answer to one invocation, for the runtime adapter to send.
type Outcome struct {
	HTTP   bool   // came through an HTTP trigger: answer with Status and Body
	Status int    // the HTTP status of the answer
	Body   []byte // JSON: an Answer, or the error {"Code","Message","RequestId"}
	Err    *Error // non-nil: the invocation failed (non-HTTP sources report it as such)
}

// Answer is the success answer. An event that needs no action carries only
// Ignored.
type Answer struct {
	RequestID         string     `json:"RequestId,omitempty"`
	ScalingActivityID string     `json:"ScalingActivityId,omitempty"`
	ScalingGroupID    string     `json:"ScalingGroupId,omitempty"`
	InstanceIDs       []string   `json:"InstanceIds,omitempty"`
	Activities        []Activity `json:"Activities,omitempty"`
	Skipped           []Skipped  `json:"Skipped,omitempty"`
	Ignored           string     `json:"Ignored,omitempty"`
	// Instances says, for each instance named, what became of it.
	Instances []InstanceResult `json:"Instances,omitempty"`
	// A dry run answers the calls it would have made, and makes none.
	DryRun  bool          `json:"DryRun,omitempty"`
	Planned []StandbyCall `json:"Planned,omitempty"`
}

// errorBody is the failure answer; when some calls were made before the
// failure, it says what they did.
type errorBody struct {
	Code       string           `json:"Code"`
	Message    string           `json:"Message"`
	RequestID  string           `json:"RequestId,omitempty"`
	Activities []Activity       `json:"Activities,omitempty"`
	Instances  []InstanceResult `json:"Instances,omitempty"`
}

// MaxPayload is the largest event accepted; a larger one is refused before
// parsing. FC's own limits are 128 KB for async and 32 MB for sync events;
// a real request is a few hundred bytes.
const MaxPayload = 1 << 20

// ErrTooLarge refuses an event over MaxPayload.
var ErrTooLarge = &Error{Kind: Invalid, Code: "InvalidParameter", Message: "the event is larger than 1 MiB"}

// Refuse answers an invocation the runtime adapter could not even read.
func (h *Handler) Refuse(ctx context.Context, inv Invocation, viaHTTP bool, err error) Outcome {
	return h.finish(ctx, inv, h.now(), decoded{trigger: "unread"}, viaHTTP, Answer{}, err, run{})
}

// Invoke answers an event invocation: the payload is whatever the trigger
// sent, and its source is told apart by its fields.
func (h *Handler) Invoke(ctx context.Context, inv Invocation, payload []byte) Outcome {
	start := h.now()
	if len(payload) > MaxPayload {
		return h.finish(ctx, inv, start, decoded{trigger: "unread"}, false, Answer{}, ErrTooLarge, run{})
	}
	d, req, err := decodeEvent(payload)
	switch {
	case err != nil:
		return h.finish(ctx, inv, start, decoded{trigger: "http"}, true, Answer{}, err, run{})
	case req != nil:
		return h.InvokeHTTP(ctx, inv, *req)
	}
	var r run
	answer, err := h.act(ctx, inv, d, &r)
	return h.finish(ctx, inv, start, d, false, answer, err, r)
}

// decodeEvent tells an event's source apart and decodes it. An HTTP-trigger
// event comes back as the HTTP request it carries.
func decodeEvent(payload []byte) (decoded, *HTTPRequest, error) {
	switch classify(payload) {
	case sourceHTTP:
		req, err := decodeFCHTTPEvent(payload)
		return decoded{}, &req, err
	case sourceCloudEvent:
		return decodeCloudEvent(payload), nil, nil
	case sourceTimer:
		return decodeTimer(payload), nil, nil
	case sourceRawData:
		return decodeRawData(payload), nil, nil
	}
	return decoded{trigger: "direct", draft: decodeDirect(payload)}, nil, nil
}

// InvokeHTTP answers an HTTP-trigger request; failures are HTTP answers too.
func (h *Handler) InvokeHTTP(ctx context.Context, inv Invocation, req HTTPRequest) Outcome {
	start := h.now()
	if len(req.Body) > MaxPayload {
		return h.finish(ctx, inv, start, decoded{trigger: "http"}, true, Answer{}, ErrTooLarge, run{})
	}
	if h.cfg.AuthToken != "" {
		var ok bool
		if req, ok = authenticate(req, h.cfg.AuthToken); !ok {
			return h.finish(ctx, inv, start, decoded{trigger: "http"}, true, Answer{}, errUnauthorized, run{guard: "AUTH_TOKEN"})
		}
	}
	d := decodeHTTP(req)
	var r run
	answer, err := h.act(ctx, inv, d, &r)
	return h.finish(ctx, inv, start, d, true, answer, err, r)
}

// act validates the decoded request and makes the calls it needs.
func (h *Handler) act(ctx context.Context, inv Invocation, d decoded, r *run) (Answer, error) {
	if d.recovered && h.cfg.ExitOnOK {
		d.ignored, d.draft.action = "", param{name: "alertState", value: string(ExitStandby)}
	}
	if d.ignored != "" && len(d.draft.problems) == 0 {
		return Answer{Ignored: d.ignored}, nil
	}
	req, skipped, err := d.draft.validate(h.cfg.MaxInstances)
	if err != nil {
		return Answer{}, err
	}
	session, err := h.session(inv, req)
	if err != nil {
		return Answer{}, err
	}
	p, err := h.plan(ctx, r, session, req, cmp.Or(d.identity, "request:"+inv.RequestID))
	if err != nil {
		return Answer{}, err
	}
	p.report = append(p.report, duplicates(skipped)...)
	if req.DryRun || h.cfg.DryRun {
		return p.answer(true), nil
	}
	if len(p.calls) == 0 {
		h.recover(ctx, r, session, p)
		return p.answer(false), nil
	}
	err = h.execute(ctx, r, session, p)
	if err == nil && (req.Wait || h.cfg.Wait) {
		h.wait(ctx, r, session, p)
	}
	return p.answer(false), err
}

// session picks the region and the credentials of the calls: the request's
// region, else the setting, else FC's; the invocation's credentials, else
// the settings'.
func (h *Handler) session(inv Invocation, req Request) (Session, error) {
	s := Session{
		Region:      cmp.Or(req.RegionID, h.cfg.Region, inv.Region, h.cfg.FCRegion),
		Credentials: inv.Credentials,
	}
	if !s.Credentials.complete() {
		s.Credentials = h.cfg.Credentials
	}
	if s.Region == "" {
		return s, &Error{Kind: Invalid, Code: "MissingParameter", Message: "RegionId: the request names no region and neither ALIBABA_CLOUD_REGION_ID nor FC_REGION is set"}
	}
	if !s.Credentials.complete() {
		return s, &Error{Kind: Internal, Code: "MissingCredentials", Message: "the invocation brought no credentials: attach a RAM role to the function (or set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET)"}
	}
	return s, nil
}
