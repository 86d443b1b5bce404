package standby

import (
	"context"
	"maps"
	"slices"
	"sync"
)

// batchSize is the most instances one EnterStandby, ExitStandby or
// DescribeScalingInstances call takes.
const batchSize = 20

// part is the portion of a ticket that one scaling group's plan decides.
type part struct {
	t     *ticket
	ids   []string                   // its instances in the group, in request order
	found map[string]ScalingInstance // their state, as read
	epoch uint64                     // the epoch the read began at
	// unverified: the read found none of the ticket's instances in the group
	// the request names; whether the group or the instances do not exist is
	// Auto Scaling's to say, by answering the call (what
	// DescribeScalingInstances answers for a group that does not exist is
	// undocumented).
	unverified bool
}

// readStates reads the state of every instance one region's tickets name:
// each ID once, 20 a call, the calls at once; then it hands each group's
// instances on to that group's plans, the whole batch together.
func (s *Service) readStates(region string, tickets []*ticket) {
	ctx, sess, cancel := lead(tickets)
	defer cancel()
	epoch := s.epoch.Load()
	var scopes []string
	named := map[string][]string{} // scope → its IDs, each once
	seen := map[[2]string]bool{}
	for _, t := range tickets {
		if _, ok := named[t.group]; !ok {
			scopes = append(scopes, t.group)
			named[t.group] = []string{}
		}
		for _, id := range t.req.InstanceIDs {
			if k := [2]string{t.group, id}; !seen[k] {
				seen[k] = true
				named[t.group] = append(named[t.group], id)
			}
		}
	}
	reads := make([]read, len(scopes))
	var wg sync.WaitGroup
	for i, scope := range scopes {
		wg.Go(func() { reads[i] = s.readAll(ctx, sess, scope, named[scope]) })
	}
	wg.Wait()
	var shared Stats
	of := map[string]*read{} // scope → its read
	for i, scope := range scopes {
		shared.add(reads[i].st)
		of[scope] = &reads[i]
	}
	handed := map[groupKey][]*part{}
	var keys []groupKey
	for _, t := range tickets {
		guard := ""
		parts := s.split(t, region, epoch, func(id string) (ScalingInstance, bool, error) {
			r := of[t.group]
			in, ok := r.found[id]
			return in, ok, r.failed[id]
		}, &guard)
		for _, p := range parts {
			k := groupKey{region, p.group()}
			if handed[k] == nil {
				keys = append(keys, k)
			}
			handed[k] = append(handed[k], p)
		}
		t.report(nil, nil, &shared, guard, len(parts))
	}
	for _, k := range keys {
		// Each group its own plans: one group's slow plan holds up no other.
		s.plans.Add(k, handed[k]...)
	}
}

func (p *part) group() string {
	if p.unverified {
		return p.t.group
	}
	return p.found[p.ids[0]].ScalingGroupID
}

// split decides what it can of a ticket from the read (instances it did
// not find, groups ALLOWED_SCALING_GROUP_IDS refuses, reads that failed)
// and returns the rest, one part per group.
func (s *Service) split(t *ticket, region string, epoch uint64, state func(id string) (ScalingInstance, bool, error), guard *string) []*part {
	var parts []*part
	byGroup := map[string]*part{}
	var absent []string
	failed := false
	for _, id := range t.req.InstanceIDs {
		in, ok, err := state(id)
		line := InstanceResult{InstanceID: id, ScalingGroupID: in.ScalingGroupID, LifecycleState: in.LifecycleState}
		switch {
		case err != nil:
			failed = true
			line.fail(err)
		case !ok:
			absent = append(absent, id)
			continue
		case !s.allowed(in.ScalingGroupID):
			*guard = "ALLOWED_SCALING_GROUP_IDS"
			line.fail(notAllowed(in.ScalingGroupID))
		default:
			p := byGroup[in.ScalingGroupID]
			if p == nil {
				p = &part{t: t, found: map[string]ScalingInstance{}, epoch: epoch}
				byGroup[in.ScalingGroupID] = p
				parts = append(parts, p)
			}
			p.ids = append(p.ids, id)
			p.found[id] = in
			continue
		}
		t.set(line)
	}
	if len(absent) == 0 {
		return parts
	}
	if s.absent(t, region, absent, failed, guard) {
		parts = append(parts, &part{t: t, ids: absent, epoch: epoch, unverified: true})
	}
	return parts
}

// absent decides a ticket's instances the read did not find: reported
// when the read found others (or failed for some), refused when no group
// is named or the named one is not allowed. It says whether they are left
// unverified, a part of their own, for Auto Scaling to answer.
func (s *Service) absent(t *ticket, region string, absent []string, failed bool, guard *string) bool {
	switch {
	case len(absent) < len(t.req.InstanceIDs) || failed:
		// Some are in a group: the others are reported, not acted on.
		reason := "in no scaling group of region " + region
		if t.group != "" {
			reason = "not in scaling group " + t.group
		}
		for _, id := range absent {
			t.set(InstanceResult{InstanceID: id, Result: skipped, Reason: reason})
		}
	case t.group == "":
		for _, id := range absent {
			line := InstanceResult{InstanceID: id}
			line.fail(&Error{Kind: NotFound, Code: "InvalidInstanceId.NotFound", Message: "in no scaling group of region " + region})
			t.set(line)
		}
	case !s.allowed(t.group):
		*guard = "ALLOWED_SCALING_GROUP_IDS"
		for _, id := range absent {
			line := InstanceResult{InstanceID: id, ScalingGroupID: t.group}
			line.fail(notAllowed(t.group))
			t.set(line)
		}
	default:
		return true
	}
	return false
}

// read is what a state read found: the instances found, and for those
// whose read failed, why.
type read struct {
	found  map[string]ScalingInstance
	failed map[string]error
	st     Stats
}

// readAll reads the state of instances in scope ("": any group), each ID
// once, 20 a call, the calls at once.
func (s *Service) readAll(ctx context.Context, sess Session, scope string, ids []string) read {
	chunks := slices.Collect(slices.Chunk(slices.Compact(slices.Sorted(slices.Values(ids))), batchSize))
	found := make([]map[string]ScalingInstance, len(chunks))
	errs := make([]error, len(chunks))
	stats := make([]Stats, len(chunks))
	var wg sync.WaitGroup
	for i, c := range chunks {
		wg.Go(func() { found[i], stats[i], errs[i] = s.readChunk(ctx, sess, scope, c) })
	}
	wg.Wait()
	r := read{found: map[string]ScalingInstance{}, failed: map[string]error{}}
	for i, c := range chunks {
		r.st.add(stats[i])
		maps.Copy(r.found, found[i])
		for _, id := range c {
			if errs[i] != nil {
				r.failed[id] = errs[i]
			}
		}
	}
	return r
}

// err is the read's failure, if any of it failed.
func (r read) err() error {
	for _, err := range r.failed {
		return err
	}
	return nil
}

// readChunk reads the state of at most 20 instances, in scope ("": any
// group), and checks that the answer says what a decision needs: an
// instance without its group or state, or in another group than asked, is
// an answer that cannot be trusted, and no instance of it is acted on.
func (s *Service) readChunk(ctx context.Context, sess Session, scope string, ids []string) (map[string]ScalingInstance, Stats, error) {
	var got []ScalingInstance
	st, err := s.retry(ctx, func(ctx context.Context) (err error) {
		got, err = s.cloud.Scaling.ScalingInstances(ctx, sess, scope, ids)
		return err
	})
	if err != nil {
		return nil, st, err
	}
	found := map[string]ScalingInstance{}
	for _, in := range got {
		if !slices.Contains(ids, in.InstanceID) {
			continue // never act on an instance the request did not name
		}
		if in.ScalingGroupID == "" || in.LifecycleState == "" || scope != "" && in.ScalingGroupID != scope {
			return nil, st, &Error{Kind: Unavailable, Code: "ServiceUnavailable",
				Message: "Auto Scaling described instance " + in.InstanceID + " without its scaling group or lifecycle state, or in a group not asked for: nothing is acted on from that answer"}
		}
		found[in.InstanceID] = in
	}
	s.moved.saw(found)
	return found, st, nil
}

// allowed says whether ALLOWED_SCALING_GROUP_IDS lets the function act on
// a group.
func (s *Service) allowed(group string) bool {
	return len(s.cfg.AllowedGroups) == 0 || slices.Contains(s.cfg.AllowedGroups, group)
}

func notAllowed(group string) *Error {
	return &Error{Kind: Forbidden, Code: "Forbidden.ScalingGroupNotAllowed", Message: "scaling group " + group + " is not in ALLOWED_SCALING_GROUP_IDS"}
}
