package standby

import (
	"context"
	"slices"
	"time"
)

// LeaseEnd is what a sweep does with an instance whose lease has ended.
type LeaseEnd string

const (
	// LeaseReport reports it, at ERROR, so that the alert fires; nothing
	// is changed. The default: who parked an instance decides when it is
	// done with.
	LeaseReport LeaseEnd = "report"
	// LeaseExit takes it back: ExitStandby, through every guard.
	LeaseExit LeaseEnd = "exit"
)

// What a sweep found of a Standby instance (SweepLine.Result).
const (
	Leased     = "Leased"     // parked by the function, its lease running
	LeaseEnded = "LeaseEnded" // parked by the function, its lease over: reported
	Returned   = "Returned"   // its lease over, taken back (LEASE_END=exit)
	NotParked  = "NotParked"  // in Standby without the function's tags: reported, never touched
)

// SweepLine is what a sweep found of one Standby instance.
type SweepLine struct {
	InstanceID     string `json:"InstanceId"`
	ScalingGroupID string `json:"ScalingGroupId"`
	Result         string `json:"Result"` // Leased, LeaseEnded, Returned, NotParked, or an exit's Refused or Failed
	Until          string `json:"Until,omitempty"`
	Tags           Tags   `json:"Tags,omitempty"` // the function's, as found
	Code           string `json:"Code,omitempty"` // why an exit was Refused or Failed
	Reason         string `json:"Reason,omitempty"`
}

// Swept is what a sweep found, group by group.
type Swept struct {
	Groups    []string    `json:"Groups"`
	Instances []SweepLine `json:"Instances"`
	DryRun    bool        `json:"DryRun,omitempty"` // an ended lease's exit is only planned
}

// Sweep looks at the leases of every Standby instance of the groups the
// function may act on: the request's group, else ALLOWED_SCALING_GROUP_IDS,
// else every group of the region. An instance without the function's tags
// is reported and never touched; one whose lease has ended is reported, or
// with LEASE_END=exit taken back, through every guard. A group it cannot
// read fails the sweep, after the others are done: a retry does the rest.
func (s *Service) Sweep(ctx context.Context, inv Invocation, req Request) (Swept, Stats, error) {
	var st Stats
	if g := req.ScalingGroupID; g != "" && !s.allowed(g) {
		return Swept{}, st, notAllowed(g)
	}
	sess, err := s.session(inv, req)
	if err != nil {
		return Swept{}, st, err
	}
	groups := slices.Clone(s.cfg.AllowedGroups)
	switch {
	case req.ScalingGroupID != "":
		groups = []string{req.ScalingGroupID}
	case len(groups) == 0:
		if st, err = s.retry(ctx, func(ctx context.Context) (err error) {
			groups, err = s.scaling.ScalingGroups(ctx, sess)
			return err
		}); err != nil {
			return Swept{}, st, err
		}
	}
	slices.Sort(groups)
	out := Swept{Groups: slices.Compact(groups), Instances: []SweepLine{}, DryRun: req.DryRun || s.cfg.DryRun}
	var failure error
	for _, group := range out.Groups {
		lines, gst, err := s.sweepGroup(ctx, inv, sess, req, group)
		st.add(gst)
		out.Instances = append(out.Instances, lines...)
		if err != nil && failure == nil {
			failure = err
		}
	}
	return out, st, failure
}

// sweepGroup judges the leases of one group's Standby instances.
func (s *Service) sweepGroup(ctx context.Context, inv Invocation, sess Session, req Request, group string) ([]SweepLine, Stats, error) {
	var ids []string
	st, err := s.retry(ctx, func(ctx context.Context) (err error) {
		ids, err = s.scaling.InstancesIn(ctx, sess, group, "Standby")
		return err
	})
	if err != nil {
		return nil, st, err
	}
	slices.Sort(ids)
	now := s.now()
	var lines []SweepLine
	var ended []string
	for chunk := range slices.Chunk(ids, batchSize) {
		var tags map[string]Tags
		tst, err := s.retry(ctx, func(ctx context.Context) (err error) {
			tags, err = s.scaling.InstanceTags(ctx, sess, chunk, TagPrefix)
			return err
		})
		st.add(tst)
		if err != nil {
			return lines, st, err
		}
		for _, id := range chunk {
			line := SweepLine{InstanceID: id, ScalingGroupID: group, Tags: tags[id], Until: tags[id][TagUntil]}
			until, err := time.Parse(time.RFC3339, line.Until)
			switch {
			case err != nil:
				line.Result, line.Reason = NotParked, "in Standby without the function's "+TagUntil+" tag: parked by someone else, and left alone"
			case now.Before(until):
				line.Result = Leased
			case s.cfg.LeaseEnd == LeaseExit:
				ended = append(ended, id)
				continue // answered below
			default:
				line.Result, line.Reason = LeaseEnded, "its lease ended "+now.Sub(until).Round(time.Second).String()+" ago (LEASE_END=report)"
			}
			lines = append(lines, line)
		}
	}
	if len(ended) == 0 {
		return lines, st, nil
	}
	// Taken back as any request would be, every guard included; the
	// invocation's request ID roots the tokens, so a retry replays them.
	answers, rst := s.Run(ctx, inv, Request{Action: ExitStandby, ScalingGroupID: group, InstanceIDs: ended, DryRun: req.DryRun, Reason: Reason{Source: "sweep"}})
	st.add(rst)
	for _, l := range answers[0].Instances {
		line := SweepLine{InstanceID: l.InstanceID, ScalingGroupID: group, Result: l.Result, Code: l.Code, Reason: l.Reason}
		if l.Result == ExitStandby.done() {
			line.Result = Returned
		}
		lines = append(lines, line)
	}
	var failed error
	for _, l := range answers[0].Instances {
		if l.Left() {
			failed = l.Err
			break
		}
	}
	return lines, st, failed
}
