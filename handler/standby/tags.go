package standby

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"ess-standby/handler/standby/internal/batch"
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
	TagEvent  = TagPrefix + "event"  // the event's own identity: written by earlier versions, removed on exit
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

// tags are the tags an instance parked for r at since carries: why (the
// source and the rule) and when (since, until). They are the same for
// every instance one plan parks for one rule, so that a storm's are
// written in calls of 50; the event's own identity, which differs per
// alarm, is in the invocation's log line, which the rule finds.
func (r Reason) tags(since time.Time, lease time.Duration) Tags {
	t := Tags{TagSince: since.UTC().Format(time.RFC3339), TagUntil: since.Add(lease).UTC().Format(time.RFC3339)}
	for key, v := range map[string]string{TagSource: r.Source, TagRule: r.Rule} {
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

// tagsAtOnce is how many tag calls, of at most TagBatch instances each,
// are in flight at once; the client bounds the process's calls in flight
// too (MAX_CONCURRENT_CALLS).
const tagsAtOnce = 16

// DefaultTagWait is the longest an answer waits for its instances' tags
// once its plan is done: with the merge window, the reads and the calls,
// it keeps an answer within CloudMonitor's 5 s whatever ECS does.
// tagCallTime bounds one tag call with its retries, which go on after the
// answer: the tags are owed until ECS confirms them.
const (
	DefaultTagWait = 2 * time.Second
	tagCallTime    = 30 * time.Second
)

// submitTags hands the tagger what this plan moved (tagWrites), and
// returns: a slow ECS holds up no plan of the group. Each ticket naming an
// instance moved waits for its tags within its answer's time; nothing
// waits for a renewal.
func (g *groupPlan) submitTags() {
	writes := tagWrites(g.s.now(), g.s.cfg.Lease, g.moves, g.s.moved.isTagged)
	jobs := make([]*tagJob, len(writes))
	for i, w := range writes {
		jobs[i] = &tagJob{sess: g.sess, group: g.key.group, action: w.action, tags: w.tags, renewRule: w.renewRule, id: w.m.id, done: func(error) {}}
		if w.renewRule != "" {
			continue
		}
		tickets := ticketsOf(w.m)
		for _, t := range tickets {
			t.awaitTag(w.m.id)
		}
		jobs[i].done = func(err error) {
			for _, t := range tickets {
				t.tagDone(w.m.id, err)
			}
		}
	}
	g.s.tags.submit(g.key.region, jobs...)
}

// moves is what a plan moved, for its tags: the targets Auto Scaling moved
// (or, replayed, had moved) into Standby (entered) and out of it (exited),
// and those asked into Standby that were there already (renew).
type moves struct {
	entered, exited, renew []*target
}

// tagWrite is one instance's tags to write (tags), or remove (nil), for
// the action that moved it; a renewal (renewRule) writes a later until on
// an instance its rule parked.
type tagWrite struct {
	m         *target
	action    Action
	tags      Tags
	renewRule string
}

// tagWrites are the tags a plan's moves call for, at now (to the second):
// instances put into Standby get the tags of the first request naming
// them, their lease ending lease after now; those taken back lose every
// tag the function wrote, in ID order. An instance whose tags this process
// already wrote for the move (tagged: a duplicate's replay) is left alone.
// An alarm still firing for an instance its rule parked renews the lease:
// its tags' until moves on, as if parked now.
func tagWrites(now time.Time, lease time.Duration, mv moves, tagged func(id string, action Action) bool) []tagWrite {
	now = now.UTC().Truncate(time.Second)
	var writes []tagWrite
	for _, m := range unique(mv.entered) {
		if !tagged(m.id, EnterStandby) {
			writes = append(writes, tagWrite{m: m, action: EnterStandby, tags: m.parts[0].t.req.Reason.tags(now, lease)})
		}
	}
	for _, m := range sortedByID(unique(mv.exited)) {
		if !tagged(m.id, ExitStandby) {
			writes = append(writes, tagWrite{m: m, action: ExitStandby})
		}
	}
	until := now.Add(lease).Format(time.RFC3339)
	for _, m := range unique(mv.renew) {
		if rule := m.parts[0].t.req.Reason.Rule; rule != "" && tagValue(rule) == rule {
			writes = append(writes, tagWrite{m: m, action: EnterStandby, tags: Tags{TagUntil: until}, renewRule: rule})
		}
	}
	return writes
}

// ticketsOf lists the tickets naming a target, each once.
func ticketsOf(m *target) []*ticket {
	var out []*ticket
	for _, p := range m.parts {
		if !slices.Contains(out, p.t) {
			out = append(out, p.t)
		}
	}
	return out
}

// tagJob is one instance's tags to write (tags) or remove (nil).
type tagJob struct {
	sess   Session
	group  string
	action Action
	tags   Tags
	id     string
	done   func(error) // told once ECS answered for good, or never was
	// renewRule, when set, makes the job a renewal: tags (a later until)
	// are written only if the instance's tags name this rule and end
	// sooner. A renewal that fails is not owed: the lease stands as it was.
	renewRule string
}

// key is what jobs must share to be one call: the action and the tags.
func (j *tagJob) key() string {
	pairs := []string{string(j.action), j.renewRule}
	for k, v := range j.tags {
		pairs = append(pairs, k+"="+v)
	}
	slices.Sort(pairs[1:])
	return strings.Join(pairs, "\n")
}

// tagger writes the tags of the instances plans move, off the groups'
// plans: jobs arriving together that write the same tags share a call, 50
// instances a call. One write per instance is in flight at a time, the
// next waiting for it, so that an exit's removal never lands before the
// tags it removes. A write that fails is owed, and the sweep tries again.
type tagger struct {
	s      *Service
	queue  *batch.Batcher[string, *tagJob] // by region
	places chan struct{}

	mu       sync.Mutex
	inFlight map[string]*flight // guarded by mu: instance → the write under way
	owed     map[string]Owed    // guarded by mu: instance → the write ECS has not confirmed
}

// flight is a write under way for one instance, and who waits for it.
type flight struct {
	job     *tagJob // the write under way
	since   time.Time
	key     string
	waiters []func(error)
	next    []*tagJob // writes for the instance that wait for this one
}

// Owed is a tag write ECS has not confirmed: the instance moved, and its
// tags do not say so.
type Owed struct {
	Group  string
	Action Action
	Tags   Tags // EnterStandby's: what the instance should carry
	Code   string
	Since  time.Time // when the write was first asked for
	// Writing: the write is still under way (ECS has not answered it for
	// good): nothing is to be done again, only said.
	Writing bool
}

func newTagger(s *Service) *tagger {
	tg := &tagger{s: s, places: make(chan struct{}, tagsAtOnce), inFlight: map[string]*flight{}, owed: map[string]Owed{}}
	tg.queue = batch.New(s.cfg.MergeWindow, tg.run)
	return tg
}

// submit queues jobs, one batch: a job for an instance whose same write is
// in flight waits for that one; a different write waits its turn.
func (tg *tagger) submit(region string, jobs ...*tagJob) {
	var fresh []*tagJob
	tg.mu.Lock()
	for _, j := range jobs {
		f, busy := tg.inFlight[j.id]
		switch {
		case busy && f.key == j.key() && len(f.next) == 0:
			f.waiters = append(f.waiters, j.done)
		case busy:
			f.next = append(f.next, j)
		default:
			tg.inFlight[j.id] = &flight{job: j, since: tg.s.now(), key: j.key(), waiters: []func(error){j.done}}
			fresh = append(fresh, j)
		}
	}
	tg.mu.Unlock()
	if len(fresh) > 0 {
		tg.queue.Add(region, fresh...)
	}
}

// run makes a batch's calls, each in its own goroutine: the batcher's next
// batch waits for none of them.
func (tg *tagger) run(_ string, jobs []*tagJob) {
	byKey := map[string][]*tagJob{}
	var keys []string
	for _, j := range jobs {
		k := j.key()
		if byKey[k] == nil {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], j)
	}
	for _, k := range keys {
		for chunk := range slices.Chunk(byKey[k], TagBatch) {
			go tg.call(chunk)
		}
	}
}

// call writes one set of tags on at most TagBatch instances, retried, with
// the session of the newest job.
func (tg *tagger) call(jobs []*tagJob) {
	tg.places <- struct{}{}
	defer func() { <-tg.places }()
	ctx, cancel := context.WithTimeout(context.Background(), tagCallTime)
	defer cancel()
	j := jobs[len(jobs)-1]
	ids := make([]string, len(jobs))
	for i, job := range jobs {
		ids[i] = job.id
	}
	if j.renewRule != "" {
		var err error
		ids, err = tg.renewable(ctx, j, ids)
		if err != nil || len(ids) == 0 {
			for _, job := range jobs {
				tg.finish(job, err)
			}
			return
		}
	}
	_, err := tg.s.retry(ctx, func(ctx context.Context) error {
		if j.tags == nil {
			return tg.s.cloud.Instances.UntagInstances(ctx, j.sess, ids, TagKeys)
		}
		return tg.s.cloud.Instances.TagInstances(ctx, j.sess, ids, j.tags)
	})
	for _, job := range jobs {
		tg.finish(job, err)
	}
}

// renewable reads the tags of a renewal's instances and keeps those its
// rule parked whose lease ends before the renewal's.
func (tg *tagger) renewable(ctx context.Context, j *tagJob, ids []string) ([]string, error) {
	var tags map[string]Tags
	_, err := tg.s.retry(ctx, func(ctx context.Context) (err error) {
		tags, err = tg.s.cloud.Instances.InstanceTags(ctx, j.sess, ids, TagPrefix)
		return err
	})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ids, func(id string) bool {
		_, problem := leaseOf(tags[id])
		return tags[id][TagRule] != j.renewRule || problem != "" || tags[id][TagUntil] >= j.tags[TagUntil]
	}), nil
}

// finish records what became of a job's write, tells who waits for it, and
// starts the instance's next write.
func (tg *tagger) finish(j *tagJob, err error) {
	tg.mu.Lock()
	f := tg.inFlight[j.id]
	delete(tg.inFlight, j.id)
	switch {
	case j.renewRule != "": // a renewal is owed nothing
	case err == nil:
		delete(tg.owed, j.id)
	default:
		o := Owed{Group: j.group, Action: j.action, Tags: j.tags, Code: AsError(err).Code, Since: tg.s.now()}
		if old, ok := tg.owed[j.id]; ok && old.Action == j.action {
			o.Since = old.Since
		}
		tg.owed[j.id] = o
	}
	tg.mu.Unlock()
	if err == nil && j.renewRule == "" {
		tg.s.moved.markTagged(j.id, j.action)
	}
	for _, done := range f.waiters {
		done(err)
	}
	if len(f.next) > 0 {
		tg.submit(j.sess.Region, f.next...)
	}
}

// owedIn lists the writes owed for a group's instances: those that failed,
// and those still under way (a write ECS keeps throttling is retried for
// a while before it fails), which ECS has not confirmed either.
func (tg *tagger) owedIn(group string) map[string]Owed {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	out := map[string]Owed{}
	for id, o := range tg.owed {
		if o.Group == group {
			out[id] = o
		}
	}
	for id, f := range tg.inFlight {
		if j := f.job; j.group == group && j.renewRule == "" {
			o, failed := out[id]
			if !failed {
				o = Owed{Group: group, Action: j.action, Tags: j.tags, Code: "Pending", Since: f.since}
			}
			o.Writing = true
			out[id] = o
		}
	}
	return out
}

// pending says whether a write for the instance is under way or owed.
func (tg *tagger) pending(id string) bool {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	_, busy := tg.inFlight[id]
	_, owed := tg.owed[id]
	return busy || owed
}

// unique is targets without a repeat: a plan may answer an instance twice
// (a call, then a replay for another request).
func unique(targets []*target) []*target {
	seen := map[string]bool{}
	return slices.DeleteFunc(slices.Clone(targets), func(m *target) bool {
		if seen[m.id] {
			return true
		}
		seen[m.id] = true
		return false
	})
}
