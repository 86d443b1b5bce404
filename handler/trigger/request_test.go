package trigger

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	. "ess-standby/handler/standby"
)

func ids(n int) string {
	var s []string
	for i := range n {
		s = append(s, fmt.Sprintf("%q", fmt.Sprintf("i-bp1abc%04d", i)))
	}
	return "[" + strings.Join(s, ",") + "]"
}

// decodeOnly decodes a payload that holds one event or request.
func decodeOnly(t *testing.T, payload string) Event {
	t.Helper()
	d := Decode([]byte(payload), Options{})
	if d.HTTP != nil || len(d.Events) != 1 {
		t.Fatalf("Decode(%s) = %+v, want one event", payload, d)
	}
	return d.Events[0]
}

// Each validation rule of the direct request, as DESIGN.md states them.
func TestDirectRequest(t *testing.T) {
	tests := []struct {
		name     string
		json     string
		wantCode string   // "" means valid
		wantMsgs []string // each must appear in the message
		want     Request
		wantN    int // instance count, when want lists none
		skipped  int
	}{
		{name: "minimal", json: `{"InstanceIds":["i-bp1a"]}`, want: Request{InstanceIDs: []string{"i-bp1a"}}},
		{name: "all fields", json: `{"ScalingGroupId":"asg-bp1x","InstanceIds":["i-a","eci-b"],"ClientToken":"t-1","Async":true,"RegionId":"cn-hangzhou"}`,
			want: Request{ScalingGroupID: "asg-bp1x", InstanceIDs: []string{"i-a", "eci-b"}, ClientToken: "t-1", Async: true, RegionID: "cn-hangzhou"}},
		{name: "lower camel aliases", json: `{"scalingGroupId":"asg-x","instanceIds":["i-a"],"clientToken":"c","async":"false","regionId":"ap-southeast-1"}`,
			want: Request{ScalingGroupID: "asg-x", InstanceIDs: []string{"i-a"}, ClientToken: "c", RegionID: "ap-southeast-1"}},
		{name: "InstanceId as one string", json: `{"InstanceId":"i-a"}`, want: Request{InstanceIDs: []string{"i-a"}}},
		{name: "InstanceId as array", json: `{"instanceId":["i-a","i-b"]}`, want: Request{InstanceIDs: []string{"i-a", "i-b"}}},
		{name: "Async as string true", json: `{"InstanceId":"i-a","Async":"true"}`, want: Request{InstanceIDs: []string{"i-a"}, Async: true}},
		{name: "null is absent", json: `{"InstanceId":"i-a","ScalingGroupId":null}`, want: Request{InstanceIDs: []string{"i-a"}}},
		{name: "duplicates removed and reported", json: `{"InstanceIds":["i-a","i-b","i-a"]}`, want: Request{InstanceIDs: []string{"i-a", "i-b"}}, skipped: 1},
		{name: "19 distinct and a duplicate", json: `{"InstanceIds":` + strings.Replace(ids(19), "]", `,"i-bp1abc0000"]`, 1) + `}`, wantN: 19, skipped: 1},
		// MAX_INSTANCES bounds the IDs named, duplicates included: they are
		// counted before any is looked at.
		{name: "20 distinct and a duplicate", json: `{"InstanceIds":` + strings.Replace(ids(20), "]", `,"i-bp1abc0000"]`, 1) + `}`, wantCode: "InvalidParameter", wantMsgs: []string{"got 21"}},
		{name: "token of 64", json: `{"InstanceId":"i-a","ClientToken":"` + strings.Repeat("x", 64) + `"}`, want: Request{InstanceIDs: []string{"i-a"}, ClientToken: strings.Repeat("x", 64)}},

		{name: "no instances", json: `{"ScalingGroupId":"asg-x"}`, wantCode: "MissingParameter", wantMsgs: []string{"InstanceId: at least one"}},
		{name: "empty object", json: `{}`, wantCode: "MissingParameter"},
		{name: "empty array", json: `{"InstanceIds":[]}`, wantCode: "MissingParameter"},
		{name: "21 instances", json: `{"InstanceIds":` + ids(21) + `}`, wantCode: "InvalidParameter", wantMsgs: []string{"at most 20 instances per invocation (MAX_INSTANCES)", "got 21"}},
		{name: "instance with a space", json: `{"InstanceIds":["i-a","i-b","i-x y"]}`, wantCode: "InvalidParameter", wantMsgs: []string{`InstanceId.3: "i-x y" is not an instance ID`}},
		{name: "instance without prefix", json: `{"InstanceIds":["bp1abc"]}`, wantCode: "InvalidParameter", wantMsgs: []string{"InstanceId.1"}},
		{name: "bare prefix", json: `{"InstanceIds":["i-"]}`, wantCode: "InvalidParameter"},
		{name: "instance with punctuation", json: `{"InstanceIds":["i-abc;rm"]}`, wantCode: "InvalidParameter"},
		{name: "instance not a string", json: `{"InstanceIds":["i-a",7]}`, wantCode: "InvalidParameter", wantMsgs: []string{"InstanceId.2: must be a string"}},
		{name: "instances an object", json: `{"InstanceIds":{"a":"i-a"}}`, wantCode: "InvalidParameter", wantMsgs: []string{"InstanceIds: must be an array"}},
		{name: "group shape", json: `{"ScalingGroupId":"sg-123","InstanceId":"i-a"}`, wantCode: "InvalidParameter", wantMsgs: []string{`ScalingGroupId: "sg-123" is not a scaling group ID`}},
		{name: "group not a string", json: `{"ScalingGroupId":12,"InstanceId":"i-a"}`, wantCode: "InvalidParameter", wantMsgs: []string{"ScalingGroupId: must be a string"}},
		{name: "token too long", json: `{"InstanceId":"i-a","ClientToken":"` + strings.Repeat("x", 65) + `"}`, wantCode: "InvalidParameter", wantMsgs: []string{"ClientToken"}},
		{name: "token not ASCII", json: `{"InstanceId":"i-a","ClientToken":"tök"}`, wantCode: "InvalidParameter", wantMsgs: []string{"ClientToken: must be printable ASCII"}},
		{name: "token with a control character", json: `{"InstanceId":"i-a","ClientToken":"a\nb"}`, wantCode: "InvalidParameter"},
		{name: "Async test, the doc's example", json: `{"InstanceId":"i-a","Async":"test"}`, wantCode: "InvalidParameter", wantMsgs: []string{`Async: "test" is not a boolean`}},
		{name: "Async a number", json: `{"InstanceId":"i-a","Async":1}`, wantCode: "InvalidParameter", wantMsgs: []string{"Async: must be true or false"}},
		{name: "Async TRUE", json: `{"InstanceId":"i-a","Async":"TRUE"}`, wantCode: "InvalidParameter"},
		{name: "region shape", json: `{"InstanceId":"i-a","RegionId":"Hangzhou"}`, wantCode: "InvalidParameter", wantMsgs: []string{"RegionId"}},
		{name: "unknown field", json: `{"InstanceId":"i-a","InstanceID":"i-b"}`, wantCode: "InvalidParameter", wantMsgs: []string{`"InstanceID": unknown field`}},
		{name: "Wait and Action", json: `{"InstanceId":"i-a","Wait":true,"Action":"ExitStandby"}`, want: Request{Action: ExitStandby, InstanceIDs: []string{"i-a"}, Wait: true}},
		{name: "a sweep", json: `{"Action":"Sweep"}`, want: Request{Action: Sweep}},
		{name: "a sweep naming an instance", json: `{"Action":"Sweep","InstanceIds":["i-a"]}`, wantCode: "InvalidParameter", wantMsgs: []string{"a sweep names no instances"}},
		{name: "unknown Action", json: `{"InstanceId":"i-a","Action":"Terminate"}`, wantCode: "InvalidParameter", wantMsgs: []string{`Action: "Terminate" is not EnterStandby, ExitStandby or Sweep`}},
		{name: "a field of the API's other calls", json: `{"InstanceId":"i-a","ShouldDecrementDesiredCapacity":true}`, wantCode: "InvalidParameter", wantMsgs: []string{`"ShouldDecrementDesiredCapacity": unknown field`}},
		{name: "DryRun", json: `{"InstanceId":"i-a","dryRun":"true"}`, want: Request{InstanceIDs: []string{"i-a"}, DryRun: true}},
		{name: "DryRun not a boolean", json: `{"InstanceId":"i-a","DryRun":"maybe"}`, wantCode: "InvalidParameter", wantMsgs: []string{`DryRun: "maybe" is not a boolean`}},
		{name: "alias given twice", json: `{"InstanceId":"i-a","InstanceIds":["i-b"]}`, wantCode: "InvalidParameter", wantMsgs: []string{"given twice"}},
		{name: "a string", json: `"i-a"`, wantCode: "InvalidParameter", wantMsgs: []string{"must be a JSON object"}},
		{name: "null", json: `null`, wantCode: "InvalidParameter"},
		{name: "not JSON", json: `InstanceId=i-a`, wantCode: "InvalidParameter"},
		{name: "every problem at once", json: `{"ScalingGroupId":"g","InstanceIds":["i-a","i-x y"],"ClientToken":"tök","Async":"test","Extra":1}`,
			wantCode: "InvalidParameter", wantMsgs: []string{"ScalingGroupId", "InstanceId.2", "ClientToken", "Async", `"Extra"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := decodeOnly(t, tt.json)
			if ev.Source != "direct" {
				t.Errorf("decoded as %q, want direct", ev.Source)
			}
			req, err := check(&ev.Draft, 20)
			skipped := req.Duplicates
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("check(%s) = %v, want valid", tt.json, err)
				}
				tt.want.Action = cmp.Or(tt.want.Action, EnterStandby)
				req.Duplicates = nil
				if tt.want.InstanceIDs != nil && fmt.Sprint(req) != fmt.Sprint(tt.want) {
					t.Errorf("check(%s) = %+v, want %+v", tt.json, req, tt.want)
				}
				if tt.wantN != 0 && len(req.InstanceIDs) != tt.wantN {
					t.Errorf("validate kept %d instances, want %d", len(req.InstanceIDs), tt.wantN)
				}
				if len(skipped) != tt.skipped {
					t.Errorf("check(%s) skipped %v, want %d", tt.json, skipped, tt.skipped)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok || e.Code != tt.wantCode || e.Kind != Invalid {
				t.Fatalf("check(%s) = %v, want %s", tt.json, err, tt.wantCode)
			}
			for _, m := range tt.wantMsgs {
				if !strings.Contains(e.Message, m) {
					t.Errorf("message %q lacks %q", e.Message, m)
				}
			}
		})
	}
}

func TestParams(t *testing.T) {
	tests := []struct {
		query    string
		wantIDs  []string
		wantCode string
		wantMsg  string
	}{
		{query: "ScalingGroupId=asg-x&InstanceId.2=i-b&InstanceId.1=i-a&InstanceId.10=i-j", wantIDs: []string{"i-a", "i-b", "i-j"}},
		{query: "instanceId.1=i-a&scalingGroupId=asg-x&Async=true", wantIDs: []string{"i-a"}},
		{query: "InstanceId=i-a", wantIDs: []string{"i-a"}},
		{query: "InstanceId.0=i-a", wantCode: "InvalidParameter", wantMsg: "counts from 1"},
		{query: "InstanceId.x=i-a", wantCode: "InvalidParameter", wantMsg: "InstanceId.x"},
		{query: "InstanceId.1=i-a&InstanceId.1=i-b", wantCode: "InvalidParameter", wantMsg: "given 2 times"},
		{query: "InstanceId.1=i-a&InstanceId.01=i-b", wantCode: "InvalidParameter", wantMsg: "given twice"},
		{query: "InstanceId.1=i-a&Version=2014-08-28", wantCode: "InvalidParameter", wantMsg: `"Version": unknown parameter`},
		{query: "InstanceId.1=i-a&Action=ExitStandby&Wait=true", wantIDs: []string{"i-a"}},
		{query: "InstanceId.1=i-a,i-b", wantCode: "InvalidParameter", wantMsg: "InstanceId.1"},
		{query: "", wantCode: "MissingParameter"},
	}
	for _, tt := range tests {
		values, _ := url.ParseQuery(tt.query)
		d := readParams(values)
		req, err := check(&d, 20)
		if tt.wantCode == "" {
			if err != nil || fmt.Sprint(req.InstanceIDs) != fmt.Sprint(tt.wantIDs) {
				t.Errorf("%q: got %v, %v; want %v", tt.query, req.InstanceIDs, err, tt.wantIDs)
			}
			continue
		}
		if e, ok := err.(*Error); !ok || e.Code != tt.wantCode || !strings.Contains(e.Message, tt.wantMsg) {
			t.Errorf("%q: got %v, want %s containing %q", tt.query, err, tt.wantCode, tt.wantMsg)
		}
	}
}

// A route says the action exactly: an exit route makes a request an
// ExitStandby, which a request asking otherwise contradicts; the others
// leave it to the request; a path that is no route is a problem, never a
// default.
func TestRoutes(t *testing.T) {
	json := http.Header{"Content-Type": {"application/json"}}
	for _, tt := range []struct {
		path, body string
		want       Action
		problem    string // in the draft's problems, if any
	}{
		{"/", `{"InstanceId":"i-a"}`, EnterStandby, ""},
		{"/alarm", `{"InstanceId":"i-a"}`, EnterStandby, ""},
		{"/standby", `{"InstanceId":"i-a","Action":"ExitStandby"}`, ExitStandby, ""},
		{"/exit", `{"InstanceId":"i-a"}`, ExitStandby, ""},
		{"/standby/exit", `{"InstanceId":"i-a","Action":"ExitStandby"}`, ExitStandby, ""},
		{"/exit", `{"InstanceId":"i-a","Action":"EnterStandby"}`, "", `Action: "EnterStandby" contradicts the /exit route`},
		{"/Exit", `{"InstanceId":"i-a"}`, "", `path: "/Exit" is not a route of this function`},
		{"/exit/", `{"InstanceId":"i-a"}`, "", `path: "/exit/" is not a route of this function`},
	} {
		ev := fromHTTP(HTTPRequest{Method: "POST", Path: tt.path, Header: json, Body: []byte(tt.body)})
		req, err := check(&ev.Draft, 10)
		switch {
		case tt.problem != "":
			if err == nil || !strings.Contains(err.Error(), tt.problem) {
				t.Errorf("%s %s: %v; want %q", tt.path, tt.body, err, tt.problem)
			}
		case err != nil || req.Action != tt.want:
			t.Errorf("%s %s: %s, %v; want %s", tt.path, tt.body, req.Action, err, tt.want)
		}
	}
	for _, r := range Routes {
		if got, ok := RouteOf(r.Path); !ok || got != r {
			t.Errorf("RouteOf(%s) = %+v, %t", r.Path, got, ok)
		}
	}
}
