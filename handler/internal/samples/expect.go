// Package samples reads the files of events/, the payloads the cloud's
// documentation prints, and says what each must lead to when the function
// runs it against the Auto Scaling emulator's sample fleet: the in-process
// tests and the end-to-end tests of the built binary check every file
// against one table.
package samples

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"ess-standby/handler/essemu"
)

// Expectation is what a file in events/ must lead to when the function runs
// it against the sample fleet. The in-process tests and the end-to-end tests
// of the built binary both check every file against this table.
type Expectation struct {
	Trigger string            // how the handler names the event's source in its log
	HTTP    bool              // answered as an HTTP response
	Status  int               // the answer's HTTP status
	Code    string            // the error code; empty on success
	Ignored bool              // answered {"Ignored": …} with no call
	Refused bool              // the failure is Auto Scaling's answer to a call made
	Calls   []string          // the actions the cloud receives (Auto Scaling's, ECS's tags), the read first
	Standby []string          // the instances the answer reports in Standby
	Skipped []string          // the instances the answer reports as skipped
	Swept   map[string]string // a sweep: what it found of each Standby instance
}

// Every request reads its instances' state before it acts, and tags those
// it parked; two groups are planned at once, each calling and tagging.
var (
	lookupAndEnter = []string{"DescribeScalingInstances", "EnterStandby", "TagResources"}
	twoGroups      = []string{"DescribeScalingInstances", "EnterStandby", "EnterStandby", "TagResources", "TagResources"}
)

// expected maps each file name in events/ to its expectation.
var expected = map[string]Expectation{
	"direct-request.json":              {Trigger: "direct", Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1ecr7go2go9kq3m1a", "i-bp1ecr7go2go9kq3m1b"}},
	"direct-request-lookup.json":       {Trigger: "direct", Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1hh2ka9xr7wq4t5n0a"}},
	"direct-request-two-groups.json":   {Trigger: "direct", Status: 200, Calls: slices.Concat(twoGroups, []string{"TagResources"}), Standby: []string{"i-bp1ecr7go2go9kq3m1c", "i-bp1hh2ka9xr7wq4t5n0b", "eci-bp1hh2ka9xr7wq4t5n0c"}, Skipped: []string{"i-bp1ecr7go2go9kq3m1c"}},
	"direct-request-invalid.json":      {Trigger: "direct", Status: 400, Code: "InvalidParameter"},
	"direct-request-not-in-group.json": {Trigger: "direct", Status: 404, Code: "InvalidInstanceId.NotFound", Calls: []string{"DescribeScalingInstances"}},
	// The state read finds nothing in a group that does not exist; the call
	// lets Auto Scaling say so.
	"direct-request-unknown-group.json": {Trigger: "direct", Status: 404, Code: "InvalidScalingGroupId.NotFound", Calls: []string{"DescribeScalingInstances", "EnterStandby"}, Refused: true},

	"http-json.json":            {Trigger: "http-json", HTTP: true, Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1ecr7go2go9kq3m1b"}},
	"http-form.json":            {Trigger: "http-form", HTTP: true, Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1ecr7go2go9kq3m1c", "i-bp1ecr7go2go9kq3m1d"}},
	"http-query.json":           {Trigger: "http-query", HTTP: true, Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1hh2ka9xr7wq4t5n0a"}},
	"http-base64.json":          {Trigger: "http-json", HTTP: true, Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1hh2ka9xr7wq4t5n0b"}},
	"http-invalid.json":         {Trigger: "http-json", HTTP: true, Status: 400, Code: "InvalidParameter"},
	"http-cms-alarm-alert.json": {Trigger: "cms-alarm-callback", HTTP: true, Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1ecr7go2go9kq3m1a"}},
	"http-cms-alarm-ok.json":    {Trigger: "cms-alarm-callback", HTTP: true, Status: 200, Ignored: true},
	// The callback as a JSON body, as CloudMonitor's older documentation
	// prints it (ALARM, dimensions a JSON array); the form, base64-encoded.
	"http-cms-alarm-json.json":   {Trigger: "cms-alarm-callback:json", HTTP: true, Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1ecr7go2go9kq3m1a"}},
	"http-cms-alarm-base64.json": {Trigger: "cms-alarm-callback", HTTP: true, Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1ecr7go2go9kq3m1c"}},
	// The subscription's other documented deliveries: POST FORM, GET JSON
	// (data=<the JSON>), GET FORM.
	"http-cms-subscription-form.json":     {Trigger: "http-form:cms-subscription:Instance:InstanceFailure.Reboot:Executing", HTTP: true, Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1hh2ka9xr7wq4t5n0b"}},
	"http-cms-subscription-get-json.json": {Trigger: "http-get:cms-subscription:Instance:InstanceFailure.Reboot:Executing", HTTP: true, Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1hh2ka9xr7wq4t5n0b"}},
	"http-cms-subscription-get-form.json": {Trigger: "http-get-form:cms-subscription:Instance:InstanceFailure.Reboot:Executing", HTTP: true, Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1hh2ka9xr7wq4t5n0b"}},

	"http-cms-subscription-alert.json": {Trigger: "http:cms-subscription:Instance:InstanceFailure.Reboot:Executing", HTTP: true, Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1hh2ka9xr7wq4t5n0b"}},
	"cms-subscription-alert.json":      {Trigger: "cms-subscription:Instance:InstanceFailure.Reboot:Executing", Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1ecr7go2go9kq3m1b"}},
	"cms-subscription-resolved.json":   {Trigger: "cms-subscription:Instance:InstanceFailure.Reboot:Executed", Status: 200, Ignored: true},
	"cms-event-maintenance.json":       {Trigger: "cms-event:Instance:SystemMaintenance.Reboot:Scheduled", Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1ecr7go2go9kq3m1c"}},
	"cms-event-rule-copy.json":         {Trigger: "cms-event:Instance:SystemFailure.Reboot:Executing", Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1hh2ka9xr7wq4t5n0a"}},
	// ECS's own examples ("Instance event notification"): the Avoided
	// notice keeps its Scheduled name; the content says it is over.
	"cms-event-maintenance-avoided.json":        {Trigger: "cms-event:Instance:SystemMaintenance.Reboot:Scheduled", Status: 200, Ignored: true},
	"cms-event-statechange-running.json":        {Trigger: "cms-event:Instance:StateChange", Status: 200, Ignored: true},
	"cms-event-statechange-stopping.json":       {Trigger: "cms-event:Instance:StateChange", Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1ecr7go2go9kq3m1d"}},
	"cms-event-preemptible.json":                {Trigger: "cms-event:Instance:PreemptibleInstanceInterruption", Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1ecr7go2go9kq3m1b"}},
	"cms-event-livemigration-started.json":      {Trigger: "cms-event:Instance:LiveMigrationAcrossDDH", Status: 200, Ignored: true},
	"cms-event-livemigration-accomplished.json": {Trigger: "cms-event:Instance:LiveMigrationAcrossDDH", Status: 200, Ignored: true},
	"cms-event-livemigration-failed.json":       {Trigger: "cms-event:Instance:LiveMigrationAcrossDDH", Status: 200, Ignored: true},
	"cms-event-performance-mode.json":           {Trigger: "cms-event:Instance:PerformanceModeChange", Status: 200, Ignored: true},
	"cms-event-burstable-restricted.json":       {Trigger: "cms-event:Instance:BurstablePerformanceRestricted", Status: 200, Ignored: true},
	"cms-event-disk-stalled.json":               {Trigger: "cms-event:Disk:Stalled:Executing", Status: 200, Ignored: true},
	"cms-event-disk-stalled-finished.json":      {Trigger: "cms-event:Disk:Stalled:Executing", Status: 200, Ignored: true},
	// The same notices as EventBridge's RawData: the content alone.
	"eventbridge-ecs-livemigration-rawdata.json":    {Trigger: "eventbridge-rawdata:ecs:Instance:LiveMigrationAcrossDDH", Status: 200, Ignored: true},
	"eventbridge-ecs-performance-mode-rawdata.json": {Trigger: "eventbridge-rawdata:ecs:Instance:PerformanceModeChange", Status: 200, Ignored: true},
	"eventbridge-ecs-burstable-rawdata.json":        {Trigger: "eventbridge-rawdata:ecs:Instance:BurstablePerformanceRestricted", Status: 200, Ignored: true},

	"eventbridge-ecs-statechange.json":          {Trigger: "eventbridge:ecs:Instance:StateChange", Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1ecr7go2go9kq3m1c"}},
	"eventbridge-ecs-statechange-running.json":  {Trigger: "eventbridge:ecs:Instance:StateChange", Status: 200, Ignored: true},
	"eventbridge-ecs-maintenance.json":          {Trigger: "eventbridge:ecs:Instance:SystemMaintenance.Reboot", Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1ecr7go2go9kq3m1d"}},
	"eventbridge-ecs-maintenance-rawdata.json":  {Trigger: "eventbridge-rawdata:ecs:Instance:SystemMaintenance.Redeploy", Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1hh2ka9xr7wq4t5n0b"}},
	"eventbridge-ecs-failure-rawdata.json":      {Trigger: "eventbridge-rawdata:ecs:Instance:SystemFailure.Reboot", Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1ecr7go2go9kq3m1b"}},
	"eventbridge-ecs-maintenance-executed.json": {Trigger: "eventbridge:ecs:Instance:SystemMaintenance.Reboot", Status: 200, Ignored: true},
	"eventbridge-ecs-disk-maintenance.json":     {Trigger: "eventbridge:ecs:Instance:SystemMaintenance.RebootAndIsolateErrorDisk", Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1hh2ka9xr7wq4t5n0b"}},
	"eventbridge-ecs-stale.json":                {Trigger: "eventbridge:ecs:Instance:SystemMaintenance.Redeploy", Status: 200, Ignored: true},
	"eventbridge-ecs-preemptible.json":          {Trigger: "eventbridge:ecs:Instance:PreemptibleInstanceInterruption", Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1ecr7go2go9kq3m1d"}},
	"eventbridge-ecs-preemptible-rawdata.json":  {Trigger: "eventbridge-rawdata:ecs:Instance:PreemptibleInstanceInterruption", Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1hh2ka9xr7wq4t5n0a"}},
	"eventbridge-ecs-statechange-rawdata.json":  {Trigger: "eventbridge-rawdata:ecs:Instance:StateChange", Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1ecr7go2go9kq3m1b"}},
	// A batch: one call per group, whatever the events' order; the answer
	// names the instances in the order of the events naming them.
	// Two events' instances in one group: two sets of tags.
	"eventbridge-batch.json":          {Trigger: "eventbridge-batch", Status: 200, Calls: slices.Concat(twoGroups, []string{"TagResources"}), Standby: []string{"i-bp1ecr7go2go9kq3m1a", "i-bp1hh2ka9xr7wq4t5n0a", "i-bp1ecr7go2go9kq3m1b"}},
	"eventbridge-batch-rawdata.json":  {Trigger: "eventbridge-batch", Status: 200, Calls: twoGroups, Standby: []string{"i-bp1ecr7go2go9kq3m1c", "i-bp1hh2ka9xr7wq4t5n0b"}},
	"eventbridge-ecs-disk-event.json": {Trigger: "eventbridge:ecs:Disk:DiskOperationCompleted", Status: 200, Ignored: true},
	"eventbridge-cms-alert.json":      {Trigger: "eventbridge:cms:CloudMonitor:AlertWebHook", Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1hh2ka9xr7wq4t5n0a"}},

	// Groups of alerts in Alertmanager's shape, each alert its own event:
	// ARMS's example as printed (2021: too old), its dates moved (only an
	// address: LOCATE_BY_ADDRESS is off), and an instance_id label added;
	// Grafana's example (no instance named); Prometheus's documented shape,
	// over HTTP and as an event; firing and resolved together (EXIT_ON_OK
	// is off: the resolved are ignored), in two groups; no instance; an
	// instance in no group.
	"http-alertmanager-arms.json":          {Trigger: "http:alertmanager", HTTP: true, Status: 200, Ignored: true},
	"http-alertmanager-arms-address.json":  {Trigger: "http:alertmanager", HTTP: true, Status: 200, Ignored: true},
	"http-alertmanager-arms-instance.json": {Trigger: "http:alertmanager", HTTP: true, Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1hh2ka9xr7wq4t5n0a"}},
	"http-alertmanager-grafana.json":       {Trigger: "http:alertmanager", HTTP: true, Status: 200, Ignored: true},
	"http-alertmanager-prometheus.json":    {Trigger: "http:alertmanager", HTTP: true, Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1ecr7go2go9kq3m1a", "i-bp1ecr7go2go9kq3m1b"}},
	"alertmanager-webhook.json":            {Trigger: "alertmanager", Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1ecr7go2go9kq3m1a", "i-bp1ecr7go2go9kq3m1b"}},
	"http-alertmanager-batch.json":         {Trigger: "http:alertmanager", HTTP: true, Status: 200, Calls: twoGroups, Standby: []string{"i-bp1ecr7go2go9kq3m1c", "i-bp1hh2ka9xr7wq4t5n0b"}},
	"http-alertmanager-no-instance.json":   {Trigger: "http:alertmanager", HTTP: true, Status: 200, Ignored: true},
	"http-alertmanager-not-allowed.json":   {Trigger: "http:alertmanager", HTTP: true, Status: 404, Code: "InvalidInstanceId.NotFound", Calls: []string{"DescribeScalingInstances"}},

	"timer.json": {Trigger: "timer", Status: 200, Calls: lookupAndEnter, Standby: []string{"i-bp1hh2ka9xr7wq4t5n0b"}},
	// The sweep, as s.yaml's lease-sweep timer sends it: the region's
	// groups, each one's Standby instances, their tags.
	"timer-sweep.json": {Trigger: "timer", Status: 200, Calls: []string{"DescribeScalingGroups", "DescribeScalingInstances", "DescribeScalingInstances", "ListTagResources"},
		Swept: map[string]string{"i-bp1ecr7go2go9kq3m1e": "LeaseEnded"}},

	// Other triggers' events, as fc-runtime-go-sdk's events/ READMEs print
	// them (their dates as printed): nothing to act on, each ignored with
	// the reason.
	"fc-mns-queue.json":      {Trigger: "eventbridge:mns:Queue:SendMessage", Status: 200, Ignored: true},
	"fc-rocketmq.json":       {Trigger: "eventbridge:mq:Topic:SendMessage", Status: 200, Ignored: true},
	"fc-rocketmq-batch.json": {Trigger: "eventbridge-batch", Status: 200, Ignored: true},
	"fc-kafka-batch.json":    {Trigger: "eventbridge-batch", Status: 200, Ignored: true},
	"fc-mns-topic.json":      {Trigger: "foreign", Status: 200, Ignored: true},
	"fc-oss.json":            {Trigger: "foreign", Status: 200, Ignored: true},
	"fc-sls.json":            {Trigger: "foreign", Status: 200, Ignored: true},
	"fc-timer-readme.json":   {Trigger: "timer", Status: 200, Ignored: true},
}

// Response is what the function's caller received for a sample, however
// it travelled.
type Response struct {
	HTTP   bool   // an HTTP response
	Status int    // its status; 0 for a failed event invocation, which has none
	Code   string // the error code, for a failed event invocation
	Body   []byte // the JSON answer
}

// answer is what Check reads of the function's JSON answer.
type answer struct {
	Sweep *struct {
		Instances []struct{ InstanceId, Result string }
	}
	Code, Message, Ignored, ScalingActivityId string
	InstanceIds                               []string
	Activities                                []struct{ ScalingActivityId string }
	Skipped                                   []struct{ InstanceId string }
}

// differences are what Check found unlike the expectation.
type differences []string

func (d *differences) add(format string, args ...any) { *d = append(*d, fmt.Sprintf(format, args...)) }

// Check compares a response, and what the emulator saw, with the
// expectation. It returns every difference; none means the sample passed.
func (e Expectation) Check(got Response, s *essemu.Server, key essemu.Key) []string {
	var d differences
	var body answer
	if err := json.Unmarshal(got.Body, &body); err != nil {
		d.add("answer %q is not JSON: %v", got.Body, err)
	}
	e.checkAnswer(&d, got, body)
	e.checkCalls(&d, s.Calls(), key)
	switch {
	case e.Code != "" || e.Ignored:
	case e.Swept != nil:
		e.checkSweep(&d, body)
	default:
		checkActivities(&d, body, s.Activities())
		e.checkStandby(&d, body, s)
		e.checkSkipped(&d, body)
	}
	return d
}

// checkAnswer compares the answer's kind, status, code and whether it was
// ignored.
func (e Expectation) checkAnswer(d *differences, got Response, body answer) {
	if !e.statusMatches(got) {
		d.add("answered HTTP=%t status %d, want HTTP=%t status %d", got.HTTP, got.Status, e.HTTP, e.Status)
	}
	if code := cmp.Or(got.Code, body.Code); code != e.Code {
		d.add("code %q, want %q (%s)", code, e.Code, body.Message)
	}
	if (body.Ignored != "") != e.Ignored {
		d.add("Ignored = %q, want ignored %t", body.Ignored, e.Ignored)
	}
}

// statusMatches says whether got is answered as expected: HTTP or not, and
// with the status expected, which a failed event invocation, answered by
// its code alone, has none of.
func (e Expectation) statusMatches(got Response) bool {
	return got.HTTP == e.HTTP && (got.Status == e.Status || got.Status == 0 && got.Code != "")
}

// checkCalls compares the calls the cloud received, each signed with the
// invocation's credentials and answered 200 (unless the failure expected
// is the cloud's refusal), with those expected.
func (e Expectation) checkCalls(d *differences, calls []essemu.Call, key essemu.Key) {
	var actions []string
	for _, c := range calls {
		actions = append(actions, c.Action)
		if !c.SignatureOK || c.AccessKeyID != key.ID || c.SecurityToken != key.Token || c.Status != 200 && !e.Refused {
			d.add("call %s: signature ok %t, key %q, token matches %t, status %d; want a verified call with the invocation's STS credentials",
				c.Action, c.SignatureOK, c.AccessKeyID, c.SecurityToken == key.Token, c.Status)
		}
	}
	if !callsMatch(actions, e.Calls) {
		d.add("the cloud received %v, want %v (tag calls: at most as many, and one at least)", actions, e.Calls)
	}
}

// callsMatch says whether the actions received are those wanted. Groups
// are planned at once: the order of their calls is no promise; the read
// that comes before them is. Tag calls are made off the plans, and those
// that arrive together share a call: as many as wanted at most (each
// instance's tags are checked apart), at least one where any is.
func callsMatch(actions, want []string) bool {
	isTag := func(a string) bool { return a == "TagResources" || a == "UntagResources" }
	others, wantOthers := slices.DeleteFunc(slices.Clone(actions), isTag), slices.DeleteFunc(slices.Clone(want), isTag)
	tags, wantTags := len(actions)-len(others), len(want)-len(wantOthers)
	switch {
	case !slices.Equal(slices.Sorted(slices.Values(others)), slices.Sorted(slices.Values(wantOthers))):
		return false
	case len(actions) > 0 && actions[0] != want[0]: // the read first
		return false
	}
	return tags <= wantTags && (wantTags == 0 || tags > 0)
}

// checkSweep compares what the sweep found of each Standby instance.
func (e Expectation) checkSweep(d *differences, body answer) {
	swept := map[string]string{}
	if body.Sweep != nil {
		for _, l := range body.Sweep.Instances {
			swept[l.InstanceId] = l.Result
		}
	}
	if !maps.Equal(swept, e.Swept) {
		d.add("the sweep found %v, want %v", swept, e.Swept)
	}
}

// checkActivities compares the activities answered with those the
// emulator started.
func checkActivities(d *differences, body answer, activities []essemu.ActivityState) {
	var started, answered []string
	for _, a := range activities {
		started = append(started, a.ID)
	}
	for _, a := range body.Activities {
		answered = append(answered, a.ScalingActivityId)
	}
	if !activitiesMatch(body.ScalingActivityId, answered, started) {
		d.add("answered activity %q and %v, the emulator started %v", body.ScalingActivityId, answered, started)
	}
}

// activitiesMatch says whether an answer's activities (first, the one it
// names first, and all it lists) are those started, any at all. Groups are
// planned at once: which activity started first is no promise, the
// answer's order (the events', the instances') is.
func activitiesMatch(first string, answered, started []string) bool {
	return len(started) > 0 && len(answered) > 0 && first == answered[0] &&
		slices.Equal(slices.Sorted(slices.Values(answered)), slices.Sorted(slices.Values(started)))
}

// checkStandby compares the instances answered with those expected in
// Standby, and checks each is there, out of traffic and tagged.
func (e Expectation) checkStandby(d *differences, body answer, s *essemu.Server) {
	if !slices.Equal(body.InstanceIds, e.Standby) {
		d.add("InstanceIds %v, want %v", body.InstanceIds, e.Standby)
	}
	for _, id := range e.Standby {
		if in, _ := s.Instance(id); in.LifecycleState != essemu.Standby || in.Weight != 0 {
			d.add("%s is %s with weight %d, want Standby with weight 0", id, in.LifecycleState, in.Weight)
		}
		// It says why: what asked, and since and until when.
		tags := s.Tags(id)
		for _, key := range []string{"ess-standby:source", "ess-standby:since", "ess-standby:until"} { // :event when it has an identity
			if tags[key] == "" {
				d.add("%s has no tag %s: %v", id, key, tags)
			}
		}
	}
}

// checkSkipped compares the instances answered as skipped.
func (e Expectation) checkSkipped(d *differences, body answer) {
	var skipped []string
	for _, sk := range body.Skipped {
		skipped = append(skipped, sk.InstanceId)
	}
	if !slices.Equal(skipped, e.Skipped) {
		d.add("Skipped %v, want %v", skipped, e.Skipped)
	}
}

// MaxEventAgeSetting is the MAX_EVENT_AGE setting with which a process on
// the real clock judges the samples' ages as if it were SampleTime, under
// the default hour: a sample's age now, less the time since SampleTime, is
// its age then.
func MaxEventAgeSetting() string {
	return "MAX_EVENT_AGE=" + (time.Since(essemu.SampleTime) + time.Hour).Round(time.Second).String()
}
