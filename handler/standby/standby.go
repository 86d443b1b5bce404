// Package standby is the core of ess-standby: it takes validated requests
// to put instances into Standby (or take them out), reads their state,
// applies the guard rails, makes the EnterStandby or ExitStandby calls in
// batches of 20 with idempotent tokens, retries what may succeed, and
// reports what became of every instance. It knows no payload shapes: the
// trigger package decodes events into a Draft, which Service.Check checks.
//
// Requests on their way are tickets. Their state reads wait for each other
// for a moment (Config.MergeWindow) and are made together; then each
// scaling group's portion of them waits for that group's plans (one keyed
// batcher, internal/batch, batches both), where one plan at a time reads, judges the guard rails over all it holds, and calls. So
// a storm of alarms on one group makes one plan of few calls, and two plans
// for one group never interleave in a process (across processes, the
// deployment runs one: see README, "Storms").
//
// Every instance gets its own outcome: one refused never stops another.
// Failures are *Error values: a kind (which maps to an HTTP status), an
// error code (Auto Scaling's pass through) and a message safe for callers.
// The cause is logged, never returned.
package standby

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"ess-standby/handler/standby/internal/batch"
)

// Config is the settings the core reads, parsed once at start.
type Config struct {
	Region         string      // ALIBABA_CLOUD_REGION_ID: for invocations that name none
	FCRegion       string      // FC_REGION: the function's own region, the last resort
	ScalingGroupID string      // SCALING_GROUP_ID: for events that name no group
	Credentials    Credentials // ALIBABA_CLOUD_ACCESS_KEY_*: when the invocation brings none
	DryRun         bool        // DRY_RUN: decide and report, change nothing
	AllowedGroups  []string    // ALLOWED_SCALING_GROUP_IDS: empty allows any
	MaxInstances   int         // MAX_INSTANCES: most instances one invocation acts on
	MinInService   Share       // MIN_IN_SERVICE: the InService instances each group keeps
	MaxStandby     Share       // MAX_STANDBY: the most instances of each group in Standby
	Wait           bool        // WAIT: wait for each activity to finish
	// MergeWindow is how long a request waits for others arriving with it,
	// so that their state reads and their groups' plans are shared. Zero
	// (one invocation per process, as on FC's go1 runtime): no wait.
	MergeWindow time.Duration
	// Lease is how long an instance the function parks stays so before its
	// lease ends (STANDBY_LEASE); the tags say until when. 0 is DefaultLease.
	Lease time.Duration
	// LeaseEnd is what a sweep does with an instance whose lease has ended
	// (LEASE_END): report it, or take it back. "" is LeaseReport.
	LeaseEnd LeaseEnd
	// Sleep is how the core waits between attempts and polls; nil waits on
	// a timer. A test that decides what Auto Scaling answers passes one
	// that returns at once (standbytest.NoWait).
	Sleep func(context.Context, time.Duration) error
	// Now is the clock of the tags; nil is time.Now.
	Now func() time.Time
	// TagWait is the longest an answer waits for its instances' tags; 0 is
	// DefaultTagWait. Tests shorten or lengthen it.
	TagWait time.Duration
}

// Share is a number of a group's instances: Count, or Percent of them
// all. MIN_IN_SERVICE rounds its percentage up (a group keeps at least
// that), MAX_STANDBY down (a group parks at most that). Zero values: no
// guard.
type Share struct {
	Count, Percent int
}

func (s Share) set() bool { return s.Count > 0 || s.Percent > 0 }

// of is the share of total instances, the percentage rounded up or down,
// and the setting as written.
func (s Share) of(total int, up bool) (int, string) {
	if s.Percent == 0 {
		return s.Count, strconv.Itoa(s.Count)
	}
	n := s.Percent * total
	if up {
		n += 99
	}
	return n / 100, strconv.Itoa(s.Percent) + "%"
}

// DefaultMaxInstances is MAX_INSTANCES when unset.
const DefaultMaxInstances = 100

// ServerMergeWindow is the merge window of server mode, where many
// invocations share a process: long enough for a storm's requests that
// arrive together to meet, short beside CloudMonitor's 5 s.
const ServerMergeWindow = 50 * time.Millisecond

// Service runs requests against Auto Scaling. It is safe for concurrent use.
type Service struct {
	cfg    Config
	cloud  Cloud
	sleep  func(context.Context, time.Duration) error
	jitter func(ceiling time.Duration) time.Duration

	reads *batch.Batcher[string, *ticket] // by region: the state reads
	plans *batch.Batcher[groupKey, *part] // by group: one plan at a time, taking every part waiting
	// epoch counts the plans that changed something; changed notes the
	// epoch of each group's last change. A state read begun after it is
	// current, as far as this process knows.
	epoch   atomic.Uint64
	changed changes
	moved   *recent
	tags    *tagger
	exits   exits // issue 26 case 9: exits under way, for the guards (exits.go)
}

// groupKey names a scaling group, its plans' key.
type groupKey struct{ region, group string }

// New returns a Service that runs requests against the cloud as cfg says.
// main builds one and hands it to the handler.
func New(cfg Config, cloud Cloud) *Service {
	if cfg.MaxInstances == 0 {
		cfg.MaxInstances = DefaultMaxInstances
	}
	cfg.Lease = cmp.Or(cfg.Lease, DefaultLease)
	cfg.TagWait = cmp.Or(cfg.TagWait, DefaultTagWait)
	cfg.LeaseEnd = cmp.Or(cfg.LeaseEnd, LeaseReport)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{cfg: cfg, cloud: cloud, sleep: cfg.Sleep, moved: newRecent(cfg.Now),
		jitter: func(ceiling time.Duration) time.Duration { return time.Duration(rand.Int64N(int64(ceiling) + 1)) }}
	if s.sleep == nil {
		s.sleep = sleep
	}
	s.reads = batch.New(cfg.MergeWindow, s.readStates)
	// A plan has no window: the reads' merged them already.
	s.plans = batch.New(0, s.runPlan)
	s.tags = newTagger(s)
	s.changed.at = map[groupKey]uint64{}
	return s
}

func (s *Service) now() time.Time { return s.cfg.Now() }

// Check validates a draft against the settings and returns the request it
// makes. Every problem is recorded into d.Problems, so that a caller can
// report several drafts' problems together, and returned as one error; the
// request means something only when there is none. A request may name at
// most MAX_INSTANCES instances: more are refused on the count alone,
// before any of them is looked at.
func (s *Service) Check(d *Draft) (Request, error) {
	req := d.check(s.cfg.MaxInstances)
	return req, d.Problems.Err()
}

// Stats is what one request did, for its log line.
type Stats struct {
	// Attempts are the Auto Scaling calls made for it, retries included,
	// counting those it shared with requests merged with it.
	Attempts int
	Backoff  time.Duration // time spent waiting between attempts
	Guard    string        // the guard rail that refused an instance, if any
	Merged   int           // the most other invocations that shared one of its plans
}

func (st *Stats) add(o Stats) {
	st.Attempts += o.Attempts
	st.Backoff += o.Backoff
	st.Guard = cmp.Or(st.Guard, o.Guard)
	st.Merged = max(st.Merged, o.Merged)
}

// Run makes the calls validated requests need, and answers what became of
// each instance of each, in order, with what the calls made for them all
// cost. The requests of one call are read and planned together: a batch's
// events are one storm. A request's tokens derive from its root
// (Request.root), so a re-delivered event makes the same calls, and a
// different set of instances never reuses a token. Together the requests
// may name at most MAX_INSTANCES instances: over that, every one is
// refused before anything is read.
func (s *Service) Run(ctx context.Context, inv Invocation, reqs ...Request) ([]Result, Stats) {
	named := 0
	for _, req := range reqs {
		named += len(req.InstanceIDs)
	}
	var tooMany error
	if limit := s.cfg.MaxInstances; named > limit {
		tooMany = &Error{Kind: Invalid, Code: "InvalidParameter",
			Message: fmt.Sprintf("InstanceId: at most %d instances per invocation (MAX_INSTANCES), the invocation names %d", limit, named)}
	}
	return s.run(ctx, inv, tooMany, reqs...)
}

// run is Run without MAX_INSTANCES, which bounds what a caller may ask,
// not what a sweep takes back: tooMany, when set, refuses every request.
func (s *Service) run(ctx context.Context, inv Invocation, tooMany error, reqs ...Request) ([]Result, Stats) {
	tickets := make([]*ticket, len(reqs))
	byRegion := map[string][]*ticket{}
	var regions []string
	var total Stats
	for i, req := range reqs {
		t := s.newTicket(ctx, inv, req, tooMany)
		tickets[i] = t
		if t.parts == 0 {
			continue // refused at once
		}
		if byRegion[t.sess.Region] == nil {
			regions = append(regions, t.sess.Region)
		}
		byRegion[t.sess.Region] = append(byRegion[t.sess.Region], t)
	}
	for _, region := range regions {
		s.reads.Add(region, byRegion[region]...)
	}
	answers := make([]Result, len(reqs))
	counted := map[*Stats]bool{} // a read or a plan shared by several requests counts once
	for i, t := range tickets {
		select {
		case <-t.done:
		case <-ctx.Done():
		}
		t.waitForTags(ctx, s.cfg.TagWait)
		a, shared, guard := t.result()
		for _, st := range shared {
			if !counted[st] {
				counted[st] = true
				total.add(*st)
			}
		}
		total.Guard = cmp.Or(total.Guard, guard)
		if (t.req.Wait || s.cfg.Wait) && !a.DryRun && len(a.Activities) > 0 {
			total.add(s.wait(ctx, t.sess, a.Activities))
		}
		answers[i] = a
	}
	return answers, total
}

// region is the region a request's calls go to: the request's, else the
// setting's, else FC's.
func (s *Service) region(inv Invocation, req Request) string {
	return cmp.Or(req.RegionID, s.cfg.Region, inv.Region, s.cfg.FCRegion)
}

// session picks the region and the credentials of the calls (the
// invocation's credentials, else the settings').
func (s *Service) session(inv Invocation, req Request) (Session, error) {
	sess := Session{
		Region:      s.region(inv, req),
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

// ticket is one request on its way: what its answer says so far. Its
// groups' plans fill it in, concurrently.
type ticket struct {
	ctx    context.Context
	inv    string // the invocation's request ID
	sess   Session
	req    Request
	group  string // the group that scopes its state read: the request's, else SCALING_GROUP_ID
	root   string // its tokens' root
	dryRun bool

	mu         sync.Mutex
	lines      []InstanceResult // one per instance named, in order, then the duplicates
	index      map[string]int   // instance → its line
	activities []Activity
	planned    []Call
	shared     []*Stats // of the reads and plans it took part in
	guard      string   // the guard rail that refused one of its instances
	parts      int      // groups' plans still to report; done closes at 0
	done       chan struct{}
	// tags counts, per instance, the tag writes its answer waits for;
	// tagged closes when none is left.
	tags     map[string]int
	tagsLeft int
	tagged   chan struct{}
}

// newTicket starts req on its way. It is refused at once when it names
// too many instances (tooMany), or a group outside ALLOWED_SCALING_GROUP_IDS
// (not even its state is read), or has no session.
func (s *Service) newTicket(ctx context.Context, inv Invocation, req Request, tooMany error) *ticket {
	t := &ticket{ctx: ctx, inv: inv.RequestID, req: req, group: cmp.Or(req.ScalingGroupID, s.cfg.ScalingGroupID), root: req.root(inv),
		dryRun: req.DryRun || s.cfg.DryRun, index: map[string]int{}, done: make(chan struct{}), parts: 1}
	for _, id := range req.InstanceIDs {
		t.index[id] = len(t.lines)
		t.lines = append(t.lines, InstanceResult{InstanceID: id})
	}
	for _, d := range req.Duplicates {
		t.lines = append(t.lines, InstanceResult{InstanceID: d.InstanceID, Result: skipped, Reason: d.Reason})
	}
	var refused error
	switch {
	case tooMany != nil:
		refused, t.guard = tooMany, "MAX_INSTANCES"
	case t.group != "" && !s.allowed(t.group):
		refused, t.guard = notAllowed(t.group), "ALLOWED_SCALING_GROUP_IDS"
	}
	var err error
	if t.sess, err = s.session(inv, req); refused != nil || err != nil {
		t.failAll(cmp.Or(refused, err))
		t.parts = 0
		close(t.done)
	}
	return t
}

// set records what became of an instance.
func (t *ticket) set(line InstanceResult) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if i, ok := t.index[line.InstanceID]; ok && t.lines[i].Result == "" {
		t.lines[i] = line
	}
}

// failAll records err for every instance not yet decided.
func (t *ticket) failAll(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range t.lines {
		if t.lines[i].Result == "" {
			t.lines[i].fail(err)
		}
	}
}

// awaitTag notes that the answer waits for a tag write of an instance.
func (t *ticket) awaitTag(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tags == nil {
		t.tags = map[string]int{}
	}
	if t.tagsLeft == 0 { // the first, or the first since the others were written
		t.tagged = make(chan struct{})
	}
	t.tags[id]++
	t.tagsLeft++
}

// tagDone records what became of a tag write of an instance.
func (t *ticket) tagDone(id string, err error) {
	if err != nil {
		t.tagFailed(id, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tags[id]--
	if t.tagsLeft--; t.tagsLeft == 0 {
		close(t.tagged)
	}
}

// waitForTags waits for the ticket's tag writes, no longer than wait
// and never into the time its answer needs: a write ECS has not answered
// by then is reported as such (result), and goes on.
func (t *ticket) waitForTags(ctx context.Context, wait time.Duration) {
	t.mu.Lock()
	tagged := t.tagged
	t.mu.Unlock()
	if tagged == nil {
		return
	}
	if deadline, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(deadline)-answerReserve)
	}
	timer := time.NewTimer(max(wait, 0))
	defer timer.Stop()
	select {
	case <-tagged:
	case <-timer.C:
	case <-ctx.Done():
	}
}

// answerReserve is the time an answer keeps for itself from its tags' wait:
// a plan's retries stop a second before the deadline (retryReserve), and
// the tags of what it moved may use most of that second.
const answerReserve = 300 * time.Millisecond

// errTagsPending: ECS has not answered a tag write within the answer's
// time. The write goes on; a retry of the invocation makes sure of it.
var errTagsPending = &Error{Kind: Timeout, Code: "Timeout",
	Message: "ECS has not confirmed them within the invocation's time: they are still being written, and a retry makes sure"}

// tagFailed records on an instance's line that its tags were not written:
// it stays where Auto Scaling put it, and its line says why; a failure a
// retry may mend leaves it to the invocation's retry.
func (t *ticket) tagFailed(id string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tagFailedLocked(id, err)
}

// tagFailedLocked is tagFailed with t.mu held.
func (t *ticket) tagFailedLocked(id string, err error) {
	i, ok := t.index[id]
	if !ok || t.lines[i].TagCode != "" {
		return
	}
	e := AsError(err)
	l := &t.lines[i]
	l.TagCode = e.Code
	l.Err = &Error{Kind: e.Kind, Code: e.Code, Cause: e.Cause,
		Message: l.Result + ", but its tags (" + TagPrefix + "*) were not written: " + e.Message}
}

// fail records err for instances not yet decided.
func (t *ticket) fail(ids []string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range ids {
		if i, ok := t.index[id]; ok && t.lines[i].Result == "" {
			t.lines[i].fail(err)
		}
	}
}

// report adds what one stage did for the ticket (its activities, planned
// calls, the stage's statistics, which it no longer writes, and a guard
// that refused) and the plans it handed the ticket on to; the ticket is
// done when no plan is left.
func (t *ticket) report(activities []Activity, calls []Call, st *Stats, guard string, handedOn int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.activities = append(t.activities, activities...)
	t.planned = append(t.planned, calls...)
	t.shared = append(t.shared, st)
	t.guard = cmp.Or(t.guard, guard)
	t.parts += handedOn - 1
	if t.parts == 0 {
		close(t.done)
	}
}

// result is a copy of the ticket as it is: an instance not decided by now
// (the invocation ran out of time) is reported as such.
func (t *ticket) result() (Result, []*Stats, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, n := range t.tags {
		if n > 0 {
			t.tagFailedLocked(id, errTagsPending)
		}
	}
	lines := slices.Clone(t.lines)
	for i := range lines {
		if lines[i].Result == "" {
			lines[i].fail(&Error{Kind: Timeout, Code: "Timeout", Message: "the invocation's time ran out before this instance's plan answered; a retry will find what it did"})
		}
	}
	// Groups are planned at once: their activities (and planned calls) are
	// answered in the order the request named their instances.
	first := func(ids []string) int {
		n := len(t.lines)
		for _, id := range ids {
			if i, ok := t.index[id]; ok {
				n = min(n, i)
			}
		}
		return n
	}
	activities := slices.SortedStableFunc(slices.Values(t.activities), func(a, b Activity) int { return cmp.Compare(first(a.InstanceIDs), first(b.InstanceIDs)) })
	planned := slices.SortedStableFunc(slices.Values(t.planned), func(a, b Call) int { return cmp.Compare(first(a.InstanceIDs), first(b.InstanceIDs)) })
	c := ticket{lines: lines, activities: activities, planned: planned, dryRun: t.dryRun}
	return c.answer(), slices.Clone(t.shared), t.guard
}

// lead is the context and session a merged plan's calls run under: those of
// its only ticket; for several, the credentials of the one with the most
// time left, until its deadline, whichever ticket gives up first.
func lead(tickets []*ticket) (context.Context, Session, context.CancelFunc) {
	if len(tickets) == 1 {
		return tickets[0].ctx, tickets[0].sess, func() {}
	}
	best := tickets[0]
	latest, bounded := best.ctx.Deadline()
	for _, t := range tickets[1:] {
		d, ok := t.ctx.Deadline()
		if !ok || bounded && d.After(latest) {
			best, latest, bounded = t, d, ok
		}
	}
	ctx := context.WithoutCancel(best.ctx)
	if !bounded {
		return ctx, best.sess, func() {}
	}
	ctx, cancel := context.WithDeadline(ctx, latest)
	return ctx, best.sess, cancel
}
