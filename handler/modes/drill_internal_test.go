//go:build !fcgo1 && !fccustom

package modes

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"ess-standby/handler/ess"
	"ess-standby/handler/standby"
)

// drillFake is a cloud in which the canary enters Standby at a given read
// of Auto Scaling, with the tags whoever parked it wrote, and whose log
// answers each read in turn (the last answer repeats).
type drillFake struct {
	reads, parkAt int // parkAt 0: the canary stays InService
	tags          standby.Tags
	tagsAt        int // the tag read from which tags are there (0: the first)
	tagReads      int
	tagErrs       []error  // what each tag read fails with, in turn (nil: none)
	states        []string // the canary's state at each watch, in turn, the last repeated (instead of parkAt)
	logs          []logAnswer
	logReads      int
}

// logAnswer is one answer of the log: the lines logged, or a failure.
type logAnswer struct {
	lines []string
	err   error
}

func (c *drillFake) ScalingInstances(_ context.Context, _ standby.Session, group string, ids []string) ([]standby.ScalingInstance, error) {
	c.reads++
	state := "InService"
	if c.parkAt > 0 && c.reads > c.parkAt {
		state = "Standby"
	}
	if len(c.states) > 0 && c.reads > 1 {
		state = c.states[min(c.reads-2, len(c.states)-1)]
	}
	return []standby.ScalingInstance{{InstanceID: ids[0], ScalingGroupID: "asg-c", LifecycleState: state}}, nil
}

func (c *drillFake) SimulateEvent(context.Context, standby.Session, string, []string, time.Time) ([]string, error) {
	return []string{"e-1"}, nil
}

func (c *drillFake) InstanceTags(_ context.Context, _ standby.Session, ids []string, _ string) (map[string]standby.Tags, error) {
	if c.tagReads++; c.tagReads <= len(c.tagErrs) && c.tagErrs[c.tagReads-1] != nil {
		return nil, c.tagErrs[c.tagReads-1]
	}
	if c.tagReads < c.tagsAt {
		return map[string]standby.Tags{}, nil // the function has yet to tag it
	}
	return map[string]standby.Tags{ids[0]: c.tags}, nil
}

func (c *drillFake) SearchLogs(_ context.Context, _ standby.Session, store ess.LogStore, query string, _, _ time.Time) ([]ess.LogEntry, error) {
	if store.Project != "p" || query != `__topic__:"FCLogs:ess-standby" and invocation and "e-1"` || len(c.logs) == 0 {
		return nil, &standby.Error{Kind: standby.Invalid, Code: "ParameterInvalid", Message: "not the drill's query: " + query}
	}
	a := c.logs[min(c.logReads, len(c.logs)-1)]
	c.logReads++
	var entries []ess.LogEntry
	for _, l := range a.lines {
		topic := "FCLogs:ess-standby"
		if strings.Contains(l, "ess-standby-staging") {
			topic = "FCLogs:ess-standby-staging" // another copy's line, in the same logstore
		}
		entries = append(entries, ess.LogEntry{Time: time.Now(), Fields: map[string]string{"message": l, "__topic__": topic}})
	}
	return entries, a.err
}

// line is an invocation line of the function's on the drill's event.
func line(request, fields string) string {
	return `{"time":"2026-12-01T10:00:01Z","level":"INFO","msg":"invocation","request_id":"` + request + `","rule":"SystemMaintenance.Reboot/e-1",` + fields + `}`
}

var (
	wouldPark = line("r-2", `"dry_run":true,"outcome":"standby","instances":["i-c"],"status":200`)
	parkedIt  = line("r-2", `"outcome":"standby","instances":["i-c"],"status":200`)
	ignoredIt = line("r-2", `"outcome":"ignored","ignored":"eventType SystemMaintenance.Reboot is not in ACT_ON_EVENTS","instances":null,"status":200`)
	refusedIt = line("r-2", `"dry_run":true,"outcome":"Forbidden.MinInService","message":"fewer than 2 InService would remain","instances":null,"status":403`)
	unsettled = line("r-1", `"dry_run":true,"outcome":"Unsettled.MaxStandby","instances":null,"status":502`)
	// The same invocation failing, then retried by FC (its request ID kept).
	busy     = line("r-3", `"retry_count":0,"dry_run":true,"outcome":"ScalingActivityInProgress","instances":null,"status":409`)
	busyThen = line("r-3", `"retry_count":1,"dry_run":true,"outcome":"standby","instances":["i-c"],"status":200`)
	staging  = line("r-9", `"dry_run":true,"outcome":"standby","instances":["i-c"],"status":200,"function":"ess-standby-staging"`)
	batched  = `{"time":"2026-12-01T10:00:01Z","msg":"invocation","request_id":"r-4","events":2,"dry_run":true,"outcome":"standby","instances":["i-x","i-c"],"status":200,` +
		`"event_results":[{"rule":"StateChange","result":"Acted","instances":["i-x"]},{"rule":"SystemMaintenance.Reboot/e-1","result":"Acted","instances":["i-c"]}]}`
	// A batch that parks the canary for another event, its own ignored.
	batchedOther = `{"time":"2026-12-01T10:00:01Z","msg":"invocation","request_id":"r-5","events":2,"dry_run":true,"outcome":"standby","instances":["i-c"],"status":200,` +
		`"event_results":[{"rule":"SystemMaintenance.Reboot/e-1","result":"Ignored"},{"rule":"PreemptibleInstanceInterruption","result":"Acted","instances":["i-c"]}]}`
	throttled = logAnswer{err: &standby.Error{Kind: standby.Throttled, Code: "ReadQuotaExceed", Message: "read quota exceeded"}}
	denied    = logAnswer{err: &standby.Error{Kind: standby.Forbidden, Code: "Unauthorized", Message: "denied by sts or ram, action: log:GetLogStoreLogs"}}
)

// The drill's success is the function's parking for this very event, as
// the canary's tags say; under dry run, the function's log line saying it
// would park the canary, which stays InService. A Standby someone else
// caused fails it, any parking under --dry-run does, and so does a
// decision not to park (a refusal, an ignored event), which the drill
// prints; a failure the function's retries may mend, in its log or in
// reading it, is waited out.
func TestTheDrillSucceedsOnlyForTheFunctionsDecision(t *testing.T) {
	ours := standby.Tags{standby.TagRule: "SystemMaintenance.Reboot/e-1"}
	for _, tt := range []struct {
		name   string
		cloud  drillFake
		dryRun bool
		logs   bool
		ok     bool
		says   string
	}{
		{"parked by the function for the event", drillFake{parkAt: 1, tags: ours}, false, false, true, "the wiring works"},
		{"parked by someone else", drillFake{parkAt: 1}, false, false, false, "without the function's tags for e-1 after 0s: something else parked it"},
		{"parked, the tags written later", drillFake{parkAt: 1, tags: ours, tagsAt: 3}, false, false, true, "the wiring works"},
		{"parked, the tags read after a throttled read", drillFake{parkAt: 1, tags: ours, tagErrs: []error{throttled.err}}, false, false, true, "cannot read the tags of i-c, in Standby, that tell who parked it yet (read quota exceeded): trying again"},
		{"parked, the tags not to be read", drillFake{parkAt: 1, tags: ours, tagErrs: []error{denied.err}}, false, false, false, "reading the tags of i-c, in Standby, that tell who parked it: denied by sts or ram"},
		{"in Standby untagged, then back InService", drillFake{states: []string{"Standby", "InService"}}, false, false, false, "i-c is not in Standby after 0s: check the EventBridge rule"},
		{"parked for another event", drillFake{parkAt: 1, tags: standby.Tags{standby.TagRule: "SystemMaintenance.Reboot/e-0"}}, false, false, false, "something else parked it"},
		{"parked, the log read too", drillFake{parkAt: 2, tags: ours, logs: []logAnswer{{lines: []string{parkedIt}}}}, false, true, true, "the wiring works"},
		{"in dry run, with the drill not", drillFake{logs: []logAnswer{{lines: []string{wouldPark}}}}, false, true, false, "the function is in dry run"},
		{"refused, read in the log", drillFake{logs: []logAnswer{{lines: []string{refusedIt}}}}, false, true, false, "refused the event: outcome Forbidden.MinInService"},
		{"dry run: the log says it would park", drillFake{logs: []logAnswer{{lines: []string{wouldPark}}}}, true, true, true, "would have parked i-c"},
		{"dry run: after a retried failure", drillFake{logs: []logAnswer{{lines: []string{unsettled}}, {lines: []string{unsettled, wouldPark}}}}, true, true, true, "would have parked i-c"},
		{"dry run: after a conflict, FC's retry of it", drillFake{logs: []logAnswer{{lines: []string{busy}}, {lines: []string{busy, busyThen}}}}, true, true, true, "request r-3 (retry 1)"},
		{"dry run: in a batch", drillFake{logs: []logAnswer{{lines: []string{batched}}}}, true, true, true, "would have parked i-c"},
		{"dry run: in a batch that ignored it", drillFake{logs: []logAnswer{{lines: []string{batchedOther}}}}, true, true, false, "did not take i-c out of traffic for the event"},
		{"dry run: another copy's line is not this function's", drillFake{logs: []logAnswer{{lines: []string{staging}}}}, true, true, false, "the function ess-standby logged no decision on e-1"},
		{"dry run: after the log could not be read", drillFake{logs: []logAnswer{throttled, {}, {lines: []string{wouldPark}}}}, true, true, true, "would have parked i-c"},
		{"dry run: other lines are passed over", drillFake{logs: []logAnswer{{lines: []string{"FC Invoke Start RequestId: r-2", strings.Replace(wouldPark, "e-1", "e-0", 1), `{"msg":"notice","rule":"SystemMaintenance.Reboot/e-1"}`}}, {lines: []string{wouldPark}}}}, true, true, true, "would have parked"},
		{"dry run: it parked", drillFake{parkAt: 1, tags: ours, logs: []logAnswer{{}}}, true, true, false, "not in dry run"},
		{"dry run: in Standby, untagged, whatever the log says", drillFake{parkAt: 1, logs: []logAnswer{{lines: []string{wouldPark}}}}, true, true, false, "in Standby under dry run"},
		{"dry run: the log says it parked", drillFake{logs: []logAnswer{{lines: []string{parkedIt}}}}, true, true, false, "not in dry run"},
		{"dry run: ignored", drillFake{logs: []logAnswer{{lines: []string{ignoredIt}}}}, true, true, false, `did not take i-c out of traffic for the event: outcome ignored, status 200, instances [], ignored "eventType`},
		{"dry run: refused", drillFake{logs: []logAnswer{{lines: []string{refusedIt}}}}, true, true, false, `message "fewer than 2 InService would remain"`},
		{"dry run: the log is denied", drillFake{logs: []logAnswer{denied}}, true, true, false, "log:GetLogStoreLogs (deploy/drill-policy.json)"},
		{"dry run: nothing logged", drillFake{logs: []logAnswer{{}}}, true, true, false, "logged no decision on e-1"},
		{"dry run: only a retried failure logged", drillFake{logs: []logAnswer{{lines: []string{unsettled}}}}, true, true, false, "does not say it would park i-c after 0s; the function's last decision on e-1: outcome Unsettled.MaxStandby (dry run), status 502"},
	} {
		d := canaryDrill{Instance: "i-c", EventType: "SystemMaintenance.Reboot", Ahead: time.Minute, Poll: time.Millisecond, DryRun: tt.dryRun, Function: "ess-standby", Now: time.Now}
		if tt.logs {
			d.Logs = ess.LogStore{Project: "p", Name: "default-logs"}
		}
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond) // the drill's --timeout: only the failures wait it out
		var out bytes.Buffer
		err := d.run(ctx, &tt.cloud, &out)
		cancel()
		if (err == nil) != tt.ok || !strings.Contains(out.String()+fmtErr(err), tt.says) {
			t.Errorf("%s: %v\n%s", tt.name, err, out.String())
		}
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
