package trigger

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"ess-standby/handler/standby"
)

// check validates a decoded draft as the core does, with MAX_INSTANCES at
// limit.
func check(d *standby.Draft, limit int) (standby.Request, error) {
	return standby.New(standby.Config{MaxInstances: limit}, standby.Cloud{}).Check(d)
}

// instances is what a draft names, or its error code.
func instances(t *testing.T, ev Event) ([]string, string) {
	t.Helper()
	req, err := check(&ev.Draft, 100)
	if err != nil {
		return nil, standby.AsError(err).Code
	}
	return req.InstanceIDs, ""
}

func TestDimension(t *testing.T) {
	tests := []struct {
		dims string
		want []string
		bad  bool
	}{
		{"{userId=1234567890123456, instanceId=i-bp1a}", []string{"i-bp1a"}, false},
		{"{instanceId=i-bp1a,userId=12}", []string{"i-bp1a"}, false},
		{"{userId=12****), instanceId=i-12****}", []string{"i-12****"}, false}, // the doc's own sample, typo included
		{"{userId=12, instanceId=null}", nil, false},
		{"{userId=12}", nil, false},
		{"{InstanceId=i-bp1a}", nil, false}, // names match exactly
		{`{"instanceId":"i-bp1a","userId":"12"}`, []string{"i-bp1a"}, false},
		{`[{"userId":"12"},{"instanceId":"i-bp1a"}]`, []string{"i-bp1a"}, false},
		{`[{"instanceId":"i-bp1a"},{"instanceId":"i-bp1b"}]`, []string{"i-bp1a", "i-bp1b"}, false}, // an alarm on two instances names both
		{`[{"instanceId":"null"}]`, nil, false},
		{`{"instanceId":"i-a","InstanceId":"i-b"}`, []string{"i-a"}, false},
		{`{"instanceId":"i-a","instanceId":"i-b"}`, nil, true}, // a key given twice
		{`[{"instanceId":7}]`, nil, true},
		{"", nil, false},
		{"{", nil, false},
	}
	for _, tt := range tests {
		got, err := dimension(tt.dims, "instanceId")
		if !slices.Equal(got, tt.want) || (err != nil) != tt.bad {
			t.Errorf("dimension(%q) = %q, %v; want %q, error %t", tt.dims, got, err, tt.want, tt.bad)
		}
	}
}

func TestTimeForms(t *testing.T) {
	want := time.Date(2017, 10, 16, 6, 52, 40, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"1508136760":    want, // seconds, as documented
		"1508136760000": want, // milliseconds, as sent
		"1508136760123": want.Add(123 * time.Millisecond),
	} {
		if got, err := epoch.parse(in); err != nil || !got.Equal(want) {
			t.Errorf("epoch(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"-5", "0", "soon", "1.5e9"} {
		if _, err := epoch.parse(in); err == nil {
			t.Errorf("epoch(%q) was read", in)
		}
	}
	if got, err := compactTime.parse("20190409T121826.922+0800"); err != nil || !got.Equal(time.Date(2019, 4, 9, 4, 18, 26, 922e6, time.UTC)) {
		t.Errorf("compactTime = %v, %v", got, err)
	}
}

func alarmForm(fields map[string]string) HTTPRequest {
	v := url.Values{}
	for k, f := range fields {
		v.Set(k, f)
	}
	return HTTPRequest{Method: "POST", Path: "/alarm", Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=UTF-8"}}, Body: []byte(v.Encode())}
}

func TestCloudMonitorCallback(t *testing.T) {
	tests := []struct {
		name        string
		fields      map[string]string
		wantIgnored bool
		wantIDs     []string
		wantRegion  string
		wantCode    string
	}{
		{"alert", map[string]string{"alertState": "ALERT", "dimensions": "{userId=1, instanceId=i-bp1a}", "regionId": "cn-beijing"}, false, []string{"i-bp1a"}, "cn-beijing", ""},
		{"alert, region null", map[string]string{"alertState": "ALERT", "dimensions": "{instanceId=i-bp1a}", "regionId": "null"}, false, []string{"i-bp1a"}, "", ""},
		{"alert on two instances", map[string]string{"alertState": "ALERT", "dimensions": `[{"instanceId":"i-bp1a"},{"instanceId":"i-bp1b"}]`}, false, []string{"i-bp1a", "i-bp1b"}, "", ""},
		{"ok", map[string]string{"alertState": "OK", "dimensions": "{instanceId=i-bp1a}"}, true, nil, "", ""},
		{"insufficient data", map[string]string{"alertState": "INSUFFICIENT_DATA"}, true, nil, "", ""},
		{"an undocumented state", map[string]string{"alertState": "FIRING", "dimensions": "{instanceId=i-bp1a}"}, true, nil, "", ""},
		{"ALARM, as the older pages name it", map[string]string{"alertState": "ALARM", "dimensions": "{instanceId=i-bp1a}"}, false, []string{"i-bp1a"}, "", ""},
		{"no state", map[string]string{"alertState": "", "dimensions": "{instanceId=i-bp1a}"}, false, nil, "", "MissingParameter"},
		{"an alarm on RDS", map[string]string{"alertState": "ALERT", "dimensions": "{userId=1, instanceId=rm-bp1a}"}, true, nil, "", ""},
		{"alarm on no instance", map[string]string{"alertState": "ALERT", "dimensions": "{userId=1, bucket=b}"}, false, nil, "", "MissingParameter"},
		{"alarm on a bad instance ID", map[string]string{"alertState": "ALERT", "dimensions": "{instanceId=i-x;y}"}, false, nil, "", "InvalidParameter"},
		{"unreadable timestamp", map[string]string{"alertState": "ALERT", "dimensions": "{instanceId=i-bp1a}", "timestamp": "yesterday"}, false, nil, "", "InvalidParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := fromHTTP(alarmForm(tt.fields))
			if ev.Source != "cms-alarm-callback" || !ev.SenderRetries || (ev.Ignored != "") != tt.wantIgnored {
				t.Fatalf("decoded %q, ignored %q; want the callback, ignored %t", ev.Source, ev.Ignored, tt.wantIgnored)
			}
			if tt.wantIgnored {
				return
			}
			ids, code := instances(t, ev)
			if code != tt.wantCode || !slices.Equal(ids, tt.wantIDs) || ev.Draft.RegionID.Value != tt.wantRegion {
				t.Errorf("got %v, %q in %q; want %v, %q in %q", ids, code, ev.Draft.RegionID.Value, tt.wantIDs, tt.wantCode, tt.wantRegion)
			}
		})
	}
	// A field given twice is ambiguous: which one counts would be a guess.
	body := "alertState=ALERT&dimensions=%7BinstanceId%3Di-bp1a%7D&dimensions=%7BinstanceId%3Di-bp1b%7D"
	ev := fromHTTP(HTTPRequest{Path: "/", Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Body: []byte(body)})
	if _, code := instances(t, ev); code != "InvalidParameter" {
		t.Errorf("dimensions given twice: %q", code)
	}
}

func TestHTTPContentTypes(t *testing.T) {
	tests := []struct {
		name, contentType, body, query string
		wantSource, wantCode           string
	}{
		{"json", "application/json", `{"InstanceId":"i-a"}`, "", "http-json", ""},
		{"json with charset", "application/json; charset=utf-8", `{"InstanceId":"i-a"}`, "", "http-json", ""},
		{"json sent as octet-stream", "application/octet-stream", `{"InstanceId":"i-a"}`, "", "http-json", ""},
		{"json without a type", "", ` {"InstanceId":"i-a"}`, "", "http-json", ""},
		{"form", "application/x-www-form-urlencoded", "InstanceId.1=i-a", "", "http-form", ""},
		{"query only", "", "", "InstanceId.1=i-a", "http-query", ""},
		{"xml", "application/xml", "<InstanceId>i-a</InstanceId>", "", "http", "InvalidParameter"},
		{"body and query", "application/json", `{"InstanceId":"i-a"}`, "InstanceId.1=i-b", "http-json", "InvalidParameter"},
		{"duplicate JSON keys", "application/json", `{"InstanceId":"i-a","InstanceId":"i-b"}`, "", "http-json", "InvalidParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			ev := fromHTTP(HTTPRequest{Method: "POST", Path: "/", Header: http.Header{"Content-Type": {tt.contentType}}, Query: q, Body: []byte(tt.body)})
			if _, code := instances(t, ev); ev.Source != tt.wantSource || code != tt.wantCode {
				t.Errorf("decoded as %q with error %q, want %q with %q", ev.Source, code, tt.wantSource, tt.wantCode)
			}
		})
	}
}

// The go1 runtime's HTTP event: base64 bodies, a numeric timeEpoch, and
// headers in two casings, which are refused rather than one picked.
func TestFCHTTPEvent(t *testing.T) {
	ok := `{"version":"v1","rawPath":"/","headers":{"content-type":"application/json"},"body":"eyJJbnN0YW5jZUlkIjoiaS1hIn0=","isBase64Encoded":true,"requestContext":{"http":{"method":"POST","path":"/"}}}`
	d := Decode([]byte(ok), Options{})
	if d.HTTP == nil || string(d.HTTP.Body) != `{"InstanceId":"i-a"}` || d.HTTP.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("Decode = %+v", d)
	}
	for name, payload := range map[string]string{
		"not base64":          strings.Replace(ok, "eyJJ", "!!!!", 1),
		"two casings":         strings.Replace(ok, `"headers":{`, `"headers":{"Content-Type":"text/plain",`, 1),
		"a key given twice":   strings.Replace(ok, `"rawPath":"/",`, `"rawPath":"/","rawPath":"/exit",`, 1),
		"headers not strings": strings.Replace(ok, `"content-type":"application/json"`, `"content-type":["application/json"]`, 1),
	} {
		// A key given twice keeps the payload from being read as any source:
		// it is refused as what it is not, a request.
		if d := Decode([]byte(payload), Options{}); d.HTTP != nil || d.ViaHTTP != (name != "a key given twice") || d.Events[0].Draft.Problems.Empty() {
			t.Errorf("%s: Decode = %+v, want the HTTP event refused", name, d)
		}
	}
	numeric := strings.Replace(ok, `"requestContext":{`, `"requestContext":{"timeEpoch":1693896071895,`, 1)
	if d := Decode([]byte(numeric), Options{}); d.HTTP == nil {
		t.Errorf("numeric timeEpoch: %+v", d)
	}
	// Through the server, a header sent twice reaches the decoder as two
	// values: Content-Type is then ambiguous.
	two := fromHTTP(HTTPRequest{Path: "/", Header: http.Header{"Content-Type": {"application/json", "text/plain"}}, Body: []byte(`{"InstanceId":"i-a"}`)})
	if _, code := instances(t, two); code != "InvalidParameter" {
		t.Errorf("Content-Type sent twice: %q", code)
	}
}

// Each source is recognised by the exact names of its fields; a request
// whose fields differ from an event's only in case is a request, and is
// refused for its unknown fields rather than ignored as an event.
func TestRecognition(t *testing.T) {
	tests := map[string]string{
		`{"version":"v1","requestContext":{},"body":""}`:                                    "http",
		`{"specversion":"1.0","type":"x","source":"acs.x","id":"1"}`:                        "eventbridge:x",
		`{"triggerName":"t","triggerTime":"2026-11-27T00:00:00Z","payload":"{}"}`:           "timer",
		`{"resourceId":"i-a","resourceType":"ALIYUN::ECS::Instance","state":"Stopping"}`:    "eventbridge-rawdata:ecs:Instance:StateChange",
		`{"eventType":"SystemFailure.Reboot","eventStatus":"Executing","instanceId":"i-a"}`: "eventbridge-rawdata:ecs:Instance:SystemFailure.Reboot",
		`{"instanceId":"i-a","action":"delete"}`:                                            "eventbridge-rawdata:ecs:Instance:PreemptibleInstanceInterruption",
		`{"alertState":"ALERT","dimensions":"{instanceId=i-a}"}`:                            "eventbridge-rawdata:cms:CloudMonitor:AlertWebHook",
		`{"product":"ECS","name":"Instance:StateChange","content":{}}`:                      "cms-event:Instance:StateChange",
		`{"alert":{"source":"SYS_EVENT"},"subscription":{}}`:                                "cms-subscription:",
		`{"InstanceIds":["i-a"]}`:                                                           "direct",
		`{"instanceId":"i-a","action":"ExitStandby"}`:                                       "direct", // a request in lower camel
		`{"version":"v1","InstanceIds":["i-a"]}`:                                            "direct", // no requestContext
		`{"triggerName":"t","InstanceIds":["i-a"]}`:                                         "direct", // no triggerTime
		`{"InstanceIds":["i-a"],"EventType":"x"}`:                                           "direct",
		`{"InstanceIds":["i-a"],"SpecVersion":"1.0"}`:                                       "direct",
		`{"InstanceIds":["i-a"],"AlertState":"ALERT"}`:                                      "direct",
		`{"version":7}`: "direct",
	}
	for payload, want := range tests {
		d := Decode([]byte(payload), Options{})
		got := "http"
		if d.HTTP == nil {
			got = d.Events[0].Source
		}
		if got != want {
			t.Errorf("Decode(%s) is %q, want %q", payload, got, want)
		}
	}
	for _, payload := range []string{`{"InstanceIds":["i-a"],"EventType":"x"}`, `{"InstanceIds":["i-a"],"SpecVersion":"1.0"}`} {
		if _, code := instances(t, decodeOnly(t, payload)); code != "InvalidParameter" {
			t.Errorf("%s: %q, want the unknown field refused", payload, code)
		}
	}
}

// A key given twice is refused wherever it is, never the last one kept.
func TestDuplicateKeys(t *testing.T) {
	for _, payload := range []string{
		`{"InstanceIds":["i-a"],"InstanceIds":["i-b"]}`,
		`{"specversion":"1.0","source":"acs.ecs","type":"ecs:Instance:StateChange","data":{"resourceId":"i-a","state":"Stopping","state":"Running"}}`,
		`{"specversion":"1.0","specversion":"1.0","source":"acs.ecs","type":"ecs:Instance:StateChange","data":{"resourceId":"i-a","state":"Stopping"}}`,
		`{"eventType":"SystemFailure.Reboot","eventStatus":"Executing","instanceId":"i-a","instanceId":"i-b"}`,
		`{"triggerName":"t","triggerTime":"2026-11-27T00:00:00Z","payload":"{\"InstanceId\":\"i-a\",\"InstanceId\":\"i-b\"}"}`,
	} {
		if _, code := instances(t, decodeOnly(t, payload)); code != "InvalidParameter" {
			t.Errorf("%s: %q, want InvalidParameter", payload, code)
		}
	}
}

func cloudEventOf(typ string, data map[string]string) string {
	b, _ := json.Marshal(map[string]any{"specversion": "1.0", "id": "e1", "source": "acs.ecs", "type": "ecs:Instance:" + typ, "data": data})
	return string(b)
}

// What each ECS instance event calls for, by type and status: the table
// README.md's "Which events act" shows.
func TestECSEvents(t *testing.T) {
	type ecsCase struct {
		typ         string
		data        map[string]string
		wantIgnored bool
		wantID      string
		wantCode    string
	}
	tests := []ecsCase{
		{"StateChange", map[string]string{"resourceId": "i-a", "state": "Stopping"}, false, "i-a", ""},
		{"StateChange", map[string]string{"resourceId": "acs:ecs:cn-hangzhou:1:instance/i-a", "state": "Stopped"}, false, "i-a", ""},
		{"StateChange", map[string]string{"resourceId": "i-a", "state": "Starting"}, true, "", ""},
		{"StateChange", map[string]string{"resourceId": "i-a", "state": "Deleted"}, true, "", ""},
		{"StateChange", map[string]string{"resourceId": "i-a", "state": "Created"}, true, "", ""},
		{"StateChange", map[string]string{"resourceId": "i-a", "state": "Hibernating"}, true, "", ""}, // undocumented: not acted on
		{"StateChange", map[string]string{"resourceId": "i-a"}, false, "", "MissingParameter"},
		{Preemptible, map[string]string{"instanceId": "i-a", "action": "delete"}, false, "i-a", ""},
		{Preemptible, map[string]string{"instanceId": "i-a", "action": "stop"}, true, "", ""},
		{"SystemMaintenance.Reboot", map[string]string{"instanceId": "i-a", "eventStatus": "Executed"}, true, "", ""},
		{"SystemMaintenance.Reboot", map[string]string{"instanceId": "i-a", "eventStatus": "Rescheduled"}, true, "", ""},
		{"SystemMaintenance.Reboot", map[string]string{"instanceId": "i-a"}, false, "", "MissingParameter"},
		{"SystemMaintenance.Reboot", map[string]string{"eventStatus": "Scheduled"}, false, "", "MissingParameter"},
		{"SystemMaintenance.Frobnicate", map[string]string{"instanceId": "i-a", "eventStatus": "Scheduled"}, true, "", ""},
		{"Disk.ErrorDetected", map[string]string{"instanceId": "i-a"}, true, "", ""},
	}
	for _, typ := range SystemEventTypes {
		for _, st := range ActingStatuses {
			tests = append(tests, ecsCase{typ, map[string]string{"instanceId": "i-a", "eventStatus": st}, false, "i-a", ""})
		}
		for _, st := range OverStatuses {
			tests = append(tests, ecsCase{typ, map[string]string{"instanceId": "i-a", "eventStatus": st}, true, "", ""})
		}
	}
	for _, tt := range tests {
		ev := decodeOnly(t, cloudEventOf(tt.typ, tt.data))
		if (ev.Ignored != "") != tt.wantIgnored {
			t.Errorf("%s %v: ignored %q, want ignored %t", tt.typ, tt.data, ev.Ignored, tt.wantIgnored)
			continue
		}
		// A value the documentation does not list is ignored, and said so.
		undocumented := slices.Contains([]string{"Hibernating", "stop", "Rescheduled"}, tt.data["state"]+tt.data["action"]+tt.data["eventStatus"])
		if ev.Undocumented != undocumented || undocumented && !strings.Contains(ev.Ignored, "which the documentation lists: not acted on") {
			t.Errorf("%s %v: undocumented %t, %q", tt.typ, tt.data, ev.Undocumented, ev.Ignored)
		}
		if tt.wantIgnored {
			continue
		}
		ids, code := instances(t, ev)
		if code != tt.wantCode || (tt.wantID != "" && !slices.Equal(ids, []string{tt.wantID})) {
			t.Errorf("%s %v: %v, %q; want %q, %q", tt.typ, tt.data, ids, code, tt.wantID, tt.wantCode)
		}
	}
}

// CloudMonitor's own push: the type and status from the name, the instance
// from the content, else from the resource's ARN. Where name and content
// disagree on the status, the content is the notice (ECS's own Avoided
// notice keeps the name ...:Scheduled); on the event itself, it is not
// acted on.
func TestCloudMonitorEventPush(t *testing.T) {
	push := func(name, content string) string {
		return `{"ver":"1.0","id":"X1","product":"ECS","resourceId":"acs:ecs:cn-hangzhou:1:instance/i-arn","level":"CRITICAL","name":"` + name +
			`","eventTime":"20261127T121826.922+0800","regionId":"cn-shanghai","content":` + content + `}`
	}
	tests := []struct {
		name, content string
		wantIDs       []string
		wantIgnored   bool
		wantCode      string
	}{
		{"Instance:SystemMaintenance.Reboot:Scheduled", `{"instanceId":"i-a","eventType":"SystemMaintenance.Reboot","eventStatus":"Scheduled"}`, []string{"i-a"}, false, ""},
		{"Instance:SystemMaintenance.Reboot:Scheduled", `{"eventType":"SystemMaintenance.Reboot"}`, []string{"i-arn"}, false, ""},
		{"Instance:SystemMaintenance.Reboot:Executed", `{"instanceId":"i-a"}`, nil, true, ""},
		{"Instance:SystemMaintenance.Reboot:Executed", `{"instanceId":"i-a","eventStatus":"Executing"}`, []string{"i-a"}, false, ""},
		{"Instance:SystemMaintenance.Reboot:Scheduled", `{"instanceId":"i-a","eventStatus":"Avoided"}`, nil, true, ""},
		{"Instance:SystemMaintenance.Reboot:Scheduled", `{"instanceId":"i-a","eventType":"SystemFailure.Reboot","eventStatus":"Scheduled"}`, nil, true, ""},
		{"Instance:StateChange", `{"resourceId":"i-a","resourceType":"ALIYUN::ECS::Instance","state":"Stopping"}`, []string{"i-a"}, false, ""},
		{"Disk:Stalled:Executing", `{}`, nil, true, ""},
	}
	for _, tt := range tests {
		ev := decodeOnly(t, push(tt.name, tt.content))
		if (ev.Ignored != "") != tt.wantIgnored {
			t.Errorf("%s: ignored %q", tt.name, ev.Ignored)
			continue
		}
		if tt.wantIgnored {
			continue
		}
		ids, code := instances(t, ev)
		if code != tt.wantCode || !slices.Equal(ids, tt.wantIDs) {
			t.Errorf("%s %s: %v %q, want %v %q", tt.name, tt.content, ids, code, tt.wantIDs, tt.wantCode)
		}
		if code == "" && (ev.Draft.RegionID.Value != "cn-shanghai" || !strings.HasPrefix(ev.Identity, "cms-event:X1/") || !ev.Time.Equal(time.Date(2026, 11, 27, 4, 18, 26, 922e6, time.UTC))) {
			t.Errorf("%s: region %q, identity %q, time %v", tt.name, ev.Draft.RegionID.Value, ev.Identity, ev.Time)
		}
	}
	// A product other than ECS is not an instance event.
	if ev := decodeOnly(t, strings.Replace(push("Agent_Status_Stopped", `{}`), `"ECS"`, `"CloudMonitor"`, 1)); ev.Ignored == "" {
		t.Errorf("a CloudMonitor agent event acts: %+v", ev)
	}
}

func subscription(status, source string, content map[string]string, raw bool) string {
	alert := map[string]any{"alertStatus": status, "source": source, "eventName": "Instance:SystemFailure.Reboot:" + content["eventStatus"], "product": "ECS",
		"meta": map[string]any{"sysEventMeta": map[string]string{"regionId": "cn-beijing", "resourceId": "acs:ecs:cn-beijing:1:instance/i-meta"}}}
	if raw {
		b, _ := json.Marshal(content)
		alert["eventRawContent"] = string(b)
	} else {
		alert["eventContentMap"] = content
	}
	b, _ := json.Marshal(map[string]any{"subscription": map[string]any{}, "batchId": "B1", "alert": alert, "time": 1795753471000})
	return string(b)
}

func TestCloudMonitorSubscription(t *testing.T) {
	executing := map[string]string{"instanceId": "i-a", "eventType": "SystemFailure.Reboot", "eventStatus": "Executing"}
	ev := decodeOnly(t, subscription("TRIGGERED", "SYS_EVENT", executing, false))
	if ids, code := instances(t, ev); code != "" || !slices.Equal(ids, []string{"i-a"}) || ev.Draft.RegionID.Value != "cn-beijing" || ev.Identity != "cms-subscription:B1/TRIGGERED/SystemFailure.Reboot:Executing" || ev.Time.IsZero() {
		t.Errorf("TRIGGERED: %v %q %+v", ids, code, ev)
	}
	// The content as a JSON string, when the map is absent.
	if ids, code := instances(t, decodeOnly(t, subscription("TRIGGERED", "SYS_EVENT", executing, true))); code != "" || !slices.Equal(ids, []string{"i-a"}) {
		t.Errorf("eventRawContent: %v %q", ids, code)
	}
	// RESOLVED is a recovery: ignored, or with EXIT_ON_OK the way back.
	if ev := decodeOnly(t, subscription("RESOLVED", "SYS_EVENT", map[string]string{"instanceId": "i-a", "eventStatus": "Executed"}, false)); ev.Ignored == "" || !ev.Recovered || ev.Draft.Named != 1 {
		t.Errorf("RESOLVED: %+v", ev)
	}
	// A threshold alert in this format is undocumented, as is an alert
	// status beside TRIGGERED and RESOLVED: ignored, said so, not guessed at.
	for _, ev := range []Event{decodeOnly(t, subscription("TRIGGERED", "METRIC", executing, false)), decodeOnly(t, subscription("FIRING", "SYS_EVENT", executing, false))} {
		if ev.Ignored == "" || !ev.Undocumented || ev.Draft.Named != 0 {
			t.Errorf("%+v; want ignored as undocumented", ev)
		}
	}
	// Its form variant: the same fields, the objects as JSON strings.
	var fields map[string]json.RawMessage
	json.Unmarshal([]byte(subscription("TRIGGERED", "SYS_EVENT", executing, false)), &fields)
	form := url.Values{}
	for k, v := range fields {
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = string(v)
		}
		form.Set(k, s)
	}
	ev = fromHTTP(HTTPRequest{Path: "/", Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Body: []byte(form.Encode())})
	if ids, code := instances(t, ev); code != "" || !slices.Equal(ids, []string{"i-a"}) || !strings.HasPrefix(ev.Source, "http-form:cms-subscription:") {
		t.Errorf("form: %v %q %q", ids, code, ev.Source)
	}
}

// A batch is decoded element by element; an element that is not an event
// EventBridge batches is a problem of the whole batch, named by its place.
func TestBatch(t *testing.T) {
	good := cloudEventOf("StateChange", map[string]string{"resourceId": "i-a", "state": "Stopping"})
	d := Decode([]byte("["+good+`,{"instanceId":"i-b","action":"delete"}]`), Options{})
	if !d.Batch || len(d.Events) != 2 || d.Events[1].Source != "eventbridge-rawdata:ecs:Instance:PreemptibleInstanceInterruption" {
		t.Fatalf("Decode = %+v", d)
	}
	for name, payload := range map[string]string{
		"a request":      "[" + good + `,{"InstanceIds":["i-b"]}]`,
		"a timer":        "[" + good + `,{"triggerName":"t","triggerTime":"2026-11-27T00:00:00Z","payload":"{}"}]`,
		"not an object":  "[" + good + `,"i-b"]`,
		"empty":          `[]`,
		"not JSON":       `[{]`,
		"nested array":   "[[" + good + "]]",
		"too many":       "[" + strings.Repeat(good+",", MaxBatch) + good + "]",
		"an HTTP event":  "[" + good + `,{"version":"v1","requestContext":{}}]`,
		"duplicate keys": "[" + strings.Replace(good, `"id":"e1"`, `"id":"e1","id":"e2"`, 1) + "]",
	} {
		d := Decode([]byte(payload), Options{})
		invalid := false
		for _, ev := range d.Events {
			invalid = invalid || !ev.Draft.Problems.Empty()
		}
		if !d.Batch || !invalid {
			t.Errorf("%s: Decode = %+v, want the batch refused", name, d)
		}
	}
}

// The notices of one event share its top-level id (ECS's own Scheduled and
// Avoided examples do): the identity names the notice, by its status, and
// is the same for the same notice again.
func TestEachNoticeHasItsOwnIdentity(t *testing.T) {
	notice := func(status string) string {
		return `{"ver":"1.0","id":"X1","product":"ECS","name":"Instance:SystemMaintenance.Reboot:Scheduled","eventTime":"20261127T121826.922+0800",` +
			`"content":{"eventId":"e-1","instanceId":"i-a","eventType":"SystemMaintenance.Reboot","eventStatus":"` + status + `"}}`
	}
	seen := map[string]string{}
	for _, status := range []string{"Scheduled", "Executing", "Avoided", "Executed"} {
		a, b := decodeOnly(t, notice(status)), decodeOnly(t, notice(status))
		if a.Identity == "" || a.Identity != b.Identity {
			t.Errorf("%s: identities %q and %q for the same notice", status, a.Identity, b.Identity)
		}
		if prev, dup := seen[a.Identity]; dup {
			t.Errorf("%s and %s share the identity %q", prev, status, a.Identity)
		}
		seen[a.Identity] = status
	}
	// So do RawData's and CloudEvents' notices.
	raw := func(status string) string {
		return `{"eventId":"e-1","instanceId":"i-a","eventType":"SystemMaintenance.Reboot","eventStatus":"` + status + `"}`
	}
	if a, b := decodeOnly(t, raw("Scheduled")), decodeOnly(t, raw("Executing")); a.Identity == b.Identity {
		t.Errorf("RawData notices share %q", a.Identity)
	}
	ce := func(status string) string {
		return cloudEventOf("SystemMaintenance.Reboot", map[string]string{"instanceId": "i-a", "eventStatus": status})
	}
	if a, b := decodeOnly(t, ce("Scheduled")), decodeOnly(t, ce("Executing")); a.Identity == b.Identity {
		t.Errorf("CloudEvents notices share %q", a.Identity)
	}
}

// ECS's notices that call for nothing are recognised as RawData by their
// documented fields, and ignored with the reason, as the same notices are
// when CloudMonitor pushes them.
func TestNoticesThatCallForNothingAsRawData(t *testing.T) {
	for _, payload := range []string{
		`{"instanceId":"i-a","sourceDedicatedHostId":"dh-1","destinationDedicatedHostId":"dh-2","startTime":"2026-11-27T04:25:37Z","status":"started"}`,
		`{"instanceId":"i-a","creditSpecification":"Unlimited","operator":"System"}`,
		`{"instanceId":"i-a","intervalStart":"2026-11-27T04:00Z","intervalEnd":"2026-11-27T05:00Z"}`,
	} {
		ev := decodeOnly(t, payload)
		if ev.Ignored == "" || !ev.Draft.Problems.Empty() || !strings.HasPrefix(ev.Source, "eventbridge-rawdata:ecs:Instance:") {
			t.Errorf("%s: %+v; want ignored, with the reason", payload, ev)
		}
	}
}
