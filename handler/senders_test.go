package handler_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"ess-standby/handler"
	"ess-standby/handler/standby"
)

// invokeHTTP sends one HTTP-trigger request to a handler over the fake.
func invokeHTTP(h *handler.Handler, method, path, contentType string, query url.Values, body string) handler.Outcome {
	header := http.Header{}
	if contentType != "" {
		header.Set("Content-Type", contentType)
	}
	return h.InvokeHTTP(context.Background(), fakeInv, handler.HTTPRequest{Method: method, Path: path, Header: header, RawQuery: query.Encode(), Body: strings.NewReader(body)})
}

func alarmForm(instance string) string {
	return url.Values{"alertState": {"ALERT"}, "dimensions": {"{userId=1, instanceId=" + instance + "}"}, "namespace": {"acs_ecs_dashboard"},
		"timestamp": {"1795753200000"}, "transId": {"t-" + instance}}.Encode()
}

// CloudMonitor retries a callback it is not answered 2xx (and whether a 4xx
// too is undocumented): a refusal no retry changes is answered 200, with its
// code, and logged; what a retry may do still fails, so that it retries.
func TestCloudMonitorsRefusalsAreFinal(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		fail       bool // Auto Scaling throttles every call
		wantStatus int
		wantCode   string
	}{
		{"an instance in no group", alarmForm("i-nowhere"), false, 200, "InvalidInstanceId.NotFound"},
		{"invalid", alarmForm("i-bad id"), false, 200, "InvalidParameter"},
		{"throttled", alarmForm("i-a1"), true, 429, "Throttling"},
		{"done", alarmForm("i-a1"), false, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			if tt.fail {
				f.Fail("Standby", 0, &standby.Error{Kind: standby.Throttled, Code: "Throttling", Message: "throttled"})
			}
			h, logs := newHandler(config{}, f)
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			defer cancel()
			out := h.InvokeHTTP(ctx, fakeInv, handler.HTTPRequest{Method: "POST", Path: "/alarm", Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
				Body: strings.NewReader(tt.body)})
			var a struct{ Code string }
			json.Unmarshal(out.Body, &a)
			if out.Status != tt.wantStatus || a.Code != tt.wantCode {
				t.Errorf("answered %d %s; want %d %s", out.Status, out.Body, tt.wantStatus, tt.wantCode)
			}
			if tt.wantCode != "" && tt.wantStatus == 200 && !strings.Contains(logs.String(), `"final":true`) {
				t.Errorf("the log does not mark the refusal final: %s", logs)
			}
		})
	}
	// A request of an operator, refused, keeps its status: it is told.
	h, _ := newHandler(config{}, newFake())
	if out := invokeHTTP(h, "POST", "/standby", "application/json", nil, `{"InstanceIds":["i-nowhere"]}`); out.Status != 404 {
		t.Errorf("an operator's refused request answered %d", out.Status)
	}
}

// What CloudMonitor sends, in every encoding it documents, on the HTTP
// trigger: the alarm callback as a form and as a JSON body (dimensions a
// string or a JSON array), and the subscription's alert as POST JSON,
// POST FORM, GET JSON and GET FORM.
func TestCloudMonitorsEncodings(t *testing.T) {
	sub := map[string]any{"subscription": map[string]any{"subscriptionUuid": "s-1"}, "batchId": "B1", "time": 1795753471000, "alert": map[string]any{
		"alertStatus": "TRIGGERED", "source": "SYS_EVENT", "eventName": "Instance:SystemFailure.Reboot:Executing", "product": "ECS",
		"eventContentMap": map[string]string{"instanceId": "i-a1", "eventType": "SystemFailure.Reboot", "eventStatus": "Executing"}}}
	subJSON, _ := json.Marshal(sub)
	subForm := url.Values{}
	for k, v := range sub {
		b, _ := json.Marshal(v)
		s := string(b)
		if str, ok := v.(string); ok {
			s = str
		}
		subForm.Set(k, s)
	}
	tests := []struct {
		name, method, contentType string
		query                     url.Values
		body, wantSource          string
	}{
		{"alarm, form", "POST", "application/x-www-form-urlencoded", nil, alarmForm("i-a1"), "cms-alarm-callback"},
		{"alarm, JSON", "POST", "application/json", nil, `{"alertState":"ALERT","dimensions":"{userId=1, instanceId=i-a1}","timestamp":1795753200000}`, "cms-alarm-callback:json"},
		{"alarm, JSON, dimensions an array", "POST", "application/json", nil, `{"alertState":"ALERT","dimensions":[{"userId":"1","instanceId":"i-a1"}],"timestamp":"1795753200"}`, "cms-alarm-callback:json"},
		{"subscription, POST JSON", "POST", "application/json", nil, string(subJSON), "http:cms-subscription:Instance:SystemFailure.Reboot:Executing"},
		{"subscription, POST FORM", "POST", "application/x-www-form-urlencoded", nil, subForm.Encode(), "http-form:cms-subscription:Instance:SystemFailure.Reboot:Executing"},
		{"subscription, GET JSON", "GET", "", url.Values{"data": {string(subJSON)}}, "", "http-get:cms-subscription:Instance:SystemFailure.Reboot:Executing"},
		{"subscription, GET FORM", "GET", "", subForm, "", "http-get-form:cms-subscription:Instance:SystemFailure.Reboot:Executing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			h, logs := newHandler(config{}, f)
			out := invokeHTTP(h, tt.method, "/cms", tt.contentType, tt.query, tt.body)
			if out.Status != 200 || out.Err != nil || f.State("i-a1") != "Standby" || !strings.Contains(logs.String(), `"trigger":"`+tt.wantSource+`"`) {
				t.Errorf("answered %d %s; i-a1 is %s; log %s", out.Status, out.Body, f.State("i-a1"), logs)
			}
		})
	}
}

// An alarm on another product names its own resource (rm-… of RDS): it
// calls for nothing, and is ignored with the reason, not refused.
func TestAnAlarmOnAnotherProductIsIgnored(t *testing.T) {
	f := newFake()
	h, _ := newHandler(config{}, f)
	body := url.Values{"alertState": {"ALERT"}, "namespace": {"acs_rds_dashboard"}, "dimensions": {"{userId=1, instanceId=rm-bp1abc}"}}.Encode()
	out := invokeHTTP(h, "POST", "/alarm", "application/x-www-form-urlencoded", nil, body)
	if a := decodeReply(t, out); out.Status != 200 || !strings.Contains(a.Ignored, `"rm-bp1abc", not an ECS instance`) || len(f.Calls("")) != 0 {
		t.Errorf("answered %d %s after %d calls", out.Status, out.Body, len(f.Calls("")))
	}
}
