package standby

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Tags are an ECS instance's tags: key → value.
type Tags map[string]string

// The tags the function writes on an instance it parks, and removes when it
// takes it back: what parked it, and until when. Every key begins with
// TagPrefix, which no other writer uses.
const (
	TagPrefix = "ess-standby:"
	TagSource = TagPrefix + "source" // the trigger: cms-alarm-callback, eventbridge:ecs:Instance:…, timer, http, direct
	TagRule   = TagPrefix + "rule"   // the alarm rule, subscription or event type that asked
	TagEvent  = TagPrefix + "event"  // the event's own identity
	TagSince  = TagPrefix + "since"  // when it was parked, RFC 3339, UTC
	TagUntil  = TagPrefix + "until"  // when its lease ends (STANDBY_LEASE), RFC 3339, UTC
)

// TagKeys are every key the function writes.
var TagKeys = []string{TagSource, TagRule, TagEvent, TagSince, TagUntil}

// DefaultLease is STANDBY_LEASE when unset: a working day, long enough for
// whoever is on call to look at a parked instance, short enough that none
// is forgotten for days. What happens when it ends is LEASE_END's.
const DefaultLease = 24 * time.Hour

// maxTagValue bounds a tag's value: ECS takes at most 128 characters.
const maxTagValue = 128

// Reason is what asked for a request, as the tags of the instances it
// parks record it.
type Reason struct {
	Source string // the trigger, as the decoder names it
	Rule   string // the alarm rule, subscription or event type; "" for a plain request
	Event  string // the event's identity, the same across its re-deliveries
}

// tags are the tags an instance parked for r at since carries.
func (r Reason) tags(since time.Time, lease time.Duration) Tags {
	t := Tags{TagSince: since.UTC().Format(time.RFC3339), TagUntil: since.Add(lease).UTC().Format(time.RFC3339)}
	for key, v := range map[string]string{TagSource: r.Source, TagRule: r.Rule, TagEvent: r.Event} {
		if v = tagValue(v); v != "" {
			t[key] = v
		}
	}
	return t
}

// tagValue is v as a tag may hold it: printable, at most maxTagValue
// characters, without http:// and not beginning as ECS reserves (aliyun,
// acs:): no event's text decides whether its tags can be written.
func tagValue(v string) string {
	v = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, v)
	v = strings.NewReplacer("://", ":").Replace(v) // no http:// in a tag
	if l := strings.ToLower(v); strings.HasPrefix(l, "aliyun") || strings.HasPrefix(l, "acs:") {
		v = "_" + v
	}
	if r := []rune(v); len(r) > maxTagValue {
		v = string(r[:maxTagValue])
	}
	return v
}

// tagBatch is how many instances one tag call names; tagsAtOnce is how
// many tag calls a plan makes at once (the client bounds the process's calls
// in flight too, MAX_CONCURRENT_CALLS): a storm's alarms each carry their
// own event, and so their own tags.
const (
	tagBatch   = 20
	tagsAtOnce = 16
)

// writeTags records, on the instances this plan moved, why: those it put
// into Standby get the tags of the first request naming them; those it took
// back lose every tag the function wrote. An instance whose tags this
// process already wrote for the move (a duplicate's replay) is left alone.
// A tag call that fails leaves the instance where Auto Scaling put it, and
// its line says so: a failure a retry may mend leaves it to the
// invocation's retry (which finds it moved, replays its call, and writes
// the tags again), one that cannot is reported.
func (g *groupPlan) writeTags() {
	type tagCall struct {
		action  Action
		members []*member
		tags    Tags // nil: remove ours
	}
	var calls []tagCall
	now := g.s.now().UTC().Truncate(time.Second)
	byTags := map[string]int{} // the tag set → its calls' place in calls
	for _, m := range unique(g.entered) {
		if g.s.moved.isTagged(m.id, EnterStandby) {
			continue
		}
		t := m.parts[0].t.req.Reason.tags(now, g.s.cfg.Lease)
		key := strings.Join(slices.Sorted(maps.Values(t)), "\n")
		if i, ok := byTags[key]; ok && len(calls[i].members) < tagBatch {
			calls[i].members = append(calls[i].members, m)
			continue
		}
		byTags[key] = len(calls)
		calls = append(calls, tagCall{action: EnterStandby, members: []*member{m}, tags: t})
	}
	var exited []*member
	for _, m := range unique(g.exited) {
		if !g.s.moved.isTagged(m.id, ExitStandby) {
			exited = append(exited, m)
		}
	}
	for chunk := range slices.Chunk(sortedByID(exited), tagBatch) {
		calls = append(calls, tagCall{action: ExitStandby, members: chunk})
	}
	stats := make([]Stats, len(calls))
	places := make(chan struct{}, tagsAtOnce)
	var wg sync.WaitGroup
	for i, c := range calls {
		places <- struct{}{}
		wg.Go(func() {
			defer func() { <-places }()
			ids := idsOf(c.members)
			var err error
			stats[i], err = g.s.retry(g.ctx, func(ctx context.Context) error {
				if c.tags == nil {
					return g.s.scaling.UntagInstances(ctx, g.sess, ids, TagKeys)
				}
				return g.s.scaling.TagInstances(ctx, g.sess, ids, c.tags)
			})
			g.tagged(c.action, c.members, err)
		})
	}
	wg.Wait()
	for _, st := range stats {
		g.st.add(st)
	}
}

// tagged records what became of a tag call: on success, in what this
// process knows of its members; on failure, on their lines.
func (g *groupPlan) tagged(action Action, members []*member, err error) {
	if err == nil {
		for _, m := range members {
			g.s.moved.markTagged(m.id, action)
		}
		return
	}
	for _, m := range members {
		for _, p := range m.parts {
			p.t.tagFailed(m.id, err)
		}
	}
}

func idsOf(members []*member) []string {
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.id
	}
	return ids
}

// unique is members without a repeat: a plan may answer an instance twice
// (a call, then a replay for another request).
func unique(members []*member) []*member {
	seen := map[string]bool{}
	return slices.DeleteFunc(slices.Clone(members), func(m *member) bool {
		if seen[m.id] {
			return true
		}
		seen[m.id] = true
		return false
	})
}
