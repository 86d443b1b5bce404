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
	"encoding/json"
	"log/slog"
	"slices"
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
}

// Handler answers invocations. It is safe for concurrent use.
type Handler struct {
	cfg     Config
	scaling AutoScaling
	log     *slog.Logger
	now     func() time.Time
}

func New(cfg Config, scaling AutoScaling, log *slog.Logger) *Handler {
	return &Handler{cfg: cfg, scaling: scaling, log: log, now: time.Now}
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
	// A dry run answers the calls it would have made, and makes none.
	DryRun  bool          `json:"DryRun,omitempty"`
	Planned []StandbyCall `json:"Planned,omitempty"`
}

type errorBody struct {
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	RequestID string `json:"RequestId,omitempty"`
}

// MaxPayload is the largest event accepted; a larger one is refused before
// parsing. FC's own limits are 128 KB for async and 32 MB for sync events;
// a real request is a few hundred bytes.
const MaxPayload = 1 << 20

// ErrTooLarge refuses an event over MaxPayload.
var ErrTooLarge = &Error{Kind: Invalid, Code: "InvalidParameter", Message: "the event is larger than 1 MiB"}

// Refuse answers an invocation the runtime adapter could not even read.
func (h *Handler) Refuse(ctx context.Context, inv Invocation, viaHTTP bool, err error) Outcome {
	return h.finish(ctx, inv, h.now(), decoded{trigger: "unread"}, viaHTTP, Answer{}, err)
}

// Invoke answers an event invocation: the payload is whatever the trigger
// sent, and its source is told apart by its fields.
func (h *Handler) Invoke(ctx context.Context, inv Invocation, payload []byte) Outcome {
	start := h.now()
	if len(payload) > MaxPayload {
		return h.finish(ctx, inv, start, decoded{trigger: "unread"}, false, Answer{}, ErrTooLarge)
	}
	var d decoded
	switch classify(payload) {
	case sourceHTTP:
		req, err := decodeFCHTTPEvent(payload)
		if err != nil {
			return h.finish(ctx, inv, start, decoded{trigger: "http"}, true, Answer{}, err)
		}
		return h.InvokeHTTP(ctx, inv, req)
	case sourceCloudEvent:
		d = decodeCloudEvent(payload)
	case sourceTimer:
		d = decodeTimer(payload)
	case sourceRawData:
		d = decodeRawData(payload)
	default:
		d = decoded{trigger: "direct", draft: decodeDirect(payload)}
	}
	answer, err := h.act(ctx, inv, d)
	return h.finish(ctx, inv, start, d, false, answer, err)
}

// InvokeHTTP answers an HTTP-trigger request; failures are HTTP answers too.
func (h *Handler) InvokeHTTP(ctx context.Context, inv Invocation, req HTTPRequest) Outcome {
	start := h.now()
	if len(req.Body) > MaxPayload {
		return h.finish(ctx, inv, start, decoded{trigger: "http"}, true, Answer{}, ErrTooLarge)
	}
	if h.cfg.AuthToken != "" {
		var ok bool
		if req, ok = authenticate(req, h.cfg.AuthToken); !ok {
			return h.finish(ctx, inv, start, decoded{trigger: "http"}, true, Answer{}, errUnauthorized)
		}
	}
	d := decodeHTTP(req)
	answer, err := h.act(ctx, inv, d)
	return h.finish(ctx, inv, start, d, true, answer, err)
}

// act validates the decoded request and makes the calls it needs.
func (h *Handler) act(ctx context.Context, inv Invocation, d decoded) (Answer, error) {
	if d.ignored != "" && len(d.draft.problems) == 0 {
		return Answer{Ignored: d.ignored}, nil
	}
	req, skipped, err := d.draft.validate()
	if err != nil {
		return Answer{}, err
	}
	session, err := h.session(inv, req)
	if err != nil {
		return Answer{}, err
	}
	calls, err := h.plan(ctx, session, req)
	if err != nil {
		return Answer{}, err
	}
	answer := Answer{Skipped: skipped}
	if req.DryRun || h.cfg.DryRun {
		answer.DryRun, answer.Planned = true, calls
		for _, c := range calls {
			answer.InstanceIDs = append(answer.InstanceIDs, c.InstanceIDs...)
		}
		return answer, nil
	}
	for _, call := range calls {
		activity, err := h.scaling.EnterStandby(ctx, session, call)
		if err != nil {
			return answer, err
		}
		answer.Activities = append(answer.Activities, activity)
		answer.InstanceIDs = append(answer.InstanceIDs, activity.InstanceIDs...)
	}
	first := answer.Activities[0]
	answer.RequestID, answer.ScalingActivityID, answer.ScalingGroupID = first.RequestID, first.ScalingActivityID, first.ScalingGroupID
	return answer, nil
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

// plan decides the calls: one per scaling group. Without a group from the
// request or the settings, each instance's group is looked up.
func (h *Handler) plan(ctx context.Context, s Session, req Request) ([]StandbyCall, error) {
	call := StandbyCall{ScalingGroupID: cmp.Or(req.ScalingGroupID, h.cfg.ScalingGroupID), ClientToken: req.ClientToken, Async: req.Async}
	if call.ScalingGroupID != "" {
		call.InstanceIDs = req.InstanceIDs
		return []StandbyCall{call}, nil
	}
	found, err := h.scaling.ScalingInstances(ctx, s, req.InstanceIDs)
	if err != nil {
		return nil, err
	}
	groupOf := map[string]string{}
	for _, in := range found {
		groupOf[in.InstanceID] = in.ScalingGroupID
	}
	var calls []StandbyCall
	var orphans []string
	for _, id := range req.InstanceIDs {
		group := groupOf[id]
		if group == "" {
			orphans = append(orphans, id)
			continue
		}
		i := slices.IndexFunc(calls, func(c StandbyCall) bool { return c.ScalingGroupID == group })
		if i < 0 {
			calls = append(calls, StandbyCall{ScalingGroupID: group, ClientToken: req.ClientToken, Async: req.Async})
			i = len(calls) - 1
		}
		calls[i].InstanceIDs = append(calls[i].InstanceIDs, id)
	}
	if len(orphans) > 0 {
		msg, _ := json.Marshal(orphans)
		return nil, &Error{Kind: NotFound, Code: "InvalidInstanceId.NotFound",
			Message: "instances in no scaling group of region " + s.Region + ": " + string(msg)}
	}
	if len(calls) > 1 && req.ClientToken != "" {
		// One token cannot name two different calls: ESS would refuse the second.
		for i := range calls {
			calls[i].ClientToken = batchToken(req.ClientToken, i)
		}
	}
	return calls, nil
}
