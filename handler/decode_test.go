package handler

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestDimension(t *testing.T) {
	tests := []struct{ dims, want string }{
		{"{userId=1234567890123456, instanceId=i-bp1a}", "i-bp1a"},
		{"{instanceId=i-bp1a,userId=12}", "i-bp1a"},
		{"{userId=12****), instanceId=i-12****}", "i-12****"}, // the doc's own sample, typo included
		{"{userId=12, instanceId=null}", ""},
		{"{userId=12}", ""},
		{`{"instanceId":"i-bp1a","userId":"12"}`, "i-bp1a"},
		{`[{"userId":"12"},{"instanceId":"i-bp1a"}]`, "i-bp1a"},
		{`[{"instanceId":"null"}]`, ""},
		{"", ""},
		{"{", ""},
	}
	for _, tt := range tests {
		if got := dimension(tt.dims, "instanceId"); got != tt.want {
			t.Errorf("dimension(%q) = %q, want %q", tt.dims, got, tt.want)
		}
	}
}

func TestParseAlarmTime(t *testing.T) {
	want := time.Date(2017, 10, 16, 6, 52, 40, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"1508136760":    want, // seconds, as documented
		"1508136760000": want, // milliseconds, as sent
		"1508136760123": want.Add(123 * time.Millisecond),
		"null":          {},
		"":              {},
		"-5":            {},
	} {
		if got := parseAlarmTime(in); !got.Equal(want) {
			t.Errorf("parseAlarmTime(%q) = %v, want %v", in, got, want)
		}
	}
}

func alarmForm(fields map[string]string) HTTPRequest {
	v := url.Values{}
	for k, f := range fields {
		v.Set(k, f)
	}
	return HTTPRequest{Method: "POST", Headers: map[string]string{"content-type": "application/x-www-form-urlencoded; charset=UTF-8"}, Body: []byte(v.Encode())}
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
		{"ok", map[string]string{"alertState": "OK", "dimensions": "{instanceId=i-bp1a}"}, true, nil, "", ""},
		{"insufficient data", map[string]string{"alertState": "INSUFFICIENT_DATA"}, true, nil, "", ""},
		{"unknown state", map[string]string{"alertState": "FIRING", "dimensions": "{instanceId=i-bp1a}"}, false, nil, "", "InvalidParameter"},
		{"alarm on no instance", map[string]string{"alertState": "ALERT", "dimensions": "{userId=1, bucket=b}"}, false, nil, "", "MissingParameter"},
		{"alarm on a bad instance ID", map[string]string{"alertState": "ALERT", "dimensions": "{instanceId=i-x;y}"}, false, nil, "", "InvalidParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decodeHTTP(alarmForm(tt.fields))
			if d.trigger != "cms-alarm-callback" || (d.ignored != "") != tt.wantIgnored {
				t.Fatalf("decoded %q, ignored %q; want the callback, ignored %t", d.trigger, d.ignored, tt.wantIgnored)
			}
			if tt.wantIgnored {
				return
			}
			req, _, err := d.draft.validate(20)
			if tt.wantCode != "" {
				if e, ok := err.(*Error); !ok || e.Code != tt.wantCode {
					t.Errorf("validate = %v, want %s", err, tt.wantCode)
				}
				return
			}
			if err != nil || strings.Join(req.InstanceIDs, ",") != strings.Join(tt.wantIDs, ",") || req.RegionID != tt.wantRegion {
				t.Errorf("validate = %+v, %v; want %v in %q", req, err, tt.wantIDs, tt.wantRegion)
			}
		})
	}
}

func TestHTTPContentTypes(t *testing.T) {
	tests := []struct {
		name, contentType, body, query string
		wantTrigger, wantCode          string
	}{
		{"json", "application/json", `{"InstanceId":"i-a"}`, "", "http-json", ""},
		{"json with charset", "application/json; charset=utf-8", `{"InstanceId":"i-a"}`, "", "http-json", ""},
		{"json sent as octet-stream", "application/octet-stream", `{"InstanceId":"i-a"}`, "", "http-json", ""},
		{"json without a type", "", ` {"InstanceId":"i-a"}`, "", "http-json", ""},
		{"form", "application/x-www-form-urlencoded", "InstanceId.1=i-a", "", "http-form", ""},
		{"query only", "", "", "InstanceId.1=i-a", "http-query", ""},
		{"xml", "application/xml", "<InstanceId>i-a</InstanceId>", "", "http", "InvalidParameter"},
		{"body and query", "application/json", `{"InstanceId":"i-a"}`, "InstanceId.1=i-b", "http-json", "InvalidParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			d := decodeHTTP(HTTPRequest{Method: "POST", Headers: map[string]string{"Content-Type": tt.contentType}, Query: q, Body: []byte(tt.body)})
			_, _, err := d.draft.validate(20)
			code := ""
			if err != nil {
				code = err.(*Error).Code
			}
			if d.trigger != tt.wantTrigger || code != tt.wantCode {
				t.Errorf("decoded as %q with error %q, want %q with %q", d.trigger, code, tt.wantTrigger, tt.wantCode)
			}
		})
	}
}

func TestFCHTTPEventBase64(t *testing.T) {
	ok := `{"version":"v1","rawPath":"/","headers":{"content-type":"application/json"},"body":"eyJJbnN0YW5jZUlkIjoiaS1hIn0=","isBase64Encoded":true,"requestContext":{"http":{"method":"POST","path":"/"}}}`
	req, err := decodeFCHTTPEvent([]byte(ok))
	if err != nil || string(req.Body) != `{"InstanceId":"i-a"}` {
		t.Errorf("decoded body %q, %v", req.Body, err)
	}
	bad := strings.Replace(ok, "eyJJ", "!!!!", 1)
	if _, err := decodeFCHTTPEvent([]byte(bad)); err == nil {
		t.Error("a body flagged base64 that is not base64 was accepted")
	}
	// timeEpoch is a string in FC's events; a number must not break decoding either.
	numeric := strings.Replace(ok, `"requestContext":{`, `"requestContext":{"timeEpoch":1693896071895,`, 1)
	if _, err := decodeFCHTTPEvent([]byte(numeric)); err != nil {
		t.Errorf("numeric timeEpoch: %v", err)
	}
}

func TestClassify(t *testing.T) {
	tests := map[string]source{
		`{"version":"v1","requestContext":{},"body":""}`:                        sourceHTTP,
		`{"specversion":"1.0","type":"x"}`:                                      sourceCloudEvent,
		`{"triggerName":"t","triggerTime":"2026-11-27T00:00:00Z","payload":""}`: sourceTimer,
		`{"resourceId":"i-a","resourceType":"ALIYUN::ECS::Instance"}`:           sourceRawData,
		`{"eventType":"SystemFailure.Reboot","instanceId":"i-a"}`:               sourceRawData,
		`{"InstanceIds":["i-a"]}`:                                               sourceDirect,
		`{"version":"v1","InstanceIds":["i-a"]}`:                                sourceDirect, // no requestContext
		`{"triggerName":"t","InstanceIds":["i-a"]}`:                             sourceDirect, // no triggerTime
		`{"version":7}`: sourceDirect,
		`[1,2]`:         sourceDirect,
	}
	for payload, want := range tests {
		if got := classify([]byte(payload)); got != want {
			t.Errorf("classify(%s) = %d, want %d", payload, got, want)
		}
	}
}

func TestECSEvents(t *testing.T) {
	tests := []struct {
		eventType, data string
		wantIgnored     bool
		wantID          string
	}{
		{"StateChange", `{"resourceId":"i-a","state":"Stopping"}`, false, "i-a"},
		{"StateChange", `{"resourceId":"acs:ecs:cn-hangzhou:1:instance/i-a","state":"Stopped"}`, false, "i-a"},
		{"StateChange", `{"resourceId":"i-a","state":"Starting"}`, true, ""},
		{"StateChange", `{"resourceId":"i-a","state":"Deleted"}`, true, ""},
		{"SystemMaintenance.Reboot", `{"instanceId":"i-a","eventStatus":"Scheduled"}`, false, "i-a"},
		{"SystemMaintenance.Redeploy", `{"instanceId":"i-a","eventStatus":"Executing"}`, false, "i-a"},
		{"SystemMaintenance.Reboot", `{"instanceId":"i-a","eventStatus":"Canceled"}`, true, ""},
		{"SystemFailure.Reboot", `{"instanceId":"i-a","eventStatus":"Avoided"}`, true, ""},
		{"SystemFailure.Stop", `{"instanceId":"i-a","eventStatus":"Executed"}`, false, "i-a"},
		{"PreemptibleInstanceInterruption", `{"instanceId":"i-a"}`, true, ""},
	}
	for _, tt := range tests {
		d := decodeECS(tt.eventType, []byte(tt.data))
		id := ""
		if len(d.draft.instances) == 1 {
			id = d.draft.instances[0].value
		}
		if (d.ignored != "") != tt.wantIgnored || id != tt.wantID {
			t.Errorf("decodeECS(%s, %s) = ignored %q, instance %q; want ignored %t, %q", tt.eventType, tt.data, d.ignored, id, tt.wantIgnored, tt.wantID)
		}
	}
}
