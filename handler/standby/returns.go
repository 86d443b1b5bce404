package standby

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// onlyParked narrows the exits that may take back only what the function
// parked (Request.IfParkedFor: an alarm's recovery, with EXIT_ON_OK; an ECS
// event's end, with EXIT_ON_EVENT_END): an instance in Standby stays there
// unless its tags say the function parked it for the request's rule, no
// later than the end happened (Request.At, when the end carries a time),
// and, for IfRunning, ECS reports it Running. It is judged in the group's
// plan before a later request's action wins, so that a recovery that may
// not take an instance back never stands in for an alarm that parks it.
// Tags or statuses that cannot be read leave the instances to a retry:
// nothing is assumed.
func (g *groupPlan) onlyParked(parts []*part) {
	judged := func(p *part) bool { return p.t.req.Action == ExitStandby && p.t.req.IfParkedFor != "" }
	var ids, back, running []string // judged here; InService already, whose tags say whether it was theirs
	for _, p := range parts {
		if !judged(p) {
			continue
		}
		for _, id := range p.ids {
			switch in, found := g.state[id]; {
			case found && in.LifecycleState == "InService":
				if !slices.Contains(back, id) {
					back = append(back, id)
				}
				continue
			case found && in.LifecycleState != "Standby":
				continue // it cannot leave Standby: decide says why
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
			if p.t.req.IfRunning && !slices.Contains(running, id) {
				running = append(running, id)
			}
		}
	}
	if len(ids)+len(back) == 0 {
		return
	}
	tags, tagErr := g.tagsOf(append(slices.Clone(ids), back...))
	if tagErr == nil {
		// An instance back InService that still bears a rule's tags was
		// taken back by that rule's end, its tags not removed yet: a retry
		// of that end may finish it (already).
		g.ruleOf = map[string]string{}
		for _, id := range back {
			g.ruleOf[id] = tags[id][TagRule]
		}
	}
	var status map[string]string
	var statusErr error
	if tagErr == nil && len(running) > 0 {
		status, statusErr = g.statusesOf(running)
	}
	for _, p := range parts {
		if !judged(p) {
			continue
		}
		rule := p.t.req.IfParkedFor
		p.ids = slices.DeleteFunc(p.ids, func(id string) bool {
			if !slices.Contains(ids, id) {
				return false
			}
			in, found := g.state[id]
			line := InstanceResult{InstanceID: id, ScalingGroupID: g.key.group, LifecycleState: in.LifecycleState, Result: skipped}
			late := olderThanParking(p.t.req.At, tags[id])
			switch ours := tags[id][TagRule]; {
			case tagValue(rule) != rule:
				// A tag holds it cut or changed: another rule may hold the same.
				line.Reason = Quote(rule) + " is not a rule a tag holds exactly (at most 128 characters, no \"://\", not beginning aliyun or acs:): what it parked cannot be told, so it takes nothing back"
			case tagErr != nil:
				line.fail(tagErr)
			case len(tags[id]) == 0 && !found:
				line.Reason = "not found in scaling group " + g.key.group + ", and without the function's tags: " + Quote(rule) + " does not take it back"
			case len(tags[id]) == 0:
				line.Reason = "in Standby without the function's tags (parked by someone else, or its tags never written): " + Quote(rule) + " does not take it back"
			case ours != rule:
				line.Reason = fmt.Sprintf("parked for %s (%s), not for %s: only what a rule parked does its end take back", parkedFor(tags[id]), TagRule, Quote(rule))
			case late != "":
				line.Reason = late
			case p.t.req.IfRunning && statusErr != nil:
				line.fail(statusErr)
			case p.t.req.IfRunning && status[id] != "Running":
				line.Reason = fmt.Sprintf("ECS reports it %s, not Running: the event's end does not take it back", ecsStatus(status[id]))
			default:
				return false
			}
			p.t.set(line)
			return true
		})
	}
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
