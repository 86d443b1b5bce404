package standby

import (
	"context"
	"fmt"
	"maps"
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
	// Untagged: parked by this function, which owes its tags (ECS did not
	// confirm them): reported at ERROR, its lease judged from what the
	// tags should say, and the tags written again.
	Untagged = "Untagged"
	// LeaseInvalid: its tags say a lease no setting could have made (an
	// until past since plus the longest lease, before since, or no time
	// at all): reported at ERROR, and trusted neither way.
	LeaseInvalid = "LeaseInvalid"
)

// MaxLease is the longest lease STANDBY_LEASE may set: a lease its tags
// say is longer was not written by this function as it stands.
const MaxLease = 90 * 24 * time.Hour

// sweepWave is how many ended leases a sweep takes back before it looks at
// the time it has left; sweepReserve is the time it keeps for a wave and
// its answer. What it has no time for is left for the next sweep.
const (
	sweepWave    = 100
	sweepReserve = 5 * time.Second
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
	// Left counts the ended leases (LEASE_END=exit) this sweep had no time
	// to take back: the next sweep does.
	Left int `json:"Left,omitempty"`
}

// Sweep looks at the leases of every Standby instance of the groups the
// function may act on: the request's group, else ALLOWED_SCALING_GROUP_IDS,
// else every group of the region. An instance without the function's tags
// is reported and never touched; one whose lease has ended is reported, or
// with LEASE_END=exit taken back, through every guard. A group it cannot
// read fails the sweep, after the others are done: a retry does the rest.
func (s *Service) Sweep(ctx context.Context, inv Invocation, req Request) (Swept, Stats, error) {
	sess, groups, st, err := s.actsOn(ctx, inv, req)
	if err != nil {
		return Swept{}, st, err
	}
	out := Swept{Groups: groups, Instances: []SweepLine{}, DryRun: req.DryRun || s.cfg.DryRun}
	var failure error
	for _, group := range out.Groups {
		lines, gst, left, err := s.sweepGroup(ctx, inv, sess, req, group)
		st.add(gst)
		out.Left += left
		out.Instances = append(out.Instances, lines...)
		if err != nil && failure == nil {
			failure = err
		}
	}
	return out, st, failure
}

// actsOn opens the request's session and lists the groups the function
// may act on, sorted, each once: the request's group (refused outside
// ALLOWED_SCALING_GROUP_IDS), else ALLOWED_SCALING_GROUP_IDS, else every
// group of the region. A sweep and an operator's status look at the same
// groups.
func (s *Service) actsOn(ctx context.Context, inv Invocation, req Request) (Session, []string, Stats, error) {
	var st Stats
	if g := req.ScalingGroupID; g != "" && !s.allowed(g) {
		return Session{}, nil, st, notAllowed(g)
	}
	sess, err := s.session(inv, req)
	if err != nil {
		return Session{}, nil, st, err
	}
	groups := slices.Clone(s.cfg.AllowedGroups)
	switch {
	case req.ScalingGroupID != "":
		groups = []string{req.ScalingGroupID}
	case len(groups) == 0:
		if st, err = s.retry(ctx, func(ctx context.Context) (err error) {
			groups, err = s.cloud.Scaling.ScalingGroups(ctx, sess)
			return err
		}); err != nil {
			return Session{}, nil, st, err
		}
	}
	slices.Sort(groups)
	return sess, slices.Compact(groups), st, nil
}

// sweepGroup judges the leases of one group's Standby instances, writes
// again the tags this process owes the group, and with LEASE_END=exit
// takes back the ended leases it has time for.
func (s *Service) sweepGroup(ctx context.Context, inv Invocation, sess Session, req Request, group string) ([]SweepLine, Stats, int, error) {
	var ids []string
	st, err := s.retry(ctx, func(ctx context.Context) (err error) {
		ids, err = s.cloud.Scaling.InstancesIn(ctx, sess, group, "Standby")
		return err
	})
	if err != nil {
		return nil, st, 0, err
	}
	slices.Sort(ids)
	dryRun := req.DryRun || s.cfg.DryRun
	owed := s.tags.owedIn(group)
	if !dryRun {
		s.repay(ctx, sess, owed)
		owed = s.tags.owedIn(group)
	}
	readAt := s.now()
	var lines []SweepLine
	var ended []string
	for chunk := range slices.Chunk(ids, TagBatch) {
		tags, tst, err := s.readTags(ctx, sess, chunk)
		st.add(tst)
		if err != nil {
			return lines, st, 0, err
		}
		for _, id := range chunk {
			line := s.judgeLease(id, group, tags[id], owed, readAt)
			if line.Result == LeaseEnded && s.cfg.LeaseEnd == LeaseExit {
				ended = append(ended, id)
				continue // answered below
			}
			lines = append(lines, line)
		}
	}
	returned, rst, left, err := s.takeBack(ctx, inv, group, ended, readAt, dryRun)
	st.add(rst)
	return append(lines, returned...), st, left, err
}

// readTags reads the function's tags of instances (TagBatch at most),
// retried as every read is.
func (s *Service) readTags(ctx context.Context, sess Session, ids []string) (map[string]Tags, Stats, error) {
	var tags map[string]Tags
	st, err := s.retry(ctx, func(ctx context.Context) (err error) {
		tags, err = s.cloud.Instances.InstanceTags(ctx, sess, ids, TagPrefix)
		return err
	})
	return tags, st, err
}

// judgeLease says what a Standby instance's tags (or, while they are owed,
// what they should say) make of its lease at now.
func (s *Service) judgeLease(id, group string, tags Tags, owed map[string]Owed, now time.Time) SweepLine {
	line := SweepLine{InstanceID: id, ScalingGroupID: group, Tags: tags, Until: tags[TagUntil]}
	o, isOwed := owed[id]
	switch {
	case len(tags) == 0 && isOwed && o.Action == EnterStandby:
		line.Tags, line.Until = o.Tags, o.Tags[TagUntil]
		line.Result, line.Reason = Untagged, fmt.Sprintf("parked by this function, whose tags ECS has not confirmed (%s) since %s: they are written again at each sweep",
			o.Code, o.Since.UTC().Format(time.RFC3339))
		if o.Writing {
			line.Reason = fmt.Sprintf("parked by this function, whose tags ECS has not confirmed since %s: they are being written", o.Since.UTC().Format(time.RFC3339))
		}
		if until, problem := leaseOf(o.Tags); problem == "" && !now.Before(until) {
			line.Reason += "; its lease is over: " + leaseOver(now, until)
		}
		return line
	case len(tags) == 0 || tags[TagUntil] == "" && tags[TagSince] == "":
		line.Result, line.Reason = NotParked, "in Standby without the function's tags: parked by someone else (or by this function in a process since gone, its tags never written: that invocation logged them untagged at ERROR), and left alone"
		return line
	}
	until, problem := leaseOf(tags)
	switch {
	case problem != "":
		line.Result, line.Reason = LeaseInvalid, problem+": trusted neither way, and left alone"
	case now.Before(until):
		line.Result = Leased
	default:
		line.Result, line.Reason = LeaseEnded, leaseOver(now, until)
		if s.cfg.LeaseEnd == LeaseReport {
			line.Reason += " (LEASE_END=report)"
		}
	}
	return line
}

// leaseOf reads a lease from tags: its end, or why the tags cannot be
// trusted with one. No setting makes a lease that ends before it began, or
// lasts longer than MaxLease.
func leaseOf(tags Tags) (time.Time, string) {
	until, err := time.Parse(time.RFC3339, tags[TagUntil])
	if err != nil {
		return until, fmt.Sprintf("its %s tag %s is no time", TagUntil, Quote(tags[TagUntil]))
	}
	since, err := time.Parse(time.RFC3339, tags[TagSince])
	switch {
	case err != nil:
		return until, fmt.Sprintf("its %s tag %s is no time", TagSince, Quote(tags[TagSince]))
	case until.Before(since):
		return until, fmt.Sprintf("its lease ends (%s) before it began (%s)", tags[TagUntil], tags[TagSince])
	case until.Sub(since) > MaxLease:
		return until, fmt.Sprintf("its lease (%s to %s) is longer than any STANDBY_LEASE (at most %s)", tags[TagSince], tags[TagUntil], formatSpan(MaxLease))
	}
	return until, ""
}

func leaseOver(now, until time.Time) string {
	return "its lease ended " + formatSpan(now.Sub(until)) + " ago"
}

// formatSpan is a duration as a person reads it: days past a day.
func formatSpan(d time.Duration) string {
	d = d.Round(time.Second)
	if d < 24*time.Hour {
		return d.String()
	}
	days, rest := int(d/(24*time.Hour)), (d % (24 * time.Hour)).Round(time.Hour)
	out := fmt.Sprintf("%d days", days)
	if days == 1 {
		out = "1 day"
	}
	if rest > 0 {
		out += fmt.Sprintf(" %dh", int(rest/time.Hour))
	}
	return out
}

// takeBack takes back the ended leases, a wave at a time, each through
// every guard, as long as the sweep has time for another wave; what is
// left is reported so, and counted. Instances that this process parked, or
// that a request asked for, since the tags were read (readAt) are left
// parked: the plan drops them (Request.TagsReadAt). The invocation's
// request ID roots the tokens, so a retry replays them.
func (s *Service) takeBack(ctx context.Context, inv Invocation, group string, ended []string, readAt time.Time, dryRun bool) ([]SweepLine, Stats, int, error) {
	var lines []SweepLine
	var st Stats
	var failed error
	for i := 0; i < len(ended); i += sweepWave {
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < sweepReserve {
			for _, id := range ended[i:] {
				lines = append(lines, SweepLine{InstanceID: id, ScalingGroupID: group, Result: LeaseEnded,
					Reason: "its lease is over; left for the next sweep, which has the time this one had not"})
			}
			return lines, st, len(ended) - i, failed
		}
		wave := ended[i:min(i+sweepWave, len(ended))]
		answers, rst := s.run(ctx, inv, nil, Request{Action: ExitStandby, ScalingGroupID: group, InstanceIDs: wave, DryRun: dryRun,
			Reason: Reason{Source: "sweep"}, TagsReadAt: readAt})
		st.add(rst)
		for _, l := range answers[0].Instances {
			line := SweepLine{InstanceID: l.InstanceID, ScalingGroupID: group, Result: l.Result, Code: l.Code, Reason: l.Reason}
			if l.Result == ExitStandby.done() {
				line.Result = Returned
			}
			lines = append(lines, line)
			if l.Left() && failed == nil {
				failed = l.Err
			}
		}
	}
	return lines, st, 0, failed
}

// repay writes again the tags this process owes a group's instances, and
// waits for them as an answer would.
func (s *Service) repay(ctx context.Context, sess Session, owed map[string]Owed) {
	if len(owed) == 0 {
		return
	}
	t := &ticket{index: map[string]int{}}
	var jobs []*tagJob
	for _, id := range slices.Sorted(maps.Keys(owed)) {
		o := owed[id]
		if o.Writing {
			continue // under way already: written as soon as ECS takes it
		}
		t.index[id] = len(t.lines)
		t.lines = append(t.lines, InstanceResult{InstanceID: id, Result: o.Action.done()})
		t.awaitTag(id)
		jobs = append(jobs, &tagJob{sess: sess, group: o.Group, action: o.Action, tags: o.Tags, id: id, done: func(err error) { t.tagDone(id, err) }})
	}
	if len(jobs) == 0 {
		return
	}
	s.tags.submit(sess.Region, jobs...)
	t.waitForTags(ctx, s.cfg.TagWait)
}
