package standby

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// stillEnded narrows a sweep's exits (Request.TagsReadAt) to the leases
// still over: an instance this process parked, or a request asked to park,
// since the sweep read its tags is left parked, and so is one whose tags
// this process is still writing. Judged in the group's plan, after every
// plan before it: a live alarm's instance is never taken back on tags it
// has since outdated.
func (g *groupPlan) stillEnded(parts []*part) {
	for _, p := range parts {
		readAt := p.t.req.TagsReadAt
		if readAt.IsZero() {
			continue
		}
		p.ids = slices.DeleteFunc(p.ids, func(id string) bool {
			reason := leaseOutdated(sinceTagsRead{askedAgain: g.s.moved.askedSince(id, readAt), writing: g.s.tags.pending(id)})
			if reason == "" {
				return false
			}
			p.t.set(InstanceResult{InstanceID: id, ScalingGroupID: g.key.group, LifecycleState: g.state[id].LifecycleState, Result: skipped, Reason: reason})
			return true
		})
	}
}

// sinceTagsRead is what this process did of an instance since a sweep
// read its tags: asked it into Standby again (or parked it), or is
// writing its tags.
type sinceTagsRead struct {
	askedAgain, writing bool
}

// leaseOutdated says why a sweep's exit no longer takes an instance back,
// if it does not.
func leaseOutdated(l sinceTagsRead) string {
	switch {
	case l.askedAgain:
		return "asked into Standby again since the sweep read its tags: its lease is a live request's, and it stays parked"
	case l.writing:
		return "its tags are being written again: it stays parked until they say when its lease ends"
	}
	return ""
}

// onlyParked narrows the exits that may take back only what the function
// parked (Request.IfParkedFor: an alarm's recovery, with EXIT_ON_OK; an ECS
// event's end, with EXIT_ON_EVENT_END): an instance in Standby stays there
// unless its tags say the function parked it for the request's rule, no
// later than the end happened (Request.At, when the end carries a time),
// and, for IfRunning, ECS reports it Running. It is judged in the group's
// plan before a later request's action wins, so that a recovery that may
// not take an instance back never stands in for an alarm that parks it.
// Tags or statuses that cannot be read leave the instances to a retry:
// nothing is assumed. It returns the ess-standby:rule tag of the instances
// those exits found InService already (nil: not read), for the replays
// (already).
func (g *groupPlan) onlyParked(parts []*part) map[string]string {
	ends := slices.DeleteFunc(slices.Clone(parts), func(p *part) bool { return !takesBackOwn(p.t.req) })
	reqs := make([]Request, len(ends))
	for i, p := range ends {
		reqs[i] = p.request()
	}
	need := endReads(reqs, g.state)
	if len(need.parked)+len(need.back) == 0 {
		return nil
	}
	facts := g.readEnds(need)
	for _, p := range ends {
		p.ids = slices.DeleteFunc(p.ids, func(id string) bool {
			line, drop := judgeEnd(p.t.req, id, facts)
			if drop {
				p.t.set(line)
			}
			return drop
		})
	}
	return facts.rulesBack(need.back)
}

// takesBackOwn says whether a request is an exit that may take back only
// what its rule parked.
func takesBackOwn(r Request) bool { return r.Action == ExitStandby && r.IfParkedFor != "" }

// endsToRead is what the ends judged in a plan must read: the function's
// tags of the instances they name that are in Standby or gone (parked),
// and of those InService already (back), whose tags say whether it was
// theirs; ECS's status of those an executed event's end names (running).
type endsToRead struct {
	parked, back, running []string
}

// endReads lists, each once and in order, what ends (their instances in
// the group) must read, as the group's state says.
func endReads(ends []Request, state map[string]ScalingInstance) endsToRead {
	var need endsToRead
	add := func(to *[]string, id string) {
		if !slices.Contains(*to, id) {
			*to = append(*to, id)
		}
	}
	for _, r := range ends {
		for _, id := range r.InstanceIDs {
			switch in, found := state[id]; {
			case found && in.LifecycleState == "InService":
				add(&need.back, id)
				continue
			case found && in.LifecycleState != "Standby":
				continue // it cannot leave Standby: decide says why
			}
			add(&need.parked, id)
			if r.IfRunning {
				add(&need.running, id)
			}
		}
	}
	return need
}

// endFacts is what a plan knows of the instances its ends name: the
// group's state, the function's tags and ECS's statuses, or why they could
// not be read (the statuses are read only once the tags are).
type endFacts struct {
	group     string
	state     map[string]ScalingInstance
	tags      map[string]Tags
	tagErr    error
	status    map[string]string
	statusErr error
}

// readEnds reads what the ends need: the tags, then, if those were read
// and an executed event's end needs them, the statuses.
func (g *groupPlan) readEnds(need endsToRead) endFacts {
	f := endFacts{group: g.key.group, state: g.state}
	f.tags, f.tagErr = g.tagsOf(append(slices.Clone(need.parked), need.back...))
	if f.tagErr == nil && len(need.running) > 0 {
		f.status, f.statusErr = g.statusesOf(need.running)
	}
	return f
}

// rulesBack is the ess-standby:rule tag of the instances back InService
// (nil when the tags could not be read). One that still bears a rule's
// tags was taken back by that rule's end, its tags not removed yet: a
// retry of that end may finish it (already).
func (f endFacts) rulesBack(back []string) map[string]string {
	if f.tagErr != nil {
		return nil
	}
	rules := map[string]string{}
	for _, id := range back {
		rules[id] = f.tags[id][TagRule]
	}
	return rules
}

// judgeEnd says whether an end that may take back only what its rule
// parked (r) drops an instance it names, and the instance's line if so.
// Only one in Standby, or gone from the group, is judged here; one
// InService already, or in another state, is the plan's to decide.
func judgeEnd(r Request, id string, f endFacts) (InstanceResult, bool) {
	in, found := f.state[id]
	if found && in.LifecycleState != "Standby" {
		return InstanceResult{}, false
	}
	rule, tags := r.IfParkedFor, f.tags[id]
	line := InstanceResult{InstanceID: id, ScalingGroupID: f.group, LifecycleState: in.LifecycleState, Result: skipped}
	late := olderThanParking(r.At, tags)
	switch ours := tags[TagRule]; {
	case tagValue(rule) != rule:
		// A tag holds it cut or changed: another rule may hold the same.
		line.Reason = Quote(rule) + " is not a rule a tag holds exactly (at most 128 characters, no \"://\", not beginning aliyun or acs:): what it parked cannot be told, so it takes nothing back"
	case f.tagErr != nil:
		line.fail(f.tagErr)
	case len(tags) == 0 && !found:
		line.Reason = "not found in scaling group " + f.group + ", and without the function's tags: " + Quote(rule) + " does not take it back"
	case len(tags) == 0:
		line.Reason = "in Standby without the function's tags (parked by someone else, or its tags never written): " + Quote(rule) + " does not take it back"
	case ours != rule:
		line.Reason = fmt.Sprintf("parked for %s (%s), not for %s: only what a rule parked does its end take back", parkedFor(tags), TagRule, Quote(rule))
	case late != "":
		line.Reason = late
	case r.IfRunning && f.statusErr != nil:
		line.fail(f.statusErr)
	case r.IfRunning && f.status[id] != "Running":
		line.Reason = fmt.Sprintf("ECS reports it %s, not Running: the event's end does not take it back", ecsStatus(f.status[id]))
	default:
		return InstanceResult{}, false
	}
	return line, true
}

// olderThanParking says why an end dated at takes back nothing of an
// instance parked as its tags say, if it does not: it is dated before the
// parking (ess-standby:since), so it ends an earlier alarm of the rule,
// delivered late (a sender's retry, a slow queue), not the one that parked
// the instance; or since cannot be read, and whether it came after cannot
// be told. An end that carries no time (zero at) is judged by its rule
// alone. since is to the second: an end within that second counts as
// after it, and a sender's clock running behind the function's by more
// than the time a parking takes leaves an end that came after to the lease.
func olderThanParking(at time.Time, tags Tags) string {
	if at.IsZero() {
		return ""
	}
	end := at.UTC().Format(time.RFC3339)
	since, err := time.Parse(time.RFC3339, tags[TagSince])
	switch {
	case err != nil:
		return fmt.Sprintf("its %s tag %s is no RFC 3339 time: whether this end (dated %s) came after the parking cannot be told, so it takes nothing back", TagSince, Quote(tags[TagSince]), end)
	case at.Truncate(time.Second).Before(since):
		return fmt.Sprintf("parked at %s (%s), after this end's own time, %s: an end older than the parking is an earlier alarm's, and takes nothing back", since.UTC().Format(time.RFC3339), TagSince, end)
	}
	return ""
}

// parkedFor says what an instance's tags say parked it.
func parkedFor(tags Tags) string {
	if rule := tags[TagRule]; rule != "" {
		return Quote(rule)
	}
	return "no rule, by " + Quote(tags[TagSource])
}

func ecsStatus(s string) string {
	if s == "" {
		return "unknown to ECS"
	}
	return Quote(s)
}

// tagsOf reads the function's tags of instances, 20 a call.
func (g *groupPlan) tagsOf(ids []string) (map[string]Tags, error) {
	return readChunked(g, ids, func(ctx context.Context, chunk []string) (map[string]Tags, error) {
		return g.s.cloud.Instances.InstanceTags(ctx, g.sess, chunk, TagPrefix)
	})
}

// statusesOf reads ECS's status of instances, 20 a call.
func (g *groupPlan) statusesOf(ids []string) (map[string]string, error) {
	return readChunked(g, ids, func(ctx context.Context, chunk []string) (map[string]string, error) {
		return g.s.cloud.Instances.InstanceStatuses(ctx, g.sess, chunk)
	})
}

// readChunked reads something of instances, 20 a call, each retried; an
// instance the answer leaves out is the zero value.
func readChunked[V any](g *groupPlan, ids []string, read func(context.Context, []string) (map[string]V, error)) (map[string]V, error) {
	out := map[string]V{}
	for chunk := range slices.Chunk(ids, batchSize) {
		var got map[string]V
		if err := g.retry(func(ctx context.Context) (err error) {
			got, err = read(ctx, chunk)
			return err
		}); err != nil {
			return nil, err
		}
		for _, id := range chunk {
			out[id] = got[id]
		}
	}
	return out, nil
}
