// Package standby is the core of ess-standby: it takes a validated request
// to put instances into Standby (or take them out), reads their state,
// applies the guard rails, makes the EnterStandby or ExitStandby calls in
// batches of 20 with idempotent tokens, retries what may succeed, and
// reports what became of every instance. It knows no payload shapes: the
// trigger package decodes events into a Draft, which Validate checks.
//
// Failures are *Error values: a kind (which maps to an HTTP status), an
// error code (Auto Scaling's pass through) and a message safe for callers.
// The cause is logged, never returned.
package standby

import (
	"cmp"
	"context"
	"math/rand/v2"
	"time"
)

// Config is the core's share of the settings, parsed once at start.
type Config struct {
	Region         string      // ALIBABA_CLOUD_REGION_ID: for invocations that name none
	FCRegion       string      // FC_REGION: the function's own region, the last resort
	ScalingGroupID string      // SCALING_GROUP_ID: for events that name no group
	Credentials    Credentials // ALIBABA_CLOUD_ACCESS_KEY_*: when the invocation brings none
	DryRun         bool        // DRY_RUN: decide and report, change nothing
	AllowedGroups  []string    // ALLOWED_SCALING_GROUP_IDS: empty allows any
	MaxInstances   int         // MAX_INSTANCES: most instances one invocation acts on
	MinInService   MinInService
	Wait           bool // WAIT: wait for each activity to finish
}

// MinInService is how many InService instances a group must keep: Count, or
// Percent of the group's instances (rounded up). Zero values: no guard.
type MinInService struct {
	Count, Percent int
}

// DefaultMaxInstances is MAX_INSTANCES when unset.
const DefaultMaxInstances = 100

// Service runs requests against Auto Scaling. It is safe for concurrent use.
type Service struct {
	cfg     Config
	scaling AutoScaling
	sleep   func(context.Context, time.Duration) error
	jitter  func(ceiling time.Duration) time.Duration
}

func New(cfg Config, scaling AutoScaling) *Service {
	if cfg.MaxInstances == 0 {
		cfg.MaxInstances = DefaultMaxInstances
	}
	return &Service{cfg: cfg, scaling: scaling, sleep: sleep,
		jitter: func(ceiling time.Duration) time.Duration { return time.Duration(rand.Int64N(int64(ceiling) + 1)) }}
}

// MaxInstances is the most instances one invocation may name.
func (s *Service) MaxInstances() int { return s.cfg.MaxInstances }

// Stats is what one invocation did, for its log line.
type Stats struct {
	Attempts int           // Auto Scaling calls, retries included
	Backoff  time.Duration // time spent waiting between attempts
	Guard    string        // the guard rail that refused, if any
}

// Run makes the calls a validated request needs and answers what became of
// each instance. identity names the event the request came from, stably
// across its re-deliveries: the calls' ClientTokens derive from it. A
// failure after some calls were made still returns what they did.
func (s *Service) Run(ctx context.Context, inv Invocation, req Request, identity string, st *Stats) (Answer, error) {
	session, err := s.session(inv, req)
	if err != nil {
		return Answer{}, err
	}
	p, err := s.plan(ctx, st, session, req, cmp.Or(identity, "request:"+inv.RequestID))
	if err != nil {
		return Answer{}, err
	}
	if req.DryRun || s.cfg.DryRun {
		return p.answer(true), nil
	}
	if len(p.calls) == 0 {
		s.replay(ctx, st, session, p)
		return p.answer(false), nil
	}
	err = s.execute(ctx, st, session, p)
	if err == nil && (req.Wait || s.cfg.Wait) {
		s.wait(ctx, st, session, p)
	}
	return p.answer(false), err
}

// Region is the region a request's calls go to: the request's, else the
// setting's, else FC's.
func (s *Service) Region(inv Invocation, req Request) string {
	return cmp.Or(req.RegionID, s.cfg.Region, inv.Region, s.cfg.FCRegion)
}

// session picks the region and the credentials of the calls (the
// invocation's credentials, else the settings').
func (s *Service) session(inv Invocation, req Request) (Session, error) {
	sess := Session{
		Region:      s.Region(inv, req),
		Credentials: inv.Credentials,
	}
	if !sess.Credentials.Complete() {
		sess.Credentials = s.cfg.Credentials
	}
	if sess.Region == "" {
		return sess, &Error{Kind: Invalid, Code: "MissingParameter", Message: "RegionId: the request names no region and neither ALIBABA_CLOUD_REGION_ID nor FC_REGION is set"}
	}
	if !sess.Credentials.Complete() {
		return sess, &Error{Kind: Internal, Code: "MissingCredentials", Message: "the invocation brought no credentials: attach a RAM role to the function (or set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET)"}
	}
	return sess, nil
}
