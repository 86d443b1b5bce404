package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"ess-standby/handler"
	"ess-standby/handler/essemu"
	"ess-standby/handler/internal/samples"
	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
)

// alert is one alert of Alertmanager's webhook, its labels as given, at
// the tests' time less ago.
type alert struct {
	status, name, instance, address string
	ago                             time.Duration // since it started; an end resolved a minute ago
	fingerprint                     string
}

func (a alert) json() map[string]any {
	labels := map[string]string{"alertname": a.name, "job": "web"}
	if a.instance != "" {
		labels["instance_id"] = a.instance
	}
	if a.address != "" {
		labels["instance"] = a.address
	}
	starts, ends := now.Add(-a.ago), time.Time{}
	if a.status == "resolved" {
		ends = now.Add(-time.Minute)
	}
	return map[string]any{"status": a.status, "labels": labels, "annotations": map[string]string{}, "startsAt": starts.Format(time.RFC3339Nano),
		"endsAt": ends.Format(time.RFC3339Nano), "generatorURL": "http://prometheus:9090/graph", "fingerprint": a.fingerprint}
}

// group is a webhook's body: a group of alerts, truncated as said.
func group(truncated int, alerts ...alert) string {
	var list []map[string]any
	for i, a := range alerts {
		if a.fingerprint == "" {
			a.fingerprint = fmt.Sprintf("%016x", i+1)
		}
		if a.ago == 0 {
			a.ago = 2 * time.Minute
		}
		list = append(list, a.json())
	}
	b, _ := json.Marshal(map[string]any{"version": "4", "groupKey": "{}:{}", "truncatedAlerts": truncated, "status": "firing", "receiver": "ess-standby",
		"groupLabels": map[string]string{}, "commonLabels": map[string]string{}, "commonAnnotations": map[string]string{}, "externalURL": "http://alertmanager:9093", "alerts": list})
	return string(b)
}

const token = "0123456789abcdef0123"

// postAlerts posts a group to /alertmanager as Alertmanager does, its
// token in the Authorization header.
func postAlerts(h *handler.Handler, body string) handler.Outcome {
	return h.InvokeHTTP(context.Background(), fakeInv, handler.HTTPRequest{Method: "POST", Path: "/alertmanager",
		Header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + token}}, Body: strings.NewReader(body)})
}

func results(events []handler.EventReport) []string {
	var out []string
	for _, ev := range events {
		out = append(out, ev.Result)
	}
	return out
}

// A group of alerts is a batch: each alert is decided for itself, and the
// answer says what became of each. Firing acts on the instance its labels
// name; resolved is ignored without EXIT_ON_OK; an alert naming no
// instance, an undocumented status, one too old or dated ahead are
// ignored, each with its reason; an invalid instance ID is refused. The
// invocation succeeds (a retry would change nothing), and its one line
// says, at ERROR, that part was refused.
func TestAGroupOfAlertsIsDecidedAlertByAlert(t *testing.T) {
	f := newFake()
	h, logs := newHandler(config{Config: handler.Config{AuthToken: token, MaxEventAge: time.Hour}}, f)
	out := postAlerts(h, group(0,
		alert{status: "firing", name: "HighErrorRate", instance: "i-a1"},
		alert{status: "resolved", name: "HighErrorRate", instance: "i-a2"},
		alert{status: "firing", name: "DiskFull", address: "web-7.internal:9100"},
		alert{status: "unknown", name: "HighErrorRate", instance: "i-b1"},
		alert{status: "firing", name: "HighErrorRate", instance: "i-b1", ago: 3 * time.Hour},
		alert{status: "firing", name: "HighErrorRate", instance: "i-b1", ago: -time.Hour},
		alert{status: "firing", name: "HighErrorRate", instance: "i-bad id"},
	))
	a := decodeReply(t, out)
	if out.Err != nil || out.Status != 200 || !out.HTTP || f.State("i-a1") != "Standby" || f.State("i-a2") != "InService" || f.State("i-b1") != "InService" {
		t.Fatalf("answered %d %s; i-a1 %s, i-a2 %s, i-b1 %s", out.Status, out.Body, f.State("i-a1"), f.State("i-a2"), f.State("i-b1"))
	}
	if got, want := results(a.Events), []string{"Acted", "Ignored", "Ignored", "Ignored", "Ignored", "Ignored", "Refused"}; !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v: %+v", got, want, a.Events)
	}
	for i, want := range map[int]string{
		1: "the alert is resolved (EXIT_ON_OK is off)",
		2: `the alert names no instance: it has none of the labels instance_id, instanceId (INSTANCE_LABELS), and its instance label, "web-7.internal:9100", holds no IPv4 address`,
		3: `alert status "unknown" is not firing or resolved`,
		4: "older than MAX_EVENT_AGE=1h0m0s",
		5: "ahead of this function's clock",
		6: `labels.instance_id: "i-bad id" is not an instance ID`,
	} {
		if !strings.Contains(a.Events[i].Reason, want) {
			t.Errorf("event %d: %q, want %q", i, a.Events[i].Reason, want)
		}
	}
	if a.Events[0].Source != "http:alertmanager" || !slices.Equal(a.Events[0].InstanceIDs, []string{"i-a1"}) {
		t.Errorf("event 0: %+v", a.Events[0])
	}
	// Tagged with its rule, prefixed: no CloudMonitor rule can be taken
	// for it.
	if tags := f.Tags("i-a1"); tags[standby.TagRule] != "alertmanager:HighErrorRate" || tags[standby.TagSource] != "http:alertmanager" {
		t.Errorf("i-a1's tags %v", tags)
	}
	lines := logLines(logs.String())
	if len(lines) != 1 {
		t.Fatalf("%d log lines", len(lines))
	}
	l := lines[0]
	if l["trigger"] != "http:alertmanager" || l["events"] != float64(7) || l["level"] != "ERROR" || l["outcome"] != "partial" || l["refused"] != float64(1) || l["undocumented"] != true {
		t.Errorf("log line %v", l)
	}
	if rules, _ := json.Marshal(l["event_results"]); !strings.Contains(string(rules), `{"instances":["i-a1"],"result":"Acted","rule":"alertmanager:HighErrorRate"}`) {
		t.Errorf("event_results %s", rules)
	}
}

// An alert with a status Alertmanager does not document is ignored, and
// the line says so at WARN, also when the whole group is ignored; a group
// the sender cut short (truncatedAlerts, past max_alerts) is logged at
// WARN, naming how many alerts never came, whatever was done.
func TestWhatAnOperatorShouldHearOfIsLoggedAtWarn(t *testing.T) {
	for _, tt := range []struct {
		name  string
		body  string
		level string
		attr  string
	}{
		{"an undocumented status alone", group(0, alert{status: "pending", name: "A", instance: "i-a1"}), "WARN", `"undocumented":true`},
		{"a truncated group that acted", group(3, alert{status: "firing", name: "A", instance: "i-a1"}), "WARN", `"truncated_alerts":3`},
		{"a truncated group ignored", group(2, alert{status: "resolved", name: "A", instance: "i-a1"}), "WARN", `"truncated_alerts":2`},
		{"a group in full", group(0, alert{status: "firing", name: "A", instance: "i-a1"}), "INFO", `"outcome":"standby"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			h, logs := newHandler(config{Config: handler.Config{AuthToken: token}}, f)
			if out := postAlerts(h, tt.body); out.Err != nil {
				t.Fatalf("answered %s", out.Body)
			}
			if line := logs.String(); !strings.Contains(line, `"level":"`+tt.level+`"`) || !strings.Contains(line, tt.attr) {
				t.Errorf("log %s; want %s and %s", line, tt.level, tt.attr)
			}
		})
	}
}

// The route is authenticated as every route is, before its body is read;
// a group posted elsewhere is refused, naming the route.
func TestTheAlertsRouteIsAuthenticated(t *testing.T) {
	f := newFake()
	h, _ := newHandler(config{Config: handler.Config{AuthToken: token}}, f)
	body := group(0, alert{status: "firing", name: "A", instance: "i-a1"})
	out := h.InvokeHTTP(context.Background(), fakeInv, handler.HTTPRequest{Method: "POST", Path: "/alertmanager", Header: http.Header{"Content-Type": {"application/json"}}, Body: strings.NewReader(body)})
	if out.Status != 401 || len(f.Calls("")) != 0 {
		t.Errorf("without the token: %d %s", out.Status, out.Body)
	}
	// ARMS's webhook may carry it in its URL.
	out = h.InvokeHTTP(context.Background(), fakeInv, handler.HTTPRequest{Method: "POST", Path: "/alertmanager", RawQuery: "token=" + token, Header: http.Header{"Content-Type": {"application/json"}}, Body: strings.NewReader(body)})
	if out.Status != 200 || f.State("i-a1") != "Standby" {
		t.Errorf("with ?token=: %d %s", out.Status, out.Body)
	}
	out = h.InvokeHTTP(context.Background(), fakeInv, handler.HTTPRequest{Method: "POST", Path: "/alarm", Header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + token}}, Body: strings.NewReader(body)})
	if out.Status != 400 || !strings.Contains(out.Err.Message, "read on the route /alertmanager only") {
		t.Errorf("posted to /alarm: %d %s", out.Status, out.Body)
	}
}

// With EXIT_ON_OK, a resolved alert takes back what its own alert rule
// parked on its instance, and nothing else: not what a CloudMonitor rule
// of the same name parked, not what another alert parked, and not an
// instance parked after the alert resolved (an earlier firing's end,
// delivered late). An alert that fired for longer than MAX_EVENT_AGE
// still ends: an end is dated when it resolved.
func TestAResolvedAlertTakesBackWhatItsRuleParked(t *testing.T) {
	for _, tt := range []struct {
		name  string
		tags  standby.Tags
		ago   time.Duration
		back  bool
		cause string
	}{
		{"parked by its rule", standby.Tags{standby.TagRule: "alertmanager:HighErrorRate", standby.TagSince: "2026-11-27T04:00:00Z"}, 2 * time.Minute, true, ""},
		{"firing for hours, parked by its rule", standby.Tags{standby.TagRule: "alertmanager:HighErrorRate", standby.TagSince: "2026-11-27T00:00:00Z"}, 5 * time.Hour, true, ""},
		{"a CloudMonitor rule of its name", standby.Tags{standby.TagRule: "HighErrorRate", standby.TagSince: "2026-11-27T04:00:00Z"}, 2 * time.Minute, false, `parked for "HighErrorRate"`},
		{"another alert", standby.Tags{standby.TagRule: "alertmanager:WorkerHung", standby.TagSince: "2026-11-27T04:00:00Z"}, 2 * time.Minute, false, `parked for "alertmanager:WorkerHung"`},
		{"parked after it resolved", standby.Tags{standby.TagRule: "alertmanager:HighErrorRate", standby.TagSince: "2026-11-27T04:29:30Z"}, 2 * time.Minute, false, "after this end's own time"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-a": {"i-a1": "Standby", "i-a2": "InService"}})
			f.SetTags("i-a1", tt.tags)
			h, _ := newHandler(config{Config: handler.Config{AuthToken: token, ExitOnOK: true, MaxEventAge: time.Hour}}, f)
			out := postAlerts(h, group(0, alert{status: "resolved", name: "HighErrorRate", instance: "i-a1", ago: tt.ago}))
			a := decodeReply(t, out)
			if back := f.State("i-a1") == "InService"; out.Err != nil || back != tt.back {
				t.Fatalf("answered %s; i-a1 is %s", out.Body, f.State("i-a1"))
			}
			if !tt.back && (len(a.Skipped) != 1 || !strings.Contains(a.Skipped[0].Reason, tt.cause)) {
				t.Errorf("skipped %+v; want %q", a.Skipped, tt.cause)
			}
		})
	}
}

// A storm: 200 alerts of one rule firing at once, in one group of alerts,
// on instances of one scaling group, merge as alarms do: one plan, in
// ⌈200/20⌉ EnterStandby calls of 20, one state read per 20 instances.
func TestAStormOfAlertsIsOnePlan(t *testing.T) {
	instances := map[string]string{}
	var alerts []alert
	for i := range 200 {
		id := fmt.Sprintf("i-bp1storm%04d", i)
		instances[id] = "InService"
		alerts = append(alerts, alert{status: "firing", name: "HighErrorRate", instance: id})
	}
	f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-storm": instances})
	h, _ := newHandler(config{Config: handler.Config{AuthToken: token}, core: standby.Config{MaxInstances: 200}}, f)
	out := postAlerts(h, group(0, alerts...))
	a := decodeReply(t, out)
	if out.Err != nil || len(a.InstanceIDs) != 200 || len(a.Events) != 200 {
		t.Fatalf("answered %d: %d instances, %d events", out.Status, len(a.InstanceIDs), len(a.Events))
	}
	calls := f.Calls("Standby")
	if len(calls) != 10 {
		t.Errorf("%d EnterStandby calls, want 10", len(calls))
	}
	for _, c := range calls {
		if len(c.IDs) != 20 || c.GroupID != "asg-storm" || c.Standby.Action != standby.EnterStandby {
			t.Errorf("a call of %d instances in %s: %+v", len(c.IDs), c.GroupID, c.Standby)
		}
	}
	if reads := f.Calls("ScalingInstances"); len(reads) != 10 {
		t.Errorf("%d state reads, want 10 (20 instances a read)", len(reads))
	}
	for id := range instances {
		if f.State(id) != "Standby" {
			t.Errorf("%s is %s", id, f.State(id))
		}
	}
	// Over MAX_INSTANCES, the whole group is refused before anything is
	// read: one bad rule never names half the fleet.
	f = standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-storm": instances})
	h, _ = newHandler(config{Config: handler.Config{AuthToken: token}, core: standby.Config{MaxInstances: 100}}, f)
	if out := postAlerts(h, group(0, alerts...)); out.Err == nil || !strings.Contains(out.Err.Message, "at most 100 instances per invocation (MAX_INSTANCES), the invocation names 200") || len(f.Calls("")) != 0 {
		t.Errorf("over MAX_INSTANCES: %v after %d calls", out.Err, len(f.Calls("")))
	}
}

// Firing and resolved alerts of one rule in one group decide each instance
// by the override rule alarms follow (standby.LastWins): the last alert
// naming it, with those of the same action since; a resolved alert ends
// only its own rule's firing, never another rule's.
func TestFiringAndResolvedInOneGroup(t *testing.T) {
	f := newFake()
	h, _ := newHandler(config{Config: handler.Config{AuthToken: token, ExitOnOK: true}}, f)
	out := postAlerts(h, group(0,
		alert{status: "firing", name: "R", instance: "i-a1"},   // 0: ended by 1
		alert{status: "resolved", name: "R", instance: "i-a1"}, // 1: stands, i-a1 never parked
		alert{status: "resolved", name: "R", instance: "i-a2"}, // 2: another rule fires on i-a2
		alert{status: "firing", name: "S", instance: "i-a2"},   // 3: parks it
		alert{status: "resolved", name: "R", instance: "i-b1"}, // 4: its firing comes later
		alert{status: "firing", name: "R", instance: "i-b1"},   // 5: parks it
	))
	a := decodeReply(t, out)
	if out.Err != nil || f.State("i-a1") != "InService" || f.State("i-a2") != "Standby" || f.State("i-b1") != "Standby" {
		t.Fatalf("answered %s; i-a1 %s, i-a2 %s, i-b1 %s", out.Body, f.State("i-a1"), f.State("i-a2"), f.State("i-b1"))
	}
	if got, want := results(a.Events), []string{"Superseded", "Acted", "Superseded", "Acted", "Superseded", "Acted"}; !slices.Equal(got, want) {
		t.Errorf("events %v, want %v: %+v", got, want, a.Events)
	}
	if !strings.Contains(a.Events[2].Reason, "an alarm of another rule, which this recovery does not end") {
		t.Errorf("event 2: %q", a.Events[2].Reason)
	}
	for _, c := range f.Calls("Standby") {
		if slices.Contains(c.IDs, "i-a1") {
			t.Errorf("a call for i-a1, whose alert resolved in the same group: %+v", c)
		}
	}
}

// fakeLocate answers each address from a table, and records the lookups.
type fakeLocate struct {
	mu     sync.Mutex
	at     map[string]string // address → instance
	why    map[string]error  // address → why none is taken
	calls  [][]string
	region []string
}

func (l *fakeLocate) locate(_ context.Context, _ standby.Invocation, region string, ips []string) (map[string]string, map[string]error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls, l.region = append(l.calls, ips), append(l.region, region)
	found, why := map[string]string{}, map[string]error{}
	for _, ip := range ips {
		if id, ok := l.at[ip]; ok {
			found[ip] = id
		} else if err, ok := l.why[ip]; ok {
			why[ip] = err
		}
	}
	return found, why
}

// With LOCATE_BY_ADDRESS, an alert that names its instance only by
// Prometheus's instance label has it looked up, every address of a group
// in one lookup: the instance found acts as if its label named it; an
// address no instance holds, or several do, refuses that alert with the
// lookup's reason, never guessed at; a lookup that may succeed later fails
// the invocation, so that the sender retries (what was done is replayed
// with the same tokens). Without the setting, such an alert is ignored,
// naming it, and nothing is looked up.
func TestAlertsByAddress(t *testing.T) {
	unknown := &standby.Error{Kind: standby.NotFound, Code: "InvalidInstanceId.NotFound", Message: "no instance of the allowed groups' VPCs holds it"}
	ambiguous := &standby.Error{Kind: standby.Conflict, Code: "InvalidParameter.Ambiguous", Message: "2 instances hold it"}
	down := &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: "ECS is unreachable"}
	table := func() *fakeLocate {
		return &fakeLocate{at: map[string]string{"10.0.0.1": "i-a1", "10.0.0.2": "i-b1"},
			why: map[string]error{"10.0.0.3": unknown, "10.0.0.4": ambiguous, "10.0.0.5": down}}
	}
	t.Run("found, unknown, ambiguous", func(t *testing.T) {
		f, l := newFake(), table()
		h, _ := newHandler(config{Config: handler.Config{AuthToken: token, LocateByAddress: true, MaxEventAge: time.Hour}}, f)
		h.SetLocate(l.locate)
		out := postAlerts(h, group(0,
			alert{status: "firing", name: "R", address: "10.0.0.1:9100"},
			alert{status: "firing", name: "R", address: "10.0.0.2"},
			alert{status: "firing", name: "R", address: "10.0.0.1:9256"}, // the same instance, another exporter
			alert{status: "firing", name: "R", address: "10.0.0.3:9100"},
			alert{status: "firing", name: "R", address: "10.0.0.4:9100"},
			alert{status: "firing", name: "R", address: "10.0.0.9:9100", ago: 2 * time.Hour}, // too old: not looked up
			alert{status: "firing", name: "R", address: "10.0.0.8:9100", instance: "i-a2"},   // its label names it
		))
		a := decodeReply(t, out)
		if out.Err != nil || f.State("i-a1") != "Standby" || f.State("i-b1") != "Standby" || f.State("i-a2") != "Standby" {
			t.Fatalf("answered %d %s", out.Status, out.Body)
		}
		if want := [][]string{{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"}}; fmt.Sprint(l.calls) != fmt.Sprint(want) || l.region[0] != "" {
			t.Errorf("lookups %v in %q, want %v in the function's region", l.calls, l.region, want)
		}
		if got, want := results(a.Events), []string{"Acted", "Acted", "Acted", "Refused", "Refused", "Ignored", "Acted"}; !slices.Equal(got, want) {
			t.Fatalf("events %v, want %v: %+v", got, want, a.Events)
		}
		if r := a.Events[3].Reason; r != "labels.instance 10.0.0.3: no instance of the allowed groups' VPCs holds it" {
			t.Errorf("unknown: %q", r)
		}
		if r := a.Events[4].Reason; !strings.Contains(r, "2 instances hold it") {
			t.Errorf("ambiguous: %q", r)
		}
		if !slices.Equal(a.Events[0].InstanceIDs, []string{"i-a1"}) {
			t.Errorf("event 0 names %v", a.Events[0].InstanceIDs)
		}
	})
	t.Run("nothing found", func(t *testing.T) {
		f, l := newFake(), table()
		h, _ := newHandler(config{Config: handler.Config{AuthToken: token, LocateByAddress: true}}, f)
		h.SetLocate(l.locate)
		out := postAlerts(h, group(0, alert{status: "firing", name: "R", address: "10.0.0.3:9100"}))
		if out.Err == nil || out.Status != 404 || out.Err.Code != "InvalidInstanceId.NotFound" || len(f.Calls("")) != 0 {
			t.Errorf("answered %d %s after %d calls", out.Status, out.Body, len(f.Calls("")))
		}
	})
	t.Run("the lookup fails for now", func(t *testing.T) {
		f, l := newFake(), table()
		h, _ := newHandler(config{Config: handler.Config{AuthToken: token, LocateByAddress: true}}, f)
		h.SetLocate(l.locate)
		out := postAlerts(h, group(0, alert{status: "firing", name: "R", address: "10.0.0.1:9100"}, alert{status: "firing", name: "R", address: "10.0.0.5:9100"}))
		a := decodeReply(t, out)
		if out.Err == nil || out.Status != 502 || f.State("i-a1") != "Standby" || !slices.Equal(results(a.Events), []string{"Acted", "Failed"}) {
			t.Errorf("answered %d %s; i-a1 %s", out.Status, out.Body, f.State("i-a1"))
		}
	})
	t.Run("the lookup answers nothing", func(t *testing.T) {
		f := newFake()
		h, _ := newHandler(config{Config: handler.Config{AuthToken: token, LocateByAddress: true}}, f)
		h.SetLocate((&fakeLocate{}).locate)
		out := postAlerts(h, group(0, alert{status: "firing", name: "R", address: "10.0.0.7:9100"}))
		if out.Err == nil || out.Err.Code != "InternalError" || !strings.Contains(out.Err.Message, "the lookup answered nothing") {
			t.Errorf("answered %d %s", out.Status, out.Body)
		}
	})
	t.Run("off", func(t *testing.T) {
		f, l := newFake(), table()
		h, _ := newHandler(config{Config: handler.Config{AuthToken: token}}, f)
		h.SetLocate(l.locate)
		out := postAlerts(h, group(0, alert{status: "firing", name: "R", address: "10.0.0.1:9100"}))
		a := decodeReply(t, out)
		if out.Err != nil || !strings.Contains(a.Events[0].Reason, "LOCATE_BY_ADDRESS is off") || len(l.calls) != 0 || len(f.Calls("")) != 0 {
			t.Errorf("answered %s after %d lookups", out.Body, len(l.calls))
		}
	})
	// A resolved alert by address, with EXIT_ON_OK, is looked up too: what
	// its rule parked there comes back.
	t.Run("an end by address", func(t *testing.T) {
		f, l := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-a": {"i-a1": "Standby"}}), table()
		f.SetTags("i-a1", standby.Tags{standby.TagRule: "alertmanager:R", standby.TagSince: "2026-11-27T04:00:00Z"})
		h, _ := newHandler(config{Config: handler.Config{AuthToken: token, LocateByAddress: true, ExitOnOK: true}}, f)
		h.SetLocate(l.locate)
		if out := postAlerts(h, group(0, alert{status: "resolved", name: "R", address: "10.0.0.1:9100"})); out.Err != nil || f.State("i-a1") != "InService" {
			t.Errorf("answered %s; i-a1 %s", out.Body, f.State("i-a1"))
		}
	})
}

// Alertmanager retries only a webhook answered 5xx: a failure a retry may
// mend (Auto Scaling throttling every attempt, a group busy) is answered
// 503, its code kept; a refusal keeps its 4xx.
func TestAlertsAreAnsweredSoThatTheSenderRetries(t *testing.T) {
	body := group(0, alert{status: "firing", name: "A", instance: "i-a1"})
	for _, tt := range []struct {
		err    *standby.Error
		status int
	}{
		{&standby.Error{Kind: standby.Throttled, Code: "Throttling", Message: "Request was denied due to request throttling."}, 503},
		{&standby.Error{Kind: standby.Conflict, Code: "ScalingActivityInProgress", Message: "busy"}, 503},
		{&standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: "down"}, 502},
		{&standby.Error{Kind: standby.Conflict, Code: "IncorrectInstanceStatus", Message: "not now"}, 409},
	} {
		f := newFake()
		f.Fail("Standby", 100, tt.err)
		h, _ := newHandler(config{Config: handler.Config{AuthToken: token}}, f)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		out := h.InvokeHTTP(ctx, fakeInv, handler.HTTPRequest{Method: "POST", Path: "/alertmanager",
			Header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + token}}, Body: strings.NewReader(body)})
		cancel()
		if out.Err == nil || out.Status != tt.status || out.Err.Code != tt.err.Code {
			t.Errorf("%s: answered %d %s; want %d", tt.err.Code, out.Status, out.Body, tt.status)
		}
	}
}

// ARMS's alert, which names its instance only by the address Prometheus
// scraped, through the core's own lookup, the SDK and the emulator (whose
// sample fleet holds 10.0.80.186): with LOCATE_BY_ADDRESS, the instance
// there is parked, and said so; an address no instance holds refuses its
// alert, and nothing is called for it. Redelivered, the same alert starts
// nothing new.
func TestARMSAlertByAddressThroughTheCore(t *testing.T) {
	allowed := []string{essemu.WebGroup, essemu.APIGroup}
	w := newWorld(t, config{Config: handler.Config{LocateByAddress: true, MaxEventAge: time.Hour}, core: standby.Config{AllowedGroups: allowed}})
	payload := samples.Read(t, "http-alertmanager-arms-address.json")
	out, a := w.invoke(t, "arms-1", payload)
	if out.Err != nil || !slices.Equal(a.InstanceIDs, []string{"i-bp1ecr7go2go9kq3m1a"}) || len(a.Events) != 1 || a.Events[0].Result != "Acted" {
		t.Fatalf("answered %d %s", out.Status, out.Body)
	}
	if in, _ := w.emu.Instance("i-bp1ecr7go2go9kq3m1a"); in.LifecycleState != essemu.Standby {
		t.Errorf("i-bp1ecr7go2go9kq3m1a is %s", in.LifecycleState)
	}
	activity := a.ScalingActivityID
	if _, again := w.invoke(t, "arms-2", payload); again.ScalingActivityID != activity || len(w.calls("EnterStandby")) != 1 {
		t.Errorf("redelivered: activity %q, then %q, after %d EnterStandby calls", activity, again.ScalingActivityID, len(w.calls("EnterStandby")))
	}
	w.emu.Reset()
	unknown := bytes.ReplaceAll(payload, []byte("10.0.80.186:10255"), []byte("10.0.99.7:10255"))
	out, a = w.invoke(t, "arms-3", unknown)
	if out.Err == nil || out.Status/100 != 4 || len(a.Events) != 1 || a.Events[0].Result != "Refused" || !strings.Contains(a.Events[0].Reason, "labels.instance 10.0.99.7: ") ||
		len(w.calls("EnterStandby")) != 0 {
		t.Errorf("an address no instance holds: %d %s", out.Status, out.Body)
	}
}
