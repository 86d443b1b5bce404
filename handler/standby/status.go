package standby

import (
	"cmp"
	"context"
	"maps"
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
	sess, groups, st, err := s.actsOn(ctx, inv, req)
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
		tags, tst, err := s.readTags(ctx, sess, chunk)
		st.add(tst)
		if err != nil {
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
	sess, err := s.session(inv, req)
	scope := cmp.Or(req.ScalingGroupID, s.cfg.ScalingGroupID)
	if force || err != nil || s.refusedWhole(req, scope) {
		return s.runOne(ctx, inv, req) // Run refuses what these refuse, as it refuses a caller's
	}
	decided, st := s.decideBeforeRun(ctx, sess, scope, req.InstanceIDs)
	out, rst := s.runUndecided(ctx, inv, req, decided)
	st.add(rst)
	return out, st
}

// refusedWhole says Run refuses the request whole, as it refuses a
// caller's: no instance named, more than MAX_INSTANCES, or a scope outside
// ALLOWED_SCALING_GROUP_IDS. No tag is read for it.
func (s *Service) refusedWhole(req Request, scope string) bool {
	return len(req.InstanceIDs) == 0 || len(req.InstanceIDs) > s.cfg.MaxInstances || scope != "" && !s.allowed(scope)
}

// runOne runs one request and answers its result.
func (s *Service) runOne(ctx context.Context, inv Invocation, req Request) (Result, Stats) {
	answers, st := s.Run(ctx, inv, req)
	return answers[0], st
}

// decideBeforeRun reads the state of the instances named, then the tags of
// those a release must judge (see releaseCandidates), and answers the
// lines of the instances it decided: those whose reads failed, and those
// releaseRefusal refuses. The others are Run's.
func (s *Service) decideBeforeRun(ctx context.Context, sess Session, scope string, ids []string) (map[string]InstanceResult, Stats) {
	r := s.readAll(ctx, sess, scope, ids)
	decided, candidates := releaseCandidates(ids, r, s.allowed)
	st := r.st
	now := s.now()
	for _, group := range candidates.order {
		owed := s.tags.owedIn(group)
		for chunk := range slices.Chunk(candidates.ids[group], TagBatch) {
			tags, rst, err := s.readTags(ctx, sess, chunk)
			st.add(rst)
			for _, id := range chunk {
				if why := releaseRefusal(err, s.judgeLease(id, group, tags[id], owed, now).Result); why != nil {
					line := InstanceResult{InstanceID: id, ScalingGroupID: group, LifecycleState: "Standby"}
					line.fail(why)
					decided[id] = line
				}
			}
		}
	}
	return decided, st
}

// groupIDs is instance IDs by scaling group, the groups in the order
// first met.
type groupIDs struct {
	order []string
	ids   map[string][]string
}

func (g *groupIDs) add(group, id string) {
	if g.ids[group] == nil {
		g.order = append(g.order, group)
	}
	g.ids[group] = append(g.ids[group], id)
}

// releaseCandidates sorts the instances named by what their read found.
// One whose read failed is decided there, Failed (or Refused): nothing is
// assumed of it. One in Standby in a group the function may act on is a
// candidate, whose tags must say who parked it. Any other (not found, not
// in Standby, in a group not allowed) is Run's, to be answered as any
// exit answers it.
func releaseCandidates(ids []string, r read, allowed func(group string) bool) (map[string]InstanceResult, groupIDs) {
	decided := map[string]InstanceResult{}
	candidates := groupIDs{ids: map[string][]string{}}
	for _, id := range ids {
		in, found := r.found[id]
		if err := r.failed[id]; err != nil {
			line := InstanceResult{InstanceID: id}
			line.fail(err)
			decided[id] = line
			continue
		}
		if found && in.LifecycleState == "Standby" && allowed(in.ScalingGroupID) {
			candidates.add(in.ScalingGroupID, id)
		}
	}
	return decided, candidates
}

// releaseRefusal is why a release refuses a candidate, given the read of
// its tags and the sweep's judgement of them: tags that could not be read
// (nothing is assumed), or no tags of the function's (NotParked: who
// parked it decides when it is done with it); nil lets Run take it back,
// whatever its lease says.
func releaseRefusal(tagsErr error, judged string) error {
	switch {
	case tagsErr != nil:
		return tagsErr
	case judged == NotParked:
		return &Error{Kind: Forbidden, Code: NotParkedCode, Message: "in Standby without the function's tags (" + TagPrefix +
			"*): parked by someone else (or by the function in a process since gone, its tags never written), who decides when it is done with; taking it back anyway must be asked for"}
	}
	return nil
}

// runUndecided runs the exit for the instances named that are not decided
// (answering, when none is left, the duplicates alone), and answers every
// line as Run would: see inNamedOrder.
func (s *Service) runUndecided(ctx context.Context, inv Invocation, req Request, decided map[string]InstanceResult) (Result, Stats) {
	rest := slices.DeleteFunc(slices.Clone(req.InstanceIDs), func(id string) bool { _, ok := decided[id]; return ok })
	if len(rest) == 0 {
		out := duplicatesOnly(req.Duplicates, req.DryRun || s.cfg.DryRun)
		out.Instances = inNamedOrder(req.InstanceIDs, decided, out.Instances, 0)
		return out, Stats{}
	}
	narrowed := req
	narrowed.InstanceIDs = rest
	out, st := s.runOne(ctx, inv, narrowed)
	out.Instances = inNamedOrder(req.InstanceIDs, decided, out.Instances, len(rest))
	return out, st
}

// duplicatesOnly is Run's answer to a request that names only duplicates:
// each Skipped.
func duplicatesOnly(duplicates []Skipped, dryRun bool) Result {
	out := Result{DryRun: dryRun}
	for _, d := range duplicates {
		out.Instances = append(out.Instances, InstanceResult{InstanceID: d.InstanceID, Result: skipped, Reason: d.Reason})
		out.Skipped = append(out.Skipped, d)
	}
	return out
}

// inNamedOrder is each named instance's line in the order named, the one
// decided before Run or else Run's (the first ran of answered), then the
// duplicates' lines (the rest of answered), as Run answers them.
func inNamedOrder(named []string, decided map[string]InstanceResult, answered []InstanceResult, ran int) []InstanceResult {
	byID := map[string]InstanceResult{}
	for _, l := range answered[:ran] {
		byID[l.InstanceID] = l
	}
	maps.Copy(byID, decided)
	lines := make([]InstanceResult, 0, len(answered)+len(decided))
	for _, id := range named {
		lines = append(lines, byID[id])
	}
	return append(lines, answered[ran:]...)
}
