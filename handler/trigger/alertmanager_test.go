package trigger

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"ess-standby/handler/internal/samples"
	"ess-standby/handler/standby"
)

// readSample decodes a sample as the function does: an HTTP trigger's
// event is read as its route says, after authentication.
func readSample(t *testing.T, payload []byte, opts Options) Delivery {
	t.Helper()
	d := Decode(payload, opts)
	if d.HTTP != nil {
		d = FromHTTP(*d.HTTP, opts)
	}
	return d
}

// alertWant is what one alert of a sample must decode to.
type alertWant struct {
	instance string // the instance its labels name; "" none
	address  string // else the address it names; "" none
	ignored  bool
	recov    bool // resolved: an end
	rule     string
	time     string // its own time, RFC 3339; "" none
}

// Every sample of a group of alerts, alert by alert: each its own event,
// named by the labels, dated by its own time (startsAt when firing, endsAt
// when resolved), ruled by its alertname, identified by its fingerprint
// and startsAt.
func TestAlertSamples(t *testing.T) {
	const (
		armsTime = "2021-02-22T07:18:15.578Z"
		armsRule = "alertmanager:容器内存使用率大于80%"
		herRule  = "alertmanager:HighErrorRate"
	)
	prometheus := []alertWant{
		{instance: "i-bp1ecr7go2go9kq3m1a", rule: herRule, time: "2026-11-27T04:21:07.493Z"},
		{instance: "i-bp1ecr7go2go9kq3m1b", rule: herRule, time: "2026-11-27T04:21:07.493Z"},
	}
	tests := map[string]struct {
		source    string
		truncated int
		alerts    []alertWant
	}{
		// ARMS's example names no instance ID: its instance label holds
		// an address, which the handler may look up.
		"http-alertmanager-arms.json":          {"http:alertmanager", 0, []alertWant{{address: "10.0.80.186", rule: armsRule, time: armsTime}}},
		"http-alertmanager-arms-address.json":  {"http:alertmanager", 0, []alertWant{{address: "10.0.80.186", rule: armsRule, time: "2026-11-27T04:18:15.578Z"}}},
		"http-alertmanager-arms-instance.json": {"http:alertmanager", 0, []alertWant{{instance: "i-bp1hh2ka9xr7wq4t5n0a", rule: armsRule, time: "2026-11-27T04:18:15.578Z"}}},
		// Grafana's example has neither.
		"http-alertmanager-grafana.json": {"http:alertmanager", 0, []alertWant{
			{ignored: true, rule: "alertmanager:High memory usage", time: "2021-10-12T07:51:03.157076Z"},
			{ignored: true, rule: "alertmanager:High CPU usage", time: "2021-10-12T07:56:03.157076Z"},
		}},
		"http-alertmanager-prometheus.json": {"http:alertmanager", 0, prometheus},
		"alertmanager-webhook.json":         {"alertmanager", 0, prometheus},
		// A resolved alert is an end, dated when it resolved.
		"http-alertmanager-batch.json": {"http:alertmanager", 0, []alertWant{
			{instance: "i-bp1ecr7go2go9kq3m1c", rule: herRule, time: "2026-11-27T04:23:37.493Z"},
			{instance: "i-bp1ecr7go2go9kq3m1d", ignored: true, recov: true, rule: herRule, time: "2026-11-27T04:23:07.493Z"},
			{instance: "i-bp1hh2ka9xr7wq4t5n0b", rule: "alertmanager:WorkerHung", time: "2026-11-27T04:22:52.118Z"},
			{instance: "i-bp1hh2ka9xr7wq4t5n0a", ignored: true, recov: true, rule: "alertmanager:QueueStalled", time: "2026-11-27T04:22:22.118Z"},
		}},
		// A host name is no address to look up.
		"http-alertmanager-no-instance.json": {"http:alertmanager", 0, []alertWant{{ignored: true, rule: "alertmanager:DiskWillFillIn4Hours", time: "2026-11-27T04:12:30.001Z"}}},
		"http-alertmanager-not-allowed.json": {"http:alertmanager", 0, []alertWant{{instance: "i-bp1zz9orphan00000000", rule: herRule, time: "2026-11-27T04:25:07.493Z"}}},
	}
	seen := 0
	for _, s := range samples.Match(t, "*alertmanager*.json") {
		want, ok := tests[s.Name]
		if !ok {
			t.Errorf("%s: no row in this table", s.Name)
			continue
		}
		seen++
		t.Run(s.Name, func(t *testing.T) {
			d := readSample(t, s.Payload, Options{})
			if !d.Batch || d.Source != want.source || d.Truncated != want.truncated || len(d.Events) != len(want.alerts) {
				t.Fatalf("Decode = batch %t, source %q, truncated %d, %d events; want a batch of %d from %q", d.Batch, d.Source, d.Truncated, len(d.Events), len(want.alerts), want.source)
			}
			identities := map[string]bool{}
			for i, ev := range d.Events {
				w := want.alerts[i]
				if !ev.Draft.Problems.Empty() || ev.Source != want.source || (ev.Ignored != "") != w.ignored || ev.Recovered != w.recov || ev.Rule != w.rule || ev.Undocumented {
					t.Errorf("alert %d: %+v; want %+v", i, ev, w)
				}
				var named []string
				for _, p := range ev.Draft.InstanceIDs {
					named = append(named, p.Value)
				}
				if wantNamed := slices.DeleteFunc([]string{w.instance}, func(s string) bool { return s == "" }); !slices.Equal(named, wantNamed) || ev.Address.Value != w.address {
					t.Errorf("alert %d names %v at %q; want %v at %q", i, named, ev.Address.Value, wantNamed, w.address)
				}
				if got := ev.Time.UTC().Format(time.RFC3339Nano); got != w.time {
					t.Errorf("alert %d dated %s, want %s", i, got, w.time)
				}
				if !strings.HasPrefix(ev.Identity, "alertmanager:") || identities[ev.Identity] {
					t.Errorf("alert %d: identity %q, not its own", i, ev.Identity)
				}
				identities[ev.Identity] = true
			}
		})
	}
	if seen != len(tests) {
		t.Errorf("%d samples of alerts, %d rows: a row names no sample", seen, len(tests))
	}
}

// alertsOf is a group of alerts, each given as a JSON object.
func alertsOf(alerts ...string) string {
	return `{"receiver":"ess-standby","status":"firing","alerts":[` + strings.Join(alerts, ",") + `]}`
}

// firing is an alert that fires, with these labels (JSON object members).
func firing(labels string) string {
	return `{"status":"firing","labels":{"alertname":"A",` + labels + `},"startsAt":"2026-11-27T04:20:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"f1"}`
}

// Each alert's labels, read as INSTANCE_LABELS says: the first of them the
// alert has names its instance, checked as any instance ID is (an invalid
// one is refused, never skipped for the next); an alert without one names
// its instance only by an IPv4 address of Prometheus's instance label,
// else none.
func TestAlertInstances(t *testing.T) {
	custom := Options{InstanceLabels: []string{"ecs_id", "instance_id"}}
	tests := []struct {
		name     string
		labels   string
		opts     Options
		instance string
		address  string
		code     string // the draft's error code, checked
	}{
		{"instance_id", `"instance_id":"i-bp1a"`, Options{}, "i-bp1a", "", ""},
		{"instanceId", `"instanceId":"i-bp1a"`, Options{}, "i-bp1a", "", ""},
		{"an elastic container instance", `"instance_id":"eci-bp1a"`, Options{}, "eci-bp1a", "", ""},
		{"both: the first label wins", `"instanceId":"i-second","instance_id":"i-first"`, Options{}, "i-first", "", ""},
		{"an instance ID beside an address", `"instance":"10.0.0.1:9100","instance_id":"i-bp1a"`, Options{}, "i-bp1a", "", ""},
		{"names match exactly", `"InstanceId":"i-bp1a","instance_ID":"i-bp1b"`, Options{}, "", "", ""},
		{"an invalid ID is refused", `"instance_id":"i-x y","instanceId":"i-bp1a"`, Options{}, "i-x y", "", "InvalidParameter"},
		{"another product's resource is refused", `"instanceId":"rm-bp1a"`, Options{}, "rm-bp1a", "", "InvalidParameter"},
		{"a label not a string", `"instance_id":7`, Options{}, "", "", "InvalidParameter"},
		{"custom labels, in their order", `"instance_id":"i-later","ecs_id":"i-first"`, custom, "i-first", "", ""},
		{"custom labels leave the defaults out", `"instanceId":"i-bp1a"`, custom, "", "", ""},
		{"host:port", `"instance":"10.0.80.186:9100"`, Options{}, "", "10.0.80.186", ""},
		{"a bare address", `"instance":"172.16.3.4"`, Options{}, "", "172.16.3.4", ""},
		{"a host name", `"instance":"web-1.internal:9100"`, Options{}, "", "", ""},
		{"IPv6", `"instance":"[fd00::1]:9100"`, Options{}, "", "", ""},
		{"loopback", `"instance":"127.0.0.1:9100"`, Options{}, "", "", ""},
		{"unspecified", `"instance":"0.0.0.0:9100"`, Options{}, "", "", ""},
		{"link-local", `"instance":"169.254.1.1:9100"`, Options{}, "", "", ""},
		{"an address with a zone", `"instance":"10.0.0.1%eth0:9100"`, Options{}, "", "", ""},
		{"IPv4 in IPv6", `"instance":"[::ffff:10.0.0.1]:9100"`, Options{}, "", "", ""},
		{"no labels at all", `"job":"node"`, Options{}, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decode([]byte(alertsOf(firing(tt.labels))), tt.opts)
			if len(d.Events) != 1 {
				t.Fatalf("%d events", len(d.Events))
			}
			ev := d.Events[0]
			var named []string
			for _, p := range ev.Draft.InstanceIDs {
				named = append(named, p.Value)
			}
			if got := strings.Join(named, ","); got != tt.instance || ev.Address.Value != tt.address {
				t.Errorf("names %q at %q, want %q at %q", got, ev.Address.Value, tt.instance, tt.address)
			}
			if tt.address != "" && ev.Address.Name != "labels.instance" {
				t.Errorf("the address is named %q", ev.Address.Name)
			}
			// An alert that names nothing is ignored with the reason,
			// never guessed at.
			if nothing := tt.instance == "" && tt.address == ""; tt.code == "" && (nothing != (ev.Ignored != "") || nothing && !strings.Contains(ev.Ignored, "names no instance")) {
				t.Errorf("ignored %q", ev.Ignored)
			}
			if tt.instance == "" && tt.code == "" {
				return
			}
			if _, code := instances(t, ev); code != tt.code {
				t.Errorf("checked: %q, want %q (%v)", code, tt.code, ev.Draft.Problems.Err())
			}
		})
	}
	// A label not a string is named by its path within the alert.
	ev := Decode([]byte(alertsOf(firing(`"instance_id":7`))), Options{}).Events[0]
	if err := ev.Draft.Problems.Err(); err == nil || !strings.Contains(err.Error(), "labels.instance_id: must be a string") {
		t.Errorf("a label not a string: %v", err)
	}
}

// Each alert's status: firing acts, dated when it started; resolved is an
// end, dated when it resolved (an end is never older than what it
// parked); any other is ignored as undocumented, and none is a problem.
// The identity is the fingerprint and startsAt, each notice its own.
func TestAlertStatuses(t *testing.T) {
	alert := func(status, startsAt, endsAt, fp string) string {
		return `{"status":"` + status + `","labels":{"alertname":"A","instance_id":"i-bp1a"},"startsAt":"` + startsAt + `","endsAt":"` + endsAt + `","fingerprint":"` + fp + `"}`
	}
	const starts, ends = "2026-11-27T03:00:00.5+08:00", "2026-11-27T04:20:00Z"
	d := Decode([]byte(alertsOf(
		alert("firing", starts, "2026-11-27T04:29:00Z", "f1"),
		alert("resolved", starts, ends, "f1"),
		alert("resolved", starts, "0001-01-01T00:00:00Z", "f1"),
		alert("pending", starts, ends, "f1"),
		alert("", starts, ends, "f1"),
		alert("firing", starts, ends, ""),
	)), Options{})
	if len(d.Events) != 6 {
		t.Fatalf("%d events", len(d.Events))
	}
	fire, res, noEnd, pending, none, noPrint := d.Events[0], d.Events[1], d.Events[2], d.Events[3], d.Events[4], d.Events[5]
	if fire.Ignored != "" || fire.Recovered || !fire.Time.Equal(time.Date(2026, 11, 26, 19, 0, 0, 5e8, time.UTC)) || fire.Identity != "alertmanager:f1@"+starts+"/firing" || fire.Rule != "alertmanager:A" {
		t.Errorf("firing: %+v", fire)
	}
	if ids, code := instances(t, fire); code != "" || !slices.Equal(ids, []string{"i-bp1a"}) {
		t.Errorf("firing names %v, %q", ids, code)
	}
	if res.Ignored == "" || !res.Recovered || !res.Time.Equal(time.Date(2026, 11, 27, 4, 20, 0, 0, time.UTC)) || res.Identity != "alertmanager:f1@"+starts+"/resolved" || res.Draft.Named != 1 {
		t.Errorf("resolved: %+v", res)
	}
	if !noEnd.Recovered || !noEnd.Time.IsZero() {
		t.Errorf("resolved without an end time: %+v; want an end that carries no time", noEnd)
	}
	if pending.Ignored == "" || !pending.Undocumented || pending.Draft.Named != 0 || !strings.Contains(pending.Ignored, `"pending" is not firing or resolved`) {
		t.Errorf("pending: %+v", pending)
	}
	if err := none.Draft.Problems.Err(); err == nil || !none.NoRequest || standby.AsError(err).Code != "MissingParameter" || !strings.Contains(err.Error(), "status: the alert has none") {
		t.Errorf("no status: %+v", none)
	}
	if noPrint.Identity != "" {
		t.Errorf("an alert without a fingerprint has the identity %q", noPrint.Identity)
	}
	// A resolved alert of no instance has nothing to take back.
	d = Decode([]byte(alertsOf(`{"status":"resolved","labels":{"alertname":"A"},"endsAt":"`+ends+`"}`)), Options{})
	if ev := d.Events[0]; ev.Ignored == "" || ev.Recovered {
		t.Errorf("resolved of no instance: %+v", ev)
	}
	// An alert without alertname parks with no rule: its end takes
	// nothing back.
	if ev := Decode([]byte(alertsOf(`{"status":"firing","labels":{"instance_id":"i-bp1a"}}`)), Options{}).Events[0]; ev.Rule != "" || !ev.Time.IsZero() || ev.Ignored != "" {
		t.Errorf("no alertname, no startsAt: %+v", ev)
	}
}

// What keeps a group from being read refuses it whole; what keeps one
// alert from being read refuses that alert; fields the decoder does not
// read are accepted whatever they hold (each sender adds its own, and
// Alertmanager more over versions), those it reads must have their type.
func TestAlertGroups(t *testing.T) {
	ok := firing(`"instance_id":"i-bp1a"`)
	whole := map[string]string{
		"alerts not an array":   `{"receiver":"r","alerts":{"a":1}}`,
		"no alert":              `{"receiver":"r","alerts":[]}`,
		"too many alerts":       `{"receiver":"r","alerts":[` + strings.Repeat("{},", MaxAlerts) + `{}]}`,
		"truncatedAlerts text":  `{"receiver":"r","truncatedAlerts":"2","alerts":[` + ok + `]}`,
		"truncatedAlerts below": `{"receiver":"r","truncatedAlerts":-1,"alerts":[` + ok + `]}`,
	}
	for name, payload := range whole {
		d := Decode([]byte(payload), Options{})
		if d.Batch || len(d.Events) != 1 || d.Events[0].Draft.Problems.Empty() || !d.Events[0].NoRequest || d.Source != "alertmanager" {
			t.Errorf("%s: %+v; want the group refused whole", name, d)
		}
	}
	each := map[string]string{
		"an alert not an object": `"x"`,
		"a key given twice":      strings.Replace(ok, `"status":"firing"`, `"status":"firing","status":"resolved"`, 1),
		"labels not an object":   `{"status":"firing","labels":["instance_id"]}`,
		"status not a string":    `{"status":1,"labels":{"instance_id":"i-bp1a"}}`,
		"startsAt not a time":    strings.Replace(ok, `"2026-11-27T04:20:00Z"`, `"yesterday"`, 1),
		"fingerprint a number":   strings.Replace(ok, `"fingerprint":"f1"`, `"fingerprint":7`, 1),
	}
	for name, alert := range each {
		d := Decode([]byte(alertsOf(ok, alert)), Options{})
		if !d.Batch || len(d.Events) != 2 || !d.Events[0].Draft.Problems.Empty() || d.Events[1].Draft.Problems.Empty() {
			t.Errorf("%s: %+v; want the second alert refused, not the first", name, d)
		}
	}
	// Each sender's own fields, and Alertmanager's newer ones, of any type.
	extra := `{"receiver":"r","status":"firing","version":"4","groupKey":"{}:{}","truncatedAlerts":3,"notification_reason":"x","routeLabels":{"a":"b"},` +
		`"orgId":1,"title":["t"],"state":{"s":1},"message":null,"groupLabels":7,"commonLabels":"x","commonAnnotations":[],"externalURL":false,` +
		`"alerts":[` + strings.Replace(ok, `"fingerprint"`, `"values":{"B":1.5},"valueString":"[ x ]","silenceURL":1,"annotations":[1],"generatorURL":{},"fingerprint"`, 1) + `]}`
	d := Decode([]byte(extra), Options{})
	if !d.Batch || d.Truncated != 3 || len(d.Events) != 1 || !d.Events[0].Draft.Problems.Empty() || d.Events[0].Ignored != "" {
		t.Errorf("extra fields: %+v", d)
	}
	// A group is recognised by receiver and alerts together.
	for _, payload := range []string{`{"receiver":"r"}`, `{"alerts":[]}`, `{"Receiver":"r","Alerts":[]}`} {
		if d := Decode([]byte(payload), Options{}); d.Batch || d.Events[0].Source != "direct" {
			t.Errorf("%s: read as %q", payload, d.Events[0].Source)
		}
	}
}

// The HTTP trigger's /alertmanager route reads a group of alerts as JSON,
// and nothing else; a group sent to another route is refused, naming the
// route: no route turns a firing alert into an exit.
func TestAlertsRoute(t *testing.T) {
	body := alertsOf(firing(`"instance_id":"i-bp1a"`))
	req := func(path, contentType, query, body string) HTTPRequest {
		q, _ := url.ParseQuery(query)
		return HTTPRequest{Method: "POST", Path: path, Header: http.Header{"Content-Type": {contentType}}, Query: q, Body: []byte(body)}
	}
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "text/plain; charset=UTF-8", ""} {
		d := FromHTTP(req("/alertmanager", ct, "", body), Options{})
		if !d.Batch || d.Source != "http:alertmanager" || len(d.Events) != 1 || d.Events[0].Source != "http:alertmanager" || !d.Events[0].Draft.Problems.Empty() {
			t.Errorf("Content-Type %q: %+v", ct, d)
		}
	}
	refused := []struct {
		name string
		r    HTTPRequest
		want string
	}{
		{"a form", req("/alertmanager", "application/x-www-form-urlencoded", "", "InstanceId.1=i-a"), `Content-Type: "application/x-www-form-urlencoded" is not accepted on /alertmanager`},
		{"no body", req("/alertmanager", "", "InstanceId.1=i-a", ""), "body: the route /alertmanager reads a group of alerts"},
		{"a query beside", req("/alertmanager", "application/json", "InstanceId.1=i-a", body), `"InstanceId.1": query parameters are not accepted on /alertmanager`},
		{"a request", req("/alertmanager", "application/json", "", `{"InstanceIds":["i-a"]}`), "body: not a group of alerts"},
		{"not JSON", req("/alertmanager", "application/json", "", `{"receiver":`), "body: is not valid JSON"},
		{"two types", HTTPRequest{Path: "/alertmanager", Header: http.Header{"Content-Type": {"application/json", "text/plain"}}, Body: []byte(body)}, "Content-Type: given twice"},
	}
	for _, tt := range refused {
		d := FromHTTP(tt.r, Options{})
		if len(d.Events) != 1 || d.Batch || !d.Events[0].NoRequest {
			t.Fatalf("%s: %+v", tt.name, d)
		}
		if err := d.Events[0].Draft.Problems.Err(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want %q", tt.name, err, tt.want)
		}
	}
	for _, path := range []string{"/", "/alarm", "/exit"} {
		ev := fromHTTP(req(path, "application/json", "", body))
		if err := ev.Draft.Problems.Err(); err == nil || !strings.Contains(err.Error(), "read on the route /alertmanager only") {
			t.Errorf("%s: %v", path, err)
		}
	}
}

// FuzzAlerts feeds one alert through every field the decoder reads: an
// alert acts only when it fires and names a well-formed instance; an
// address it names is an IPv4 address an instance may hold; what is not
// firing or resolved never acts; an end is dated when it resolved.
func FuzzAlerts(f *testing.F) {
	for _, s := range samples.Match(f, "*alertmanager*.json") {
		var group struct{ Alerts []map[string]any }
		payload := s.Payload
		if r, ok := sampleHTTP(payload); ok {
			payload = r.Body
		}
		if json.Unmarshal(payload, &group) != nil {
			continue
		}
		for _, a := range group.Alerts {
			labels, _ := a["labels"].(map[string]any)
			str := func(v any) string { s, _ := v.(string); return s }
			f.Add(str(a["status"]), str(labels["instance_id"]), str(labels["instance"]), str(labels["alertname"]), str(a["startsAt"]), str(a["endsAt"]), str(a["fingerprint"]))
		}
	}
	f.Fuzz(func(t *testing.T, status, instanceID, instance, alertname, startsAt, endsAt, fingerprint string) {
		labels, _ := json.Marshal(map[string]string{"instance_id": instanceID, "instance": instance, "alertname": alertname})
		var sent map[string]string // as JSON carries them: invalid UTF-8 replaced
		json.Unmarshal(labels, &sent)
		instanceID, instance, alertname = sent["instance_id"], sent["instance"], sent["alertname"]
		alert, _ := json.Marshal(map[string]any{"status": status, "labels": json.RawMessage(labels), "startsAt": startsAt, "endsAt": endsAt, "fingerprint": fingerprint})
		d := Decode([]byte(alertsOf(string(alert))), Options{})
		if !d.Batch || len(d.Events) != 1 {
			t.Fatalf("Decode = %+v", d)
		}
		ev := d.Events[0]
		checkEvent(t, ev)
		req, err := check(&ev.Draft, 100)
		acts := err == nil && ev.Ignored == ""
		if acts && (status != "firing" || req.InstanceIDs[0] != instanceID) {
			t.Fatalf("a %q alert of %q acts on %v", status, instanceID, req.InstanceIDs)
		}
		if ev.Recovered && status != "resolved" {
			t.Fatalf("a %q alert is an end", status)
		}
		if a := ev.Address.Value; a != "" {
			if ip, ok := ipv4(a); !ok || ip != a || instanceID != "" || !strings.Contains(instance, a) {
				t.Fatalf("address %q from instance %q", a, instance)
			}
		}
		if end, err := time.Parse(time.RFC3339, endsAt); status == "resolved" && err == nil && !ev.Time.Equal(end) {
			t.Fatalf("an end that resolved at %q is dated %v", endsAt, ev.Time)
		}
		if ev.Rule != "" && ev.Rule != "alertmanager:"+alertname {
			t.Fatalf("rule %q for %q", ev.Rule, alertname)
		}
	})
}

// A group as large as a group may be, every alert with as many labels as
// fit, costs as little to read as the worst input of any other decoder:
// labels are picked, not decoded.
func TestAGroupOfManyLabelsIsCheap(t *testing.T) {
	payload := samples.ManyLabels()
	var d Delivery
	n := allocated(func() { d = Decode(payload, Options{}) })
	if len(d.Events) < MaxAlerts*9/10 || !d.Batch {
		t.Fatalf("%d events of %d bytes, want nearly %d alerts read", len(d.Events), len(payload), MaxAlerts)
	}
	if n > 10<<20 {
		t.Errorf("reading %d alerts of %d bytes allocated %.1f MiB, more than 10", len(d.Events), len(payload), float64(n)/(1<<20))
	}
}
