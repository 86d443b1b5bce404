package fcserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"ess-standby/handler/essemu"
	"ess-standby/handler/internal/fctest"
)

// Issue 26's lifecycle cases 1, 3, 4 and 5 end to end: the custom
// runtime's build, started by ./bootstrap in server mode, in front of the
// emulator's Auto Scaling and ECS, driven as CloudMonitor's alarm
// callbacks and the lease-sweep timer drive it.

// cloudMonitorTimeout is how long CloudMonitor waits for an alarm
// callback's answer; past it, the callback failed and is sent again.
const cloudMonitorTimeout = 5 * time.Second

// tagWait is standby.DefaultTagWait, the longest an answer waits for its
// instances' tags (a constant of its own, so that this file also builds on
// the commits before it, to see its tests fail there).
const tagWait = 2 * time.Second

// sYAML are s.yaml's guards and cap, as the function is deployed.
var sYAML = []string{"MIN_IN_SERVICE=50%", "MAX_STANDBY=25%", "MAX_INSTANCES=20"}

// lifecycleGroup is asg-<name>, of n InService instances i-<name>0000 on.
func lifecycleGroup(name string, n int) essemu.Group {
	g := essemu.Group{ID: "asg-" + name, Region: essemu.SampleRegion}
	for i := range n {
		g.Instances = append(g.Instances, essemu.Instance{ID: fmt.Sprintf("i-%s%04d", name, i), LifecycleState: essemu.InService})
	}
	return g
}

// ids are the IDs of instances.
func ids(instances []essemu.Instance) []string {
	out := make([]string, len(instances))
	for i, in := range instances {
		out[i] = in.ID
	}
	return out
}

// leaseTags are the tags the function writes on an instance that rule's
// alarm parked at since, for a lease of lease.
func leaseTags(rule string, since time.Time, lease time.Duration) map[string]string {
	return map[string]string{"ess-standby:source": "cms-alarm-callback", "ess-standby:rule": rule,
		"ess-standby:since": since.UTC().Format(time.RFC3339), "ess-standby:until": since.Add(lease).UTC().Format(time.RFC3339)}
}

// parkedBy says that tags are the function's, written for rule's alarm,
// with a lease running at now.
func parkedBy(rule string, now time.Time) func(map[string]string) bool {
	return func(tags map[string]string) bool {
		until, err := time.Parse(time.RFC3339, tags["ess-standby:until"])
		return tags["ess-standby:rule"] == rule && tags["ess-standby:since"] != "" && err == nil && until.After(now)
	}
}

// untagged says that tags hold none of the function's.
func untagged(tags map[string]string) bool {
	for k := range tags {
		if strings.HasPrefix(k, "ess-standby:") {
			return false
		}
	}
	return true
}

// alarmCallback is CloudMonitor's ALERT callback of rule for one
// instance, as the HTTP trigger hands it to the server: transID is the
// alarm's own, the same on each delivery; requestID is FC's, one per
// delivery.
func alarmCallback(s *fctest.Function, requestID, transID, rule, instance string) *http.Request {
	form := url.Values{"alertName": {rule}, "alertState": {"ALERT"}, "curValue": {"97"}, "metricName": {"Host.mem.usedutilization"},
		"namespace": {"acs_ecs"}, "regionId": {essemu.SampleRegion}, "ruleId": {rule}, "userId": {"1234567890123456"},
		"dimensions": {fmt.Sprintf("{userId=1234567890123456, instanceId=%s}", instance)},
		"timestamp":  {strconv.FormatInt(time.Now().UnixMilli(), 10)}, "transId": {transID}, "triggerLevel": {"WARN"}}
	r, _ := http.NewRequest(http.MethodPost, s.URL+"/alarm", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	for k, v := range map[string]string{"x-fc-request-id": requestID, "x-fc-region": essemu.SampleRegion, "x-fc-access-key-id": key.ID,
		"x-fc-access-key-secret": key.Secret, "x-fc-security-token": key.Token, "x-fc-function-timeout": "30", "x-fc-control-path": "/http-invoke"} {
		r.Header.Set(k, v)
	}
	return r
}

// alarmAnswer is an alarm callback's answer, success or failure, as far
// as these tests read it.
type alarmAnswer struct {
	Status    int           `json:"-"` // 0: no answer within CloudMonitor's time
	Took      time.Duration `json:"-"`
	Body      string        `json:"-"`
	Code      string        `json:"Code"` // a failure's
	Instances []struct {
		InstanceID string `json:"InstanceId"`
		Result     string `json:"Result"`
		TagCode    string `json:"TagCode"`
	} `json:"Instances"`
}

// is says whether the answer is status, with code (a failure's, or ""),
// and one line for instance: result and tagCode.
func (a alarmAnswer) is(status int, code, instance, result, tagCode string) bool {
	return a.Status == status && a.Code == code && len(a.Instances) == 1 && a.Instances[0].InstanceID == instance &&
		a.Instances[0].Result == result && a.Instances[0].TagCode == tagCode
}

func (a alarmAnswer) String() string {
	if a.Status == 0 {
		return "no answer: " + a.Body
	}
	return fmt.Sprintf("%d after %s: %s", a.Status, a.Took.Round(time.Millisecond), short(a.Body))
}

// short is the head of a long answer, enough to tell what it is.
func short(body string) string {
	if len(body) > 800 {
		return body[:800] + "…"
	}
	return body
}

// callback delivers r as CloudMonitor does, giving up after its 5 s (an
// answer is then status 0): any answer came in time. Safe from any
// goroutine.
func callback(s *fctest.Function, r *http.Request) alarmAnswer {
	ctx, cancel := context.WithTimeout(r.Context(), cloudMonitorTimeout)
	defer cancel()
	start := time.Now()
	resp, err := s.Client.Do(r.WithContext(ctx))
	if err != nil {
		return alarmAnswer{Took: time.Since(start), Body: err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	a := alarmAnswer{Status: resp.StatusCode, Took: time.Since(start), Body: string(body)}
	if err != nil {
		return alarmAnswer{Took: a.Took, Body: err.Error()}
	}
	if json.Unmarshal(body, &a) != nil {
		a.Code = "(not JSON)"
	}
	return a
}

// deliver sends n alarm callbacks at once, the i-th made by request, and
// returns their answers in order.
func deliver(s *fctest.Function, n int, request func(i int) *http.Request) []alarmAnswer {
	answers := make([]alarmAnswer, n)
	var wg sync.WaitGroup
	for i := range n {
		r := request(i)
		wg.Go(func() { answers[i] = callback(s, r) })
	}
	wg.Wait()
	return answers
}

// sweepLine is one line of a sweep's answer.
type sweepLine struct {
	InstanceID string `json:"InstanceId"`
	Result     string `json:"Result"`
	Reason     string `json:"Reason"`
}

// sweepAnswer is the lease sweep's answer.
type sweepAnswer struct {
	Status int
	Body   string
	Sweep  struct {
		Instances []sweepLine `json:"Instances"`
		Left      int         `json:"Left"`
	} `json:"Sweep"`
}

// lines are the sweep's lines by instance.
func (a sweepAnswer) lines() map[string]sweepLine {
	out := map[string]sweepLine{}
	for _, l := range a.Sweep.Instances {
		out[l.InstanceID] = l
	}
	return out
}

// sweep sends the lease-sweep timer's {"Action":"Sweep"} as FC's event
// invocation; it fails the test if there is no answer within 15 s.
func sweep(t *testing.T, s *fctest.Function, requestID string) sweepAnswer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	resp, body := do(t, s, invokeRequest(t, s.URL, requestID, `{"Action":"Sweep"}`).WithContext(ctx))
	a := sweepAnswer{Status: resp.StatusCode, Body: string(body)}
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("sweep %s answered %d %s: %v", requestID, resp.StatusCode, body, err)
	}
	return a
}

// logLines are the invocation log lines of requestIDs, by request ID. The
// server prints each before it answers, but its output reaches the test
// through a pipe that answers no one: the test reads it until every line
// is there, or a deadline.
func logLines(t *testing.T, s *fctest.Function, requestIDs ...string) map[string]map[string]any {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		lines := map[string]map[string]any{}
		for line := range strings.Lines(s.Logs.String()) {
			var entry map[string]any
			if json.Unmarshal([]byte(line), &entry) == nil && entry["msg"] == "invocation" {
				if id, ok := entry["request_id"].(string); ok {
					lines[id] = entry
				}
			}
		}
		var missing []string
		for _, id := range requestIDs {
			if lines[id] == nil {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 {
			return lines
		}
		if time.Now().After(deadline) {
			t.Errorf("10 s on, no invocation line for %v", missing)
			return lines
		}
	}
}

// logLine is the invocation log line of requestID.
func logLine(t *testing.T, s *fctest.Function, requestID string) map[string]any {
	t.Helper()
	return logLines(t, s, requestID)[requestID]
}

// owedAtError says that an invocation's line is at ERROR and says one
// instance's tags are owed.
func owedAtError(line map[string]any) bool {
	return line["level"] == "ERROR" && line["tags_owed"] == 1.0
}

// awaitTags waits until each instance's tags are as ok says: the server
// writes them after the answer, and tells no one; so the test looks, as
// an operator would, until a deadline.
func awaitTags(t *testing.T, s *fctest.Function, instances []string, ok func(map[string]string) bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var wrong []string
		for _, id := range instances {
			if tags := s.Emu.Tags(id); !ok(tags) {
				wrong = append(wrong, fmt.Sprintf("%s %v", id, tags))
			}
		}
		if len(wrong) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s on, %d instances' tags are still not so: %s", len(wrong), strings.Join(wrong, "; "))
		}
	}
}

// inState counts the instances in state.
func inState(s *fctest.Function, instances []string, state string) int {
	n := 0
	for _, id := range instances {
		if in, _ := s.Emu.Instance(id); in.LifecycleState == state {
			n++
		}
	}
	return n
}

// moved counts how often activities moved each instance.
func moved(s *fctest.Function) map[string]int {
	n := map[string]int{}
	for _, a := range s.Emu.Activities() {
		for _, id := range a.InstanceIDs {
			n[id]++
		}
	}
	return n
}

// tally reports what a storm's answers or lines got wrong: how many, and
// the first few.
type tally struct {
	t     *testing.T
	what  string
	wrong []string
}

func (ta *tally) check(ok bool, format string, args ...any) {
	if !ok {
		ta.wrong = append(ta.wrong, fmt.Sprintf(format, args...))
	}
}

func (ta *tally) report() {
	ta.t.Helper()
	if len(ta.wrong) > 0 {
		ta.t.Errorf("%d %s; the first: %s", len(ta.wrong), ta.what, strings.Join(ta.wrong[:min(3, len(ta.wrong))], "\n"))
	}
}

// Case 1: a slow ECS holds up no other alarm of the group. The first
// alarm's TagResources is held at ECS (as one answered 8 s late would be);
// an alarm for another instance of the same group, sent while it hangs,
// is answered at once, parked and tagged. The first is answered within
// its tag wait, a failure CloudMonitor retries (504, TagCode Timeout);
// once ECS answers, its tags are written, and its re-delivery answers
// success without another activity.
func TestSlowTagsHoldUpNoOtherAlarm(t *testing.T) {
	g := lifecycleGroup("bp1slowtag", 8)
	s := startServer(t, nil, g)
	first, second := g.Instances[0].ID, g.Instances[1].ID
	arrived, release := s.Emu.Hold("TagResources")
	defer release()

	firstAnswer := make(chan alarmAnswer, 1)
	go func() { firstAnswer <- callback(s, alarmCallback(s, "slow-1", "trans-slow-1", "rule-mem", first)) }()
	<-arrived // first is parked, and its tags' call hangs at ECS

	a := callback(s, alarmCallback(s, "slow-2", "trans-slow-2", "rule-mem", second))
	if !a.is(200, "", second, "EnteredStandby", "") || a.Took > cloudMonitorTimeout/2 {
		t.Errorf("the second alarm, while the first's tags hang at ECS: %s; want 200, EnteredStandby, tagged, well within %s", a, cloudMonitorTimeout)
	}
	if tags := s.Emu.Tags(second); !parkedBy("rule-mem", time.Now())(tags) {
		t.Errorf("the second alarm answered, its instance's tags are %v", tags)
	}
	b := <-firstAnswer
	if !b.is(504, "Timeout", first, "EnteredStandby", "Timeout") || b.Took > tagWait+time.Second {
		t.Errorf("the first alarm, its tags unanswered: %s; want 504 Timeout, EnteredStandby, TagCode Timeout, after its %s tag wait", b, tagWait)
	}
	if line := logLine(t, s, "slow-1"); !owedAtError(line) {
		t.Errorf("the first alarm's line: %v; want ERROR, tags_owed 1", line)
	}
	if n := inState(s, []string{first, second}, essemu.Standby); n != 2 {
		t.Errorf("%d of the 2 instances in Standby", n)
	}

	release() // ECS answers the first alarm's tags
	awaitTags(t, s, []string{first}, parkedBy("rule-mem", time.Now()))
	if c := callback(s, alarmCallback(s, "slow-1-again", "trans-slow-1", "rule-mem", first)); !c.is(200, "", first, "EnteredStandby", "") {
		t.Errorf("the first alarm's re-delivery, its tags written: %s; want 200, EnteredStandby", c)
	}
	if n := moved(s); len(n) != 2 || n[first] != 1 || n[second] != 1 {
		t.Errorf("activities moved %v; want each instance once", n)
	}
	s.Stop(t)
}

// Case 1: with ECS answering every tag call slowly, every answer of a
// storm of 100 alarms on one group (as s.yaml deploys it) comes within
// CloudMonitor's 5 s: at 1 s a call, each parked and tagged (200); at 3 s,
// past the answers' 2 s tag wait, each parked, answered 504 Timeout with
// TagCode Timeout (CloudMonitor retries it) and logged at ERROR with
// tags_owed, the tags written after the answers.
func TestSlowTagsKeepEveryAnswerInTime(t *testing.T) {
	const alarms = 100
	for _, tt := range []struct {
		ecs           time.Duration
		status        int
		code, tagCode string
	}{
		{time.Second, 200, "", ""},
		{3 * time.Second, 504, "Timeout", "Timeout"},
	} {
		t.Run(fmt.Sprintf("ecs=%s", tt.ecs), func(t *testing.T) {
			g := lifecycleGroup("bp1slowecs", 4*alarms)
			s := startServer(t, sYAML, g)
			s.Emu.Inject(essemu.Fault{Action: "TagResources", Delay: tt.ecs})
			started := time.Now()
			answers := deliver(s, alarms, func(i int) *http.Request {
				return alarmCallback(s, fmt.Sprint("slowecs-", i), fmt.Sprint("trans-slowecs-", i), "rule-mem", g.Instances[i].ID)
			})
			var slowest time.Duration
			wrong := tally{t: t, what: fmt.Sprintf("answers not %d %q, EnteredStandby, TagCode %q within %s", tt.status, tt.code, tt.tagCode, cloudMonitorTimeout)}
			for i, a := range answers {
				slowest = max(slowest, a.Took)
				wrong.check(a.is(tt.status, tt.code, g.Instances[i].ID, "EnteredStandby", tt.tagCode), "alarm %d: %s", i, a)
			}
			wrong.report()
			t.Logf("the slowest of %d answers took %s", alarms, slowest.Round(time.Millisecond))
			if tt.tagCode != "" {
				var requests []string
				for i := range alarms {
					requests = append(requests, fmt.Sprint("slowecs-", i))
				}
				lines := logLines(t, s, requests...)
				wrong := tally{t: t, what: "lines not at ERROR with tags_owed 1"}
				for _, id := range requests {
					wrong.check(owedAtError(lines[id]), "%s: %v", id, lines[id])
				}
				wrong.report()
			}
			parked := ids(g.Instances[:alarms])
			if n := inState(s, parked, essemu.Standby); n != alarms {
				t.Errorf("%d of %d instances in Standby", n, alarms)
			}
			awaitTags(t, s, parked, parkedBy("rule-mem", started))
			s.Stop(t)
		})
	}
}

// throttledStorm parks 20 instances of a group of 100 (as s.yaml deploys
// it; another instance of it someone else parked) by 20 alarms, each
// delivered deliveries times as CloudMonitor retries, ECS throttling every
// tag call for good. Every answer is a failure CloudMonitor retries,
// logged at ERROR with tags_owed; the 20 are in Standby, each moved once,
// untagged.
func throttledStorm(t *testing.T, deliveries int) (s *fctest.Function, parked []string, someoneElses string) {
	t.Helper()
	const alarms = 20
	g := lifecycleGroup("bp1throttle", 100) // MAX_STANDBY=25%: room for 25
	someoneElses = g.Instances[99].ID
	g.Instances[99].LifecycleState = essemu.Standby
	parked = ids(g.Instances[:alarms])
	s = startServer(t, sYAML, g)
	s.Emu.Inject(essemu.Fault{Action: "TagResources", Status: 400, Code: "Throttling", Message: "Request was denied due to request throttling."})
	// The tag call is still being retried when an answer's wait ends: the
	// answer names Timeout, not Throttling.
	answered := tally{t: t, what: "answers not 504 Timeout, EnteredStandby, TagCode Timeout"}
	logged := tally{t: t, what: "lines not at ERROR with tags_owed 1"}
	for d := range deliveries {
		requestID := func(i int) string { return fmt.Sprintf("throttled-%d-%d", i, d) }
		answers := deliver(s, alarms, func(i int) *http.Request {
			return alarmCallback(s, requestID(i), fmt.Sprint("trans-throttled-", i), "rule-mem", parked[i])
		})
		var requests []string
		for i, a := range answers {
			answered.check(a.is(504, "Timeout", parked[i], "EnteredStandby", "Timeout"), "delivery %d of alarm %d: %s", d+1, i, a)
			requests = append(requests, requestID(i))
		}
		lines := logLines(t, s, requests...)
		for _, id := range requests {
			logged.check(owedAtError(lines[id]), "%s: %v", id, lines[id])
		}
	}
	answered.report()
	logged.report()
	if n := inState(s, parked, essemu.Standby); n != alarms {
		t.Errorf("%d of %d instances in Standby", n, alarms)
	}
	if n := moved(s); len(n) != alarms || slices.ContainsFunc(parked, func(id string) bool { return n[id] != 1 }) {
		t.Errorf("activities moved %v; want each of the %d instances once", n, alarms)
	}
	for _, id := range parked {
		if tags := s.Emu.Tags(id); !untagged(tags) {
			t.Fatalf("%s holds %v though ECS throttles every tag call", id, tags)
		}
	}
	return s, parked, someoneElses
}

// Case 3: a tag failure is never lost. ECS throttles every tag call for
// good: 20 alarms, each delivered 4 times, leave their instances in
// Standby, each answer a failure CloudMonitor retries, at ERROR with
// tags_owed (throttledStorm). Once ECS is well, the next sweep sees their
// tags written (by the sweep, or by the write still being retried), and
// the one after finds their leases running; none was taken back.
func TestThrottledTagsAreOwedNotLost(t *testing.T) {
	started := time.Now()
	s, parked, someoneElses := throttledStorm(t, 4)
	s.Emu.ClearFaults() // ECS is well again
	sweep(t, s, "sweep-healed")
	awaitTags(t, s, parked, parkedBy("rule-mem", started))
	sweepSays(t, s, "sweep-after", parked, "Leased", someoneElses, "instances not Leased in the sweep after their tags were written")
	if n := inState(s, parked, essemu.Standby); n != len(parked) {
		t.Errorf("%d of %d instances in Standby at the end", n, len(parked))
	}
	s.Stop(t)
}

// Case 3: the sweep tells an instance this function parked, whose tags
// ECS has not confirmed, from one someone else parked: while ECS throttles
// every tag call, a sweep after the alarms reports their 20 instances
// Untagged, not NotParked, and its line is at ERROR; the first write of
// their tags is still being retried then (for up to 30 s), and counts as
// owed all the same.
func TestASweepCallsTagsStillOwedUntagged(t *testing.T) {
	s, parked, someoneElses := throttledStorm(t, 1)
	a := sweepSays(t, s, "sweep-throttled", parked, "Untagged", someoneElses, "instances parked by this function not Untagged in the sweep while ECS throttles")
	if line := logLine(t, s, "sweep-throttled"); a.Status != 200 || line["level"] != "ERROR" || line["untagged"] != float64(len(parked)) || line["not_parked"] != 1.0 {
		t.Errorf("the sweep answered %d; its line %v; want 200, at ERROR, untagged %d, not_parked 1", a.Status, line, len(parked))
	}
	s.Emu.ClearFaults()
	s.Stop(t)
}

// Case 4: with LEASE_END=exit and s.yaml's MAX_INSTANCES=20, one sweep
// takes back all 60 Standby instances whose leases ended (valid leases,
// since and until in the past), in ExitStandby calls of at most 20, and
// removes their tags; the 10 whose leases run stay parked.
func TestSweepReturnsAWaveOfEndedLeases(t *testing.T) {
	const ended, running = 60, 10
	g := lifecycleGroup("bp1wave", 200)
	now := time.Now()
	for i := range ended + running {
		in := &g.Instances[i]
		in.LifecycleState = essemu.Standby
		in.Tags = leaseTags("rule-mem", now.Add(-48*time.Hour), 24*time.Hour)
		if i >= ended {
			in.Tags = leaseTags("rule-mem", now.Add(-time.Hour), 24*time.Hour)
		}
	}
	endedIDs, runningIDs := ids(g.Instances[:ended]), ids(g.Instances[ended:ended+running])
	s := startServer(t, append([]string{"LEASE_END=exit"}, sYAML...), g)

	a := sweep(t, s, "sweep-wave")
	results := map[string]int{}
	for _, l := range a.Sweep.Instances {
		results[l.Result]++
	}
	if a.Status != 200 || results["Returned"] != ended || results["Leased"] != running || len(a.Sweep.Instances) != ended+running || a.Sweep.Left != 0 {
		t.Errorf("one sweep of %d ended leases, %d running: %d, %v, %d left; want 200, %d Returned, %d Leased, none left\n%s",
			ended, running, a.Status, results, a.Sweep.Left, ended, running, short(a.Body))
	}
	returned := tally{t: t, what: "ended leases not Returned"}
	for _, id := range endedIDs {
		returned.check(a.lines()[id].Result == "Returned", "%s %s (%s)", id, a.lines()[id].Result, a.lines()[id].Reason)
	}
	returned.report()
	if line := logLine(t, s, "sweep-wave"); line["returned"] != float64(ended) || line["left"] != 0.0 {
		t.Errorf("the sweep's line: %v; want returned %d, left 0", line, ended)
	}
	var exited []string
	for _, c := range s.Emu.Calls() {
		if c.Action != "ExitStandby" {
			continue
		}
		var named []string
		for n := 1; c.Params.Has("InstanceId." + strconv.Itoa(n)); n++ {
			named = append(named, c.Params.Get("InstanceId."+strconv.Itoa(n)))
		}
		if len(named) > 20 || c.Status != 200 {
			t.Errorf("an ExitStandby call of %d instances answered %d %s", len(named), c.Status, c.Code)
		}
		exited = append(exited, named...)
	}
	slices.Sort(exited)
	if !slices.Equal(exited, endedIDs) {
		t.Errorf("ExitStandby calls named %d instances %v; want each of the %d ended leases once", len(exited), exited, ended)
	}
	if n := inState(s, endedIDs, essemu.InService); n != ended {
		t.Errorf("%d of %d ended leases InService", n, ended)
	}
	if n := inState(s, runningIDs, essemu.Standby); n != running {
		t.Errorf("%d of %d running leases in Standby", n, running)
	}
	awaitTags(t, s, endedIDs, untagged)
	awaitTags(t, s, runningIDs, parkedBy("rule-mem", now))
	s.Stop(t)
}

// Case 5: a sweep never undoes a live alarm. An operator took an instance
// back (its old, ended tags stay on it while InService); an alarm of the
// same rule parks it again, and its new tags' call hangs at ECS; a sweep
// with LEASE_END=exit meanwhile reads the old tags, and leaves it parked,
// calling no ExitStandby. Once ECS answers, the new tags are there and
// the next sweep finds the lease running.
func TestSweepLeavesALiveAlarmParked(t *testing.T) {
	g := lifecycleGroup("bp1live", 4)
	taken := g.Instances[0].ID
	g.Instances[0].Tags = leaseTags("rule-mem", time.Now().Add(-48*time.Hour), 24*time.Hour) // InService, its lease long over
	s := startServer(t, []string{"LEASE_END=exit"}, g)
	arrived, release := s.Emu.Hold("TagResources")
	defer release()
	alarm := make(chan alarmAnswer, 1)
	started := time.Now()
	go func() { alarm <- callback(s, alarmCallback(s, "live-alarm", "trans-live", "rule-mem", taken)) }()
	<-arrived // parked again, its old tags still on it, its new ones' call hanging

	a := sweep(t, s, "sweep-live")
	if l, ok := a.lines()[taken]; a.Status != 200 || !ok || l.Result != "Skipped" {
		t.Errorf("the sweep, while the alarm's tags are being written: %d %s; want 200, %s Skipped", a.Status, short(a.Body), taken)
	}
	for _, c := range s.Emu.Calls() {
		if c.Action == "ExitStandby" {
			t.Errorf("the sweep called ExitStandby %v", c.Params)
		}
	}
	if in, _ := s.Emu.Instance(taken); in.LifecycleState != essemu.Standby {
		t.Errorf("%s is %s after the sweep; want Standby", taken, in.LifecycleState)
	}

	release() // ECS answers the new tags
	// Answered 200 if ECS answered within the alarm's 2 s tag wait, else
	// 504 Timeout; parked either way.
	if b := <-alarm; !b.is(200, "", taken, "EnteredStandby", "") && !b.is(504, "Timeout", taken, "EnteredStandby", "Timeout") {
		t.Errorf("the alarm: %s; want EnteredStandby", b)
	}
	awaitTags(t, s, []string{taken}, parkedBy("rule-mem", started))
	if l := sweep(t, s, "sweep-after").lines()[taken]; l.Result != "Leased" {
		t.Errorf("the sweep after the new tags: %s %s (%s); want Leased", taken, l.Result, l.Reason)
	}
	if in, _ := s.Emu.Instance(taken); in.LifecycleState != essemu.Standby {
		t.Errorf("%s is %s at the end; want Standby", taken, in.LifecycleState)
	}
	s.Stop(t)
}

// sweepSays sweeps, and holds every parked instance's line to result and
// someone else's to NotParked; failing lines are tallied under what.
func sweepSays(t *testing.T, s *fctest.Function, request string, parked []string, result, someoneElses, what string) sweepAnswer {
	t.Helper()
	a := sweep(t, s, request)
	lines := a.lines()
	wrong := tally{t: t, what: what}
	for _, id := range parked {
		wrong.check(lines[id].Result == result, "%s %s (%s)", id, lines[id].Result, lines[id].Reason)
	}
	wrong.report()
	if l := lines[someoneElses]; l.Result != "NotParked" {
		t.Errorf("the sweep: someone else's %s is %s; want NotParked", someoneElses, l.Result)
	}
	return a
}
