package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"ess-standby/handler/fctest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeScaling is a hand-written AutoScaling that knows which group holds
// which instance, in which state, and records what it was asked.
type fakeScaling struct {
	mu        sync.Mutex
	groupOf   map[string]string
	stateOf   map[string]string // default InService
	enterErr  error
	lookups   [][]string
	lookupIn  []string // the group each lookup was scoped to
	calls     []StandbyCall
	sessions  []Session
	counted   int
	inService int
}

func (f *fakeScaling) state(id string) string {
	if st := f.stateOf[id]; st != "" {
		return st
	}
	return "InService"
}

func (f *fakeScaling) ScalingInstances(_ context.Context, s Session, group string, ids []string) ([]ScalingInstance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups = append(f.lookups, ids)
	f.lookupIn = append(f.lookupIn, group)
	f.sessions = append(f.sessions, s)
	var out []ScalingInstance
	for _, id := range ids {
		if g := f.groupOf[id]; g != "" && (group == "" || g == group) {
			out = append(out, ScalingInstance{InstanceID: id, ScalingGroupID: g, LifecycleState: f.state(id)})
		}
	}
	return out, nil
}

func (f *fakeScaling) CountInstances(_ context.Context, _ Session, group, state string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counted++
	n := 0
	for id, g := range f.groupOf {
		if g == group && (state == "" || f.state(id) == state) {
			n++
		}
	}
	return n, nil
}

func (f *fakeScaling) Standby(_ context.Context, s Session, c StandbyCall) (Activity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	f.sessions = append(f.sessions, s)
	if f.enterErr != nil {
		return Activity{}, f.enterErr
	}
	return Activity{ScalingGroupID: c.ScalingGroupID, ScalingActivityID: fmt.Sprintf("asa-fake%d", len(f.calls)), RequestID: "R", InstanceIDs: c.InstanceIDs, ClientToken: c.ClientToken}, nil
}

func (f *fakeScaling) ActivityStatuses(_ context.Context, _ Session, ids []string) ([]ActivityStatus, error) {
	var out []ActivityStatus
	for _, id := range ids {
		out = append(out, ActivityStatus{ScalingActivityID: id, StatusCode: "Successful"})
	}
	return out, nil
}

var roleCreds = Credentials{AccessKeyID: fctest.Secret("STS.role"), AccessKeySecret: fctest.Secret("role-secret"), SecurityToken: fctest.Secret("role-token")}

func newTestHandler(cfg Config, f *fakeScaling) (*Handler, *bytes.Buffer) {
	var logs bytes.Buffer
	if f.groupOf == nil {
		f.groupOf = map[string]string{"i-a1": "asg-a", "i-a2": "asg-a", "i-b1": "asg-b"}
	}
	h := New(cfg, f, slog.New(slog.NewJSONHandler(io.MultiWriter(&logs, fctest.Logs()), nil)))
	h.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() } // backoff without waiting
	return h, &logs
}

func invoke(h *Handler, inv Invocation, payload string) Outcome {
	return h.Invoke(context.Background(), inv, []byte(payload))
}

// The group named by the request, else by SCALING_GROUP_ID, scopes the
// pre-check (so a group-scoped RAM policy suffices); with neither, each
// instance's group is looked up.
func TestScalingGroupComesFromRequestThenSettingThenLookup(t *testing.T) {
	inv := Invocation{RequestID: "r1", Region: "cn-hangzhou", Credentials: roleCreds}
	tests := []struct {
		name        string
		setting     string
		payload     string
		wantScope   string
		wantGroups  []string
		wantSkipped []string
	}{
		{"request names it", "asg-b", `{"ScalingGroupId":"asg-a","InstanceIds":["i-a1","i-a2"]}`, "asg-a", []string{"asg-a"}, nil},
		{"setting names it", "asg-a", `{"InstanceIds":["i-a1"]}`, "asg-a", []string{"asg-a"}, nil},
		{"looked up per instance", "", `{"InstanceIds":["i-a1","i-b1","i-a2"]}`, "", []string{"asg-a", "asg-b"}, nil},
		{"an instance outside the named group", "asg-a", `{"InstanceIds":["i-a1","i-b1"]}`, "asg-a", []string{"asg-a"}, []string{"i-b1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeScaling{}
			h, _ := newTestHandler(Config{ScalingGroupID: tt.setting}, f)
			out := invoke(h, inv, tt.payload)
			if out.Err != nil {
				t.Fatalf("Invoke = %v", out.Err)
			}
			var groups []string
			for _, c := range f.calls {
				groups = append(groups, c.ScalingGroupID)
			}
			if fmt.Sprint(f.lookupIn) != fmt.Sprint([]string{tt.wantScope}) || fmt.Sprint(groups) != fmt.Sprint(tt.wantGroups) {
				t.Errorf("lookups scoped to %q, calls to %v; want %q, %v", f.lookupIn, groups, tt.wantScope, tt.wantGroups)
			}
			for _, id := range tt.wantSkipped {
				if !strings.Contains(string(out.Body), `"InstanceId":"`+id+`","Reason":"not in scaling group asg-a"`) {
					t.Errorf("answer %s does not report %s as outside the group", out.Body, id)
				}
			}
		})
	}
}

func TestLookupKeepsInstancesOfAGroupInOneCall(t *testing.T) {
	f := &fakeScaling{}
	h, _ := newTestHandler(Config{}, f)
	out := invoke(h, Invocation{Region: "cn-hangzhou", Credentials: roleCreds}, `{"InstanceIds":["i-a1","i-b1","i-a2"],"ClientToken":"tok"}`)
	if out.Err != nil || len(f.calls) != 2 {
		t.Fatalf("Invoke = %v after %d calls, want 2 calls", out.Err, len(f.calls))
	}
	if got := fmt.Sprint(f.calls[0].InstanceIDs, f.calls[1].InstanceIDs); got != "[i-a1 i-a2] [i-b1]" {
		t.Errorf("calls carried %s, want [i-a1 i-a2] [i-b1]", got)
	}
	if f.calls[0].ClientToken == f.calls[1].ClientToken || !strings.HasPrefix(f.calls[0].ClientToken, "tok") {
		t.Errorf("tokens %q and %q: two calls need two tokens derived from the caller's", f.calls[0].ClientToken, f.calls[1].ClientToken)
	}
}

func TestBatchTokenStaysWithin64(t *testing.T) {
	long := strings.Repeat("t", 64)
	for i := range 3 {
		if tok := batchToken(long, i); len(tok) > 64 || tok == batchToken(long, i+1) {
			t.Errorf("batchToken(64 chars, %d) = %q: too long or not distinct", i, tok)
		}
	}
}

func TestInstancesInNoGroup(t *testing.T) {
	f := &fakeScaling{}
	h, _ := newTestHandler(Config{}, f)
	out := invoke(h, Invocation{Region: "cn-hangzhou", Credentials: roleCreds}, `{"InstanceIds":["i-orphan1","i-orphan2"]}`)
	if out.Err == nil || out.Err.Code != "InvalidInstanceId.NotFound" || out.Status != 404 {
		t.Fatalf("Invoke = %v (status %d), want 404 InvalidInstanceId.NotFound", out.Err, out.Status)
	}
	if !strings.Contains(out.Err.Message, "i-orphan1") || !strings.Contains(out.Err.Message, "i-orphan2") || len(f.calls) != 0 {
		t.Errorf("message %q, %d calls; want both orphans named and no call", out.Err.Message, len(f.calls))
	}
	// Some found, some not: the found ones are acted on, the others reported.
	out = invoke(h, Invocation{Region: "cn-hangzhou", Credentials: roleCreds}, `{"InstanceIds":["i-a1","i-orphan1"]}`)
	if out.Err != nil || len(f.calls) != 1 || !strings.Contains(string(out.Body), `{"InstanceId":"i-orphan1","Reason":"in no scaling group of region cn-hangzhou"}`) {
		t.Errorf("Invoke = %s, %v after %d calls; want i-a1 acted on and i-orphan1 skipped", out.Body, out.Err, len(f.calls))
	}
}

func TestSessionPrefersInvocationCredentialsAndRequestRegion(t *testing.T) {
	envCreds := Credentials{AccessKeyID: "LTAIenv", AccessKeySecret: "env-secret"}
	tests := []struct {
		name       string
		cfg        Config
		inv        Invocation
		payload    string
		wantRegion string
		wantKey    string
		wantCode   string
	}{
		{"invocation credentials first", Config{Credentials: envCreds}, Invocation{Region: "cn-shanghai", Credentials: roleCreds}, `{"InstanceId":"i-a1"}`, "cn-shanghai", "STS.role", ""},
		{"settings credentials without a role", Config{Credentials: envCreds}, Invocation{Region: "cn-shanghai"}, `{"InstanceId":"i-a1"}`, "cn-shanghai", "LTAIenv", ""},
		{"request region first", Config{Region: "cn-beijing"}, Invocation{Region: "cn-shanghai", Credentials: roleCreds}, `{"InstanceId":"i-a1","RegionId":"ap-southeast-1"}`, "ap-southeast-1", "STS.role", ""},
		{"setting before FC's region", Config{Region: "cn-beijing"}, Invocation{Region: "cn-shanghai", Credentials: roleCreds}, `{"InstanceId":"i-a1"}`, "cn-beijing", "STS.role", ""},
		{"FC_REGION last", Config{FCRegion: "cn-shenzhen"}, Invocation{Credentials: roleCreds}, `{"InstanceId":"i-a1"}`, "cn-shenzhen", "STS.role", ""},
		{"no region at all", Config{}, Invocation{Credentials: roleCreds}, `{"InstanceId":"i-a1"}`, "", "", "MissingParameter"},
		{"no credentials at all", Config{}, Invocation{Region: "cn-shanghai"}, `{"InstanceId":"i-a1"}`, "", "", "MissingCredentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeScaling{}
			h, _ := newTestHandler(tt.cfg, f)
			out := invoke(h, tt.inv, tt.payload)
			if tt.wantCode != "" {
				if out.Err == nil || out.Err.Code != tt.wantCode || len(f.sessions) != 0 {
					t.Errorf("Invoke = %v after %d calls, want %s and no call", out.Err, len(f.sessions), tt.wantCode)
				}
				return
			}
			if out.Err != nil || len(f.sessions) == 0 {
				t.Fatalf("Invoke = %v", out.Err)
			}
			if s := f.sessions[0]; s.Region != tt.wantRegion || s.Credentials.AccessKeyID != tt.wantKey {
				t.Errorf("session %s as %s, want %s as %s", s.Region, s.Credentials.AccessKeyID, tt.wantRegion, tt.wantKey)
			}
		})
	}
}

func TestInvalidInputMakesNoCall(t *testing.T) {
	for _, payload := range []string{`{"InstanceIds":["i-x y"]}`, `{}`, `not json`, `{"triggerName":"t","triggerTime":"2026-11-27T00:00:00Z","payload":""}`,
		`{"triggerName":"t","triggerTime":"x","payload":"{\"InstanceId\":\"i-a1\",\"Wait\":\"soon\"}"}`,
		`{"specversion":"1.0","source":"acs.ecs","type":"ecs:Instance:StateChange","data":{"resourceId":"i-bad id","state":"Stopped"}}`,
		`{"specversion":"1.0","source":"acs.cms","type":"cms:CloudMonitor:AlertWebHook","data":{"alertState":"ALERT","dimensions":"{userId=1}"}}`} {
		f := &fakeScaling{}
		h, _ := newTestHandler(Config{}, f)
		out := invoke(h, Invocation{Region: "cn-hangzhou", Credentials: roleCreds}, payload)
		if out.Err == nil || out.Err.Kind != Invalid || out.Status != 400 || len(f.lookups)+len(f.calls) != 0 {
			t.Errorf("Invoke(%s) = %v (status %d) after %d calls, want 400 and no call", payload, out.Err, out.Status, len(f.lookups)+len(f.calls))
		}
	}
}

func TestAutoScalingErrorsPassThrough(t *testing.T) {
	f := &fakeScaling{enterErr: &Error{Kind: Conflict, Code: "IncorrectInstanceStatus", Message: "The current status of the instance does not support this action.", Cause: errors.New("EnterStandby: HTTP 400")}}
	h, logs := newTestHandler(Config{ScalingGroupID: "asg-a"}, f)
	out := invoke(h, Invocation{RequestID: "fc-req-1", Region: "cn-hangzhou", Credentials: roleCreds}, `{"InstanceId":"i-a1"}`)
	if out.Err == nil || out.Status != 409 || out.Err.Code != "IncorrectInstanceStatus" || len(f.calls) != 1 {
		t.Fatalf("Invoke = %v (status %d) after %d calls, want 409 IncorrectInstanceStatus after 1", out.Err, out.Status, len(f.calls))
	}
	want := `{"Code":"IncorrectInstanceStatus","Message":"The current status of the instance does not support this action.","RequestId":"fc-req-1",` +
		`"Instances":[{"InstanceId":"i-a1","ScalingGroupId":"asg-a","LifecycleState":"InService","Result":"Failed","Reason":"IncorrectInstanceStatus: The current status of the instance does not support this action."}]}`
	if string(out.Body) != want {
		t.Errorf("body %s\nwant %s", out.Body, want)
	}
	if !strings.Contains(logs.String(), `"cause":"EnterStandby: HTTP 400"`) || !strings.Contains(logs.String(), `"level":"WARN"`) {
		t.Errorf("log %s lacks the cause at WARN", logs.String())
	}
}

func TestUnclassifiedErrorRevealsNothing(t *testing.T) {
	f := &fakeScaling{enterErr: errors.New("dial tcp 10.0.0.1:443: secret internals")}
	h, _ := newTestHandler(Config{ScalingGroupID: "asg-a"}, f)
	out := invoke(h, Invocation{Region: "cn-hangzhou", Credentials: roleCreds}, `{"InstanceId":"i-a1"}`)
	if out.Status != 500 || out.Err.Code != "InternalError" || strings.Contains(string(out.Body), "secret") {
		t.Errorf("Invoke = %d %s, want 500 InternalError revealing nothing", out.Status, out.Body)
	}
}

func TestCredentialsNeverPrint(t *testing.T) {
	c := Credentials{AccessKeyID: "STS.id", AccessKeySecret: "s3cr3t", SecurityToken: "t0k3n"}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "creds", c, "inv", Invocation{Credentials: c})
	for _, text := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%+v", Invocation{Credentials: c}), logs.String()} {
		if strings.Contains(text, "s3cr3t") || strings.Contains(text, "t0k3n") {
			t.Errorf("%q shows a credential", text)
		}
	}
}

func TestDryRunPlansAndChangesNothing(t *testing.T) {
	for _, tt := range []struct {
		name    string
		cfg     Config
		payload string
	}{
		{"request asks", Config{}, `{"InstanceIds":["i-a1","i-b1"],"DryRun":true}`},
		{"setting asks", Config{DryRun: true}, `{"InstanceIds":["i-a1","i-b1"]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeScaling{}
			h, _ := newTestHandler(tt.cfg, f)
			out := invoke(h, Invocation{Region: "cn-hangzhou", Credentials: roleCreds}, tt.payload)
			var got Answer
			if err := json.Unmarshal(out.Body, &got); err != nil || out.Err != nil {
				t.Fatalf("dry run = %s, %v", out.Body, out.Err)
			}
			if !got.DryRun || len(got.Planned) != 2 || got.Planned[0].ScalingGroupID != "asg-a" || got.Planned[1].ScalingGroupID != "asg-b" ||
				got.Planned[0].ClientToken == got.Planned[1].ClientToken || got.Instances[0].Result != "Planned" || fmt.Sprint(got.InstanceIDs) != "[i-a1 i-b1]" {
				t.Errorf("dry run = %s; want two planned calls, one per group, with their own tokens", out.Body)
			}
			if len(f.calls) != 0 || len(f.lookups) != 1 {
				t.Errorf("dry run made %d Standby calls and %d lookups, want 0 and 1", len(f.calls), len(f.lookups))
			}
		})
	}
}

func TestAuthToken(t *testing.T) {
	const token = "0123456789abcdef0123"
	body := []byte(`{"ScalingGroupId":"asg-a","InstanceIds":["i-a1"]}`)
	tests := []struct {
		name       string
		headers    map[string]string
		query      string
		wantStatus int
	}{
		{"bearer", map[string]string{"authorization": "Bearer " + token}, "", 200},
		{"bearer, any case", map[string]string{"Authorization": "bearer " + token}, "", 200},
		{"query, removed before decoding", nil, "token=" + token, 200},
		{"query beside API parameters", nil, "token=" + token + "&InstanceId.1=i-a1", 400}, // a body and query parameters
		{"none", nil, "", 401},
		{"wrong", map[string]string{"Authorization": "Bearer " + token + "x"}, "", 401},
		{"prefix only", nil, "token=" + token[:10], 401},
		{"FC's own signature is not a token", map[string]string{"Authorization": "ACS3-HMAC-SHA256 Credential=x"}, "", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeScaling{}
			h, logs := newTestHandler(Config{AuthToken: token}, f)
			q, _ := url.ParseQuery(tt.query)
			headers := map[string]string{"Content-Type": "application/json"}
			for k, v := range tt.headers {
				headers[k] = v
			}
			out := h.InvokeHTTP(context.Background(), Invocation{Region: "cn-hangzhou", Credentials: roleCreds}, HTTPRequest{Method: "POST", Headers: headers, Query: q, Body: body})
			if out.Status != tt.wantStatus {
				t.Errorf("status %d %s, want %d", out.Status, out.Body, tt.wantStatus)
			}
			if tt.wantStatus == 401 && (len(f.calls)+len(f.lookups) != 0 || !strings.Contains(string(out.Body), `"Code":"Unauthorized"`)) {
				t.Errorf("refused request made %d calls, answered %s", len(f.calls)+len(f.lookups), out.Body)
			}
			if strings.Contains(logs.String(), token[:10]) {
				t.Errorf("the log shows the token: %s", logs.String())
			}
		})
	}
}
