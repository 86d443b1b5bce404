package standby

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// An operator's view of what is parked (Status) and a hand to take it back
// (Release): the same reads, judgements and guards as the function's, so
// that what an operator is shown is what a sweep would say, and what they
// take back goes the way the function's own exits go.

// StatusLine is what Status says of one Standby instance: a sweep's
// judgement of its lease (Result: Leased, LeaseEnded, Untagged,
// LeaseInvalid or NotParked) and what its tags say.
type StatusLine struct {
	InstanceID     string `json:"InstanceId"`
	ScalingGroupID string `json:"ScalingGroupId"`
	Result         string `json:"Result"`
	Source         string `json:"Source,omitempty"` // ess-standby:source: what parked it
	Rule           string `json:"Rule,omitempty"`   // ess-standby:rule: what it was parked for
	Since          string `json:"Since,omitempty"`  // ess-standby:since, as written
	Until          string `json:"Until,omitempty"`  // ess-standby:until, as written
	// Attention: a person must look at it; every Result but Leased: a lease
	// over, tags owed or untrue, or a Standby the function did not make.
	Attention bool   `json:"Attention"`
	Reason    string `json:"Reason,omitempty"`
}

// Bound is one guard's figures for a group, as its plan would judge them
// on the counts just read.
type Bound struct {
	Setting string `json:"Setting"` // as written: 2, or 50%
	// Count is MIN_IN_SERVICE's instances kept InService, or MAX_STANDBY's
	// most in Standby, of the group's instances now.
	Count int `json:"Count"`
	// Room is how many more instances it lets enter Standby: none at the
	// bound, or past it.
	Room int `json:"Room"`
}

// GroupStatus is one group's counts, the room its guards leave, and its
// Standby instances.
type GroupStatus struct {
	ScalingGroupID string       `json:"ScalingGroupId"`
	InService      int          `json:"InService"`
	Standby        int          `json:"Standby"`
	Total          int          `json:"Total"`                  // in every state
	MinInService   *Bound       `json:"MinInService,omitempty"` // nil: MIN_IN_SERVICE unset
	MaxStandby     *Bound       `json:"MaxStandby,omitempty"`   // nil: MAX_STANDBY unset
	Instances      []StatusLine `json:"Instances"`
	// Code and Message say why the group could not be read; its figures
	// then say nothing.
	Code    string `json:"Code,omitempty"`
	Message string `json:"Message,omitempty"`
}

// Room is how many more of the group the guards let the function park
// now, the tighter guard's; ok is false when neither is set.
func (g GroupStatus) Room() (room int, ok bool) {
	var rooms []int
	for _, b := range []*Bound{g.MinInService, g.MaxStandby} {
		if b != nil {
			rooms = append(rooms, b.Room)
		}
	}
	if len(rooms) == 0 {
		return 0, false
	}
	return slices.Min(rooms), true
}

// Status is what is in Standby in the groups the function may act on,
// judged at At.
type Status struct {
	Region string        `json:"Region"`
	At     time.Time     `json:"At"`
	Groups []GroupStatus `json:"Groups"`
}

// Status reads the groups a sweep would (the request's, else
// ALLOWED_SCALING_GROUP_IDS, else every group of the region) and says of
// each its counts, the room MIN_IN_SERVICE and MAX_STANDBY leave, and its
// Standby instances, each judged as the sweep judges it. It changes
// nothing, not even the tags a sweep would write again. Its reads are a
// sweep's: the Standby list paged, tags TagBatch instances a call. A
// group it cannot read is answered with why, after the others; the first
// such failure is returned.
func (s *Service) Status(ctx context.Context, inv Invocation, req Request) (Status, Stats, error) {
	var st Stats
	if g := req.ScalingGroupID; g != "" && !s.allowed(g) {
		return Status{}, st, notAllowed(g)
	}
	sess, err := s.session(inv, req)
	if err != nil {
		return Status{}, st, err
	}
	groups, st, err := s.actsOn(ctx, sess, req)
	if err != nil {
		return Status{}, st, err
	}
	out := Status{Region: sess.Region, At: s.now().UTC(), Groups: []GroupStatus{}}
	var failure error
	for _, group := range groups {
		gs, gst, err := s.groupStatus(ctx, sess, group, out.At)
		st.add(gst)
		if err != nil {
			e := AsError(err)
			gs = GroupStatus{ScalingGroupID: group, Instances: []StatusLine{}, Code: e.Code, Message: e.Message}
			failure = cmp.Or(failure, err)
		}
		out.Groups = append(out.Groups, gs)
	}
	return out, st, failure
}

// groupStatus reads one group: its InService count, its Standby list and
// its count in all, parts before the whole as a plan's guard reads them,
// then the Standby instances' tags.
func (s *Service) groupStatus(ctx context.Context, sess Session, group string, now time.Time) (GroupStatus, Stats, error) {
	gs := GroupStatus{ScalingGroupID: group, Instances: []StatusLine{}}
	var st Stats
	read := func(do func(context.Context) error) error {
		rst, err := s.retry(ctx, do)
		st.add(rst)
		return err
	}
	var ids []string
	if err := read(func(ctx context.Context) (err error) {
		gs.InService, err = s.cloud.Scaling.CountInstances(ctx, sess, group, "InService")
		return err
	}); err != nil {
		return gs, st, err
	}
	if err := read(func(ctx context.Context) (err error) {
		ids, err = s.cloud.Scaling.InstancesIn(ctx, sess, group, "Standby")
		return err
	}); err != nil {
		return gs, st, err
	}
	if err := read(func(ctx context.Context) (err error) {
		gs.Total, err = s.cloud.Scaling.CountInstances(ctx, sess, group, "")
		return err
	}); err != nil {
		return gs, st, err
	}
	slices.Sort(ids)
	gs.Standby = len(ids)
	if m := s.cfg.MinInService; m.set() {
		keep, setting := m.of(gs.Total, true)
		gs.MinInService = &Bound{Setting: setting, Count: keep, Room: max(gs.InService-keep, 0)}
	}
	if m := s.cfg.MaxStandby; m.set() {
		most, setting := m.of(gs.Total, false)
		gs.MaxStandby = &Bound{Setting: setting, Count: most, Room: max(most-gs.Standby, 0)}
	}
	owed := s.tags.owedIn(group)
	for chunk := range slices.Chunk(ids, TagBatch) {
		var tags map[string]Tags
		if err := read(func(ctx context.Context) (err error) {
			tags, err = s.cloud.Instances.InstanceTags(ctx, sess, chunk, TagPrefix)
			return err
		}); err != nil {
			return gs, st, err
		}
		for _, id := range chunk {
			gs.Instances = append(gs.Instances, s.statusLine(s.judgeLease(id, group, tags[id], owed, now), now))
		}
	}
	return gs, st, nil
}

// statusLine is a sweep's line as Status says it: an ended lease is only
// said to be over, whatever LEASE_END would make of it.
func (s *Service) statusLine(l SweepLine, now time.Time) StatusLine {
	out := StatusLine{InstanceID: l.InstanceID, ScalingGroupID: l.ScalingGroupID, Result: l.Result,
		Source: l.Tags[TagSource], Rule: l.Tags[TagRule], Since: l.Tags[TagSince], Until: l.Tags[TagUntil],
		Attention: l.Result != Leased, Reason: l.Reason}
	if l.Result == LeaseEnded {
		until, _ := leaseOf(l.Tags)
		out.Reason = leaseOver(now, until)
	}
	return out
}

// NotParkedCode is Release's refusal of an instance in Standby that the
// function did not park.
const NotParkedCode = "Forbidden.NotParked"

// Release takes instances out of Standby at an operator's hand: an
// ExitStandby through Run, with every rule of the function's own exits
// (ALLOWED_SCALING_GROUP_IDS, MAX_INSTANCES, only Standby instances, the
// tokens, the tags removed by the tagger, DRY_RUN or req.DryRun planning
// instead). Unless force, an instance in Standby without the function's
// tags (what a sweep calls NotParked) is refused, before any call: who
// parked it decides when it is done with it. Its tags are read for that,
// and an instance whose tags cannot be read is left Failed, nothing
// assumed. An instance that some other hand parks between that read and
// Run's own is taken back: the read is a moment older than the call.
func (s *Service) Release(ctx context.Context, inv Invocation, req Request, force bool) (Result, Stats) {
	req.Action = ExitStandby
	run := func(req Request) (Result, Stats) {
		answers, st := s.Run(ctx, inv, req)
		return answers[0], st
	}
	sess, err := s.session(inv, req)
	scope := cmp.Or(req.ScalingGroupID, s.cfg.ScalingGroupID)
	if force || err != nil || len(req.InstanceIDs) == 0 || len(req.InstanceIDs) > s.cfg.MaxInstances || scope != "" && !s.allowed(scope) {
		return run(req) // Run refuses what these refuse, as it refuses a caller's
	}
	var st Stats
	r := s.readAll(ctx, sess, scope, req.InstanceIDs)
	st.add(r.st)
	decided := map[string]InstanceResult{}
	byGroup := map[string][]string{}
	var groups []string
	for _, id := range req.InstanceIDs {
		in, found := r.found[id]
		if err := r.failed[id]; err != nil {
			line := InstanceResult{InstanceID: id}
			line.fail(err)
			decided[id] = line
			continue
		}
		if !found || in.LifecycleState != "Standby" || !s.allowed(in.ScalingGroupID) {
			continue // Run says what it says of it
		}
		if byGroup[in.ScalingGroupID] == nil {
			groups = append(groups, in.ScalingGroupID)
		}
		byGroup[in.ScalingGroupID] = append(byGroup[in.ScalingGroupID], id)
	}
	now := s.now()
	for _, group := range groups {
		owed := s.tags.owedIn(group)
		for chunk := range slices.Chunk(byGroup[group], TagBatch) {
			var tags map[string]Tags
			rst, err := s.retry(ctx, func(ctx context.Context) (err error) {
				tags, err = s.cloud.Instances.InstanceTags(ctx, sess, chunk, TagPrefix)
				return err
			})
			st.add(rst)
			for _, id := range chunk {
				line := InstanceResult{InstanceID: id, ScalingGroupID: group, LifecycleState: "Standby"}
				switch {
				case err != nil:
					line.fail(err)
				case s.judgeLease(id, group, tags[id], owed, now).Result == NotParked:
					line.fail(&Error{Kind: Forbidden, Code: NotParkedCode, Message: "in Standby without the function's tags (" + TagPrefix +
						"*): parked by someone else (or by the function in a process since gone, its tags never written), who decides when it is done with; taking it back anyway must be asked for"})
				default:
					continue
				}
				decided[id] = line
			}
		}
	}
	rest := slices.DeleteFunc(slices.Clone(req.InstanceIDs), func(id string) bool { _, ok := decided[id]; return ok })
	var out Result
	if len(rest) > 0 {
		narrowed := req
		narrowed.InstanceIDs = rest
		var rst Stats
		out, rst = run(narrowed)
		st.add(rst)
	} else {
		for _, d := range req.Duplicates {
			out.Instances = append(out.Instances, InstanceResult{InstanceID: d.InstanceID, Result: skipped, Reason: d.Reason})
			out.Skipped = append(out.Skipped, d)
		}
		out.DryRun = req.DryRun || s.cfg.DryRun
	}
	// Each named instance's line in the order named, then the duplicates',
	// as Run answers them.
	ran := map[string]InstanceResult{}
	for _, l := range out.Instances[:len(rest)] {
		ran[l.InstanceID] = l
	}
	lines := make([]InstanceResult, 0, len(out.Instances)+len(decided))
	for _, id := range req.InstanceIDs {
		if l, ok := decided[id]; ok {
			lines = append(lines, l)
		} else {
			lines = append(lines, ran[id])
		}
	}
	out.Instances = append(lines, out.Instances[len(rest):]...)
	return out, st
}
