package ess_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"ess-standby/handler/ess"
	"ess-standby/handler/essemu"
	"ess-standby/handler/standby"
)

var stsKey = essemu.Key{ID: "STS.NTestAccessKeyId0001", Secret: "test-secret/with+chars=", Token: "CAIS-test+token/with=chars"}

func session() standby.Session {
	return standby.Session{Region: essemu.SampleRegion, Credentials: standby.Credentials{
		AccessKeyID: stsKey.ID, AccessKeySecret: stsKey.Secret, SecurityToken: stsKey.Token}}
}

func newClient(t *testing.T) (*ess.Client, *essemu.Server) {
	t.Helper()
	emu := essemu.NewServer([]essemu.Key{stsKey}, essemu.SampleFleet()...)
	t.Cleanup(emu.Close)
	u, err := url.Parse(emu.URL)
	if err != nil {
		t.Fatal(err)
	}
	return ess.New(ess.Config{Endpoint: u, ECSEndpoint: u, ECIEndpoint: u}), emu
}

func TestEnterStandbySignsWithTheSessionToken(t *testing.T) {
	c, emu := newClient(t)
	call := standby.Call{Action: standby.EnterStandby, ScalingGroupID: essemu.WebGroup, InstanceIDs: []string{"i-bp1ecr7go2go9kq3m1a", "i-bp1ecr7go2go9kq3m1b"}, ClientToken: "tok 1*~", Async: true}
	a, err := c.Standby(context.Background(), session(), call)
	if err != nil {
		t.Fatalf("EnterStandby: %v", err)
	}
	if !strings.HasPrefix(a.ScalingActivityID, "asa-") || a.RequestID == "" || a.ScalingGroupID != essemu.WebGroup {
		t.Errorf("EnterStandby = %+v, want an activity of %s", a, essemu.WebGroup)
	}
	calls := emu.Calls()
	if len(calls) != 1 {
		t.Fatalf("emulator saw %d calls, want 1", len(calls))
	}
	got := calls[0]
	if !got.SignatureOK || got.SecurityToken != stsKey.Token || got.Status != 200 {
		t.Errorf("call = %+v, want a verified signature with the session's token", got)
	}
	want := url.Values{"RegionId": {"cn-hangzhou"}, "ScalingGroupId": {essemu.WebGroup}, "InstanceId.1": {"i-bp1ecr7go2go9kq3m1a"},
		"InstanceId.2": {"i-bp1ecr7go2go9kq3m1b"}, "ClientToken": {"tok 1*~"}, "Async": {"true"}}
	if got.Params.Encode() != want.Encode() {
		t.Errorf("params = %s, want %s", got.Params.Encode(), want.Encode())
	}
	for _, id := range call.InstanceIDs {
		if in, _ := emu.Instance(id); in.LifecycleState != essemu.Standby || in.Weight != 0 {
			t.Errorf("%s = %+v, want Standby with weight 0", id, in)
		}
	}
}

func TestScalingInstancesLooksUpGroups(t *testing.T) {
	c, _ := newClient(t)
	got, err := c.ScalingInstances(context.Background(), session(), "", []string{"i-bp1ecr7go2go9kq3m1a", "i-bp1hh2ka9xr7wq4t5n0b", "i-nosuchinstance0000"})
	if err != nil {
		t.Fatal(err)
	}
	want := []standby.ScalingInstance{
		{InstanceID: "i-bp1ecr7go2go9kq3m1a", ScalingGroupID: essemu.WebGroup, LifecycleState: essemu.InService},
		{InstanceID: "i-bp1hh2ka9xr7wq4t5n0b", ScalingGroupID: essemu.APIGroup, LifecycleState: essemu.InService},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("ScalingInstances = %+v, want %+v", got, want)
	}
}

// Every ESS error code the handler may meet, and the kind it is.
func TestErrorCodesMapToKinds(t *testing.T) {
	tests := []struct {
		httpStatus int
		code       string
		wantKind   standby.Kind
	}{
		{400, "InvalidParameter", standby.Invalid},
		{400, "MissingParameter", standby.Invalid},
		{400, "UnsupportedOperation", standby.Invalid},
		{403, "Forbidden.Unauthorized", standby.Forbidden},
		{403, "Forbidden", standby.Forbidden},
		{403, "Forbidden.RiskControl", standby.Forbidden},
		{403, "Forbidden.Unsubscribed", standby.Forbidden},
		{403, "SignatureDoesNotMatch", standby.Forbidden},
		{400, "InvalidAccessKeyId.NotFound", standby.Forbidden},
		{400, "InvalidSecurityToken.Expired", standby.Forbidden},
		{400, "MissingSecurityToken", standby.Forbidden},
		{404, "InvalidInstanceId.NotFound", standby.NotFound},
		{404, "InvalidScalingGroupId.NotFound", standby.NotFound},
		{400, "IncorrectScalingGroupStatus", standby.Conflict},
		{400, "IncorrectInstanceStatus", standby.Conflict},
		{400, "ScalingActivityInProgress", standby.Conflict},
		{400, "OperationDenied", standby.Conflict},
		{400, "IdempotentParameterMismatch", standby.Conflict},
		{400, "Throttling", standby.Throttled},
		{400, "Throttling.User", standby.Throttled},
		{400, "Throttling.Api", standby.Throttled},
		{500, "InternalError", standby.Unavailable},
		{503, "ServiceUnavailable", standby.Unavailable},
		{400, "InvalidTimeStamp.Expired", standby.Internal},
		{400, "SignatureNonceUsed", standby.Internal},
		{404, "InvalidApi.NotFound", standby.NotFound},
		{502, "SomethingNew", standby.Unavailable},
		{400, "SomethingNew", standby.Invalid},
	}
	c, emu := newClient(t)
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			emu.Reset()
			emu.Fail("EnterStandby", 1, tt.httpStatus, tt.code, "injected "+tt.code)
			_, err := c.Standby(context.Background(), session(), standby.Call{ScalingGroupID: essemu.WebGroup, InstanceIDs: []string{"i-bp1ecr7go2go9kq3m1a"}})
			var e *standby.Error
			if !errors.As(err, &e) {
				t.Fatalf("EnterStandby error = %v, want *standby.Error", err)
			}
			if e.Code != tt.code || e.Kind != tt.wantKind {
				t.Errorf("EnterStandby error = %s (kind %d), want code %s, kind %d", e.Code, e.Kind, tt.code, tt.wantKind)
			}
		})
	}
}

func TestBadSecretIsForbiddenWithoutQuotingTheToken(t *testing.T) {
	c, emu := newClient(t)
	s := session()
	s.Credentials.AccessKeySecret = "wrong"
	_, err := c.Standby(context.Background(), s, standby.Call{ScalingGroupID: essemu.WebGroup, InstanceIDs: []string{"i-bp1ecr7go2go9kq3m1a"}})
	var e *standby.Error
	if !errors.As(err, &e) || e.Code != "SignatureDoesNotMatch" || e.Kind != standby.Forbidden {
		t.Fatalf("EnterStandby with a wrong secret = %v, want Forbidden SignatureDoesNotMatch", err)
	}
	for _, text := range []string{e.Message, e.Cause.Error()} {
		if strings.Contains(text, "CAIS") || strings.Contains(text, stsKey.ID) {
			t.Errorf("error text %q quotes a credential", text)
		}
	}
	if calls := emu.Calls(); len(calls) != 1 || calls[0].SignatureOK {
		t.Errorf("calls = %+v, want one call with a failed signature", calls)
	}
}

func TestUnreachableAndOutOfTime(t *testing.T) {
	c, emu := newClient(t)
	emu.Close() // nothing listens there any more
	_, err := c.Standby(context.Background(), session(), standby.Call{ScalingGroupID: essemu.WebGroup, InstanceIDs: []string{"i-bp1ecr7go2go9kq3m1a"}})
	var e *standby.Error
	if !errors.As(err, &e) || e.Code != "ServiceUnavailable" || e.Kind != standby.Unavailable {
		t.Fatalf("EnterStandby to a closed port = %v, want 502 ServiceUnavailable", err)
	}
	if strings.Contains(e.Cause.Error(), "SecurityToken") || strings.Contains(e.Cause.Error(), "CAIS") {
		t.Errorf("cause %q quotes the signed URL", e.Cause)
	}

	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(100*time.Millisecond))
	defer cancel()
	_, err = c.Standby(ctx, session(), standby.Call{ScalingGroupID: essemu.WebGroup, InstanceIDs: []string{"i-bp1ecr7go2go9kq3m1a"}})
	if !errors.As(err, &e) || e.Code != "Timeout" || e.Kind != standby.Timeout {
		t.Fatalf("EnterStandby with no time left = %v, want 504 Timeout", err)
	}
}

// The SDK panics on an error body whose fields are not strings, and cannot
// read one that is not JSON; neither may take the function down.
func TestOddErrorBodiesAreUnavailable(t *testing.T) {
	for _, body := range []string{`{"Code":123,"Message":"x","RequestId":"r"}`, `not json at all`, `<Error><Code>Throttling</Code></Error>`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, body)
		}))
		u, _ := url.Parse(srv.URL)
		_, err := ess.New(ess.Config{Endpoint: u, ECSEndpoint: u, ECIEndpoint: u}).Standby(context.Background(), session(), standby.Call{ScalingGroupID: essemu.WebGroup, InstanceIDs: []string{"i-bp1ecr7go2go9kq3m1a"}})
		srv.Close()
		var e *standby.Error
		if !errors.As(err, &e) || e.Code != "ServiceUnavailable" || e.Kind != standby.Unavailable {
			t.Errorf("error body %q: got %v, want 502 ServiceUnavailable", body, err)
		}
	}
}

// An answer is read up to 1 MiB, error or not: an endless one is cut off,
// and the call fails as Auto Scaling failing.
func TestAnswersAreReadUpToAMiB(t *testing.T) {
	for _, status := range []int{200, 500} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			io.WriteString(w, `{"Code":"InternalError","Message":"`)
			chunk := strings.Repeat("x", 64<<10)
			for range 64 { // 4 MiB, unless the client stops reading
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
			}
			io.WriteString(w, `"}`)
		}))
		u, _ := url.Parse(srv.URL)
		_, err := ess.New(ess.Config{Endpoint: u, ECSEndpoint: u, ECIEndpoint: u}).Standby(context.Background(), session(), standby.Call{ScalingGroupID: essemu.WebGroup, InstanceIDs: []string{"i-bp1ecr7go2go9kq3m1a"}})
		srv.CloseClientConnections()
		srv.Close()
		var e *standby.Error
		if !errors.As(err, &e) || e.Code != "ServiceUnavailable" || !strings.Contains(e.Message, "too large") {
			t.Errorf("a 4 MiB answer with status %d: got %v, want ServiceUnavailable, too large", status, err)
		}
	}
}

func TestExitStandbyCountsAndActivityStatuses(t *testing.T) {
	c, emu := newClient(t)
	ctx := context.Background()
	const id = "i-bp1ecr7go2go9kq3m1e" // in Standby in the sample fleet
	a, err := c.Standby(ctx, session(), standby.Call{Action: standby.ExitStandby, ScalingGroupID: essemu.WebGroup, InstanceIDs: []string{id}, Async: true})
	if err != nil {
		t.Fatal(err)
	}
	if in, _ := emu.Instance(id); in.LifecycleState != essemu.InService || in.Weight != 50 {
		t.Errorf("after ExitStandby %+v, want InService with weight 50", in)
	}
	if calls := emu.Calls(); calls[len(calls)-1].Action != "ExitStandby" {
		t.Errorf("last call %s, want ExitStandby", calls[len(calls)-1].Action)
	}
	first, err := c.ActivityStatuses(ctx, session(), []string{a.ScalingActivityID})
	if err != nil || len(first) != 1 || first[0].StatusCode != "InProgress" {
		t.Fatalf("ActivityStatuses = %+v, %v; want the async activity InProgress", first, err)
	}
	if then, _ := c.ActivityStatuses(ctx, session(), []string{a.ScalingActivityID}); then[0].StatusCode != "Successful" {
		t.Errorf("then %+v, want Successful", then)
	}
	for _, tt := range []struct {
		state string
		want  int
	}{{"", 6}, {essemu.InService, 5}, {essemu.Pending, 1}} {
		if n, err := c.CountInstances(ctx, session(), essemu.WebGroup, tt.state); err != nil || n != tt.want {
			t.Errorf("CountInstances(%q) = %d, %v; want %d", tt.state, n, err, tt.want)
		}
	}
}

// A stalled call times out on its own limit, not the invocation's, and the
// handler's retry gets through: the same token, one activity.
func TestStalledCallTimesOutAlone(t *testing.T) {
	emu := essemu.NewServer([]essemu.Key{stsKey}, essemu.SampleFleet()...)
	defer emu.Close()
	u, _ := url.Parse(emu.URL)
	c := ess.New(ess.Config{Endpoint: u, CallTimeout: 200 * time.Millisecond})
	defer c.Close()
	emu.Inject(essemu.Fault{Action: "EnterStandby", Times: 1, Delay: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	call := standby.Call{Action: standby.EnterStandby, ScalingGroupID: essemu.WebGroup, InstanceIDs: []string{"i-bp1ecr7go2go9kq3m1a"}, ClientToken: "stalled-1"}
	start := time.Now()
	_, err := c.Standby(ctx, session(), call)
	var e *standby.Error
	if !errors.As(err, &e) || e.Code != "Timeout" || time.Since(start) > 900*time.Millisecond {
		t.Fatalf("a stalled call answered %v after %v, want Timeout after its 200 ms", err, time.Since(start))
	}
	if _, err := c.Standby(ctx, session(), call); err != nil {
		t.Fatalf("the retry: %v", err)
	}
	if n := len(emu.Activities()); n != 1 {
		t.Errorf("%d activities after a timed-out call and its retry with the same token, want 1", n)
	}
}

// A success answer this package cannot read is a 502, whichever call it
// answers: the fields read must be there with their types.
func TestUnreadableAnswersAreUnavailable(t *testing.T) {
	ids := []string{"i-bp1ecr7go2go9kq3m1a"}
	calls := map[string]func(*ess.Client) error{
		"ScalingInstances": func(c *ess.Client) error {
			_, err := c.ScalingInstances(context.Background(), session(), essemu.WebGroup, ids)
			return err
		},
		"Standby": func(c *ess.Client) error {
			_, err := c.Standby(context.Background(), session(), standby.Call{ScalingGroupID: essemu.WebGroup, InstanceIDs: ids})
			return err
		},
		"ActivityStatuses": func(c *ess.Client) error {
			_, err := c.ActivityStatuses(context.Background(), session(), []string{"asa-bp1c9djwrgxjyk31j2ce"})
			return err
		},
	}
	for _, body := range []string{`not json`, `{"ScalingActivityId":7,"TotalCount":"x","ScalingInstances":[],"ScalingActivities":{"ScalingActivity":{}}}`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, body) }))
		u, _ := url.Parse(srv.URL)
		for name, call := range calls {
			var e *standby.Error
			if err := call(ess.New(ess.Config{Endpoint: u, ECSEndpoint: u, ECIEndpoint: u})); !errors.As(err, &e) || e.Code != "ServiceUnavailable" || e.Kind != standby.Unavailable {
				t.Errorf("%s answered %q: got %v, want 502 ServiceUnavailable", name, body, err)
			}
		}
		srv.Close()
	}
}

// What an answer does not say is not zero: a count without TotalCount is
// an error, and so no decision is made on it.
func TestACountWithoutTotalCountIsAnError(t *testing.T) {
	c, emu := newClient(t)
	emu.Inject(essemu.Fault{Action: "DescribeScalingInstances", Times: 1, Answer: map[string]any{"ScalingInstances": map[string]any{"ScalingInstance": []any{}}}})
	n, err := c.CountInstances(context.Background(), session(), essemu.WebGroup, "InService")
	if e := standby.AsError(err); err == nil || e.Code != "ServiceUnavailable" || !standby.Retryable(err) {
		t.Errorf("CountInstances = %d, %v; want a ServiceUnavailable error, which may be retried", n, err)
	}
	if n, err := c.CountInstances(context.Background(), session(), essemu.WebGroup, "InService"); err != nil || n != 4 {
		t.Errorf("with the count given: %d, %v; want 4", n, err)
	}
}

// A list whose answer does not say how long it is, or says it is longer
// than its pages ever get, is an error: a sweep judges nothing from it.
func TestAListMustEnd(t *testing.T) {
	c, emu := newClient(t)
	emu.Inject(essemu.Fault{Action: "DescribeScalingInstances", Times: 1, Answer: map[string]any{"ScalingInstances": map[string]any{"ScalingInstance": []any{}}}})
	if ids, err := c.InstancesIn(context.Background(), session(), essemu.WebGroup, "Standby"); err == nil || standby.AsError(err).Code != "ServiceUnavailable" {
		t.Errorf("without TotalCount: %v, %v", ids, err)
	}
	page := []any{map[string]any{"InstanceId": "i-bp1ecr7go2go9kq3m1e", "ScalingGroupId": essemu.WebGroup, "LifecycleState": "Standby"}}
	emu.Inject(essemu.Fault{Action: "DescribeScalingInstances", Answer: map[string]any{"TotalCount": 1 << 20, "ScalingInstances": map[string]any{"ScalingInstance": page}}})
	if ids, err := c.InstancesIn(context.Background(), session(), essemu.WebGroup, "Standby"); err == nil || standby.AsError(err).Code != "ServiceUnavailable" {
		t.Errorf("a list that never ends: %v, %v", ids, err)
	}
	emu.ClearFaults()
	if ids, err := c.InstancesIn(context.Background(), session(), essemu.WebGroup, "Standby"); err != nil || len(ids) != 1 {
		t.Errorf("the sample group's Standby instances: %v, %v", ids, err)
	}
}

// Reads take one page, whatever TotalCount claims: a request for at most
// 20 IDs is all on it, and a count is its TotalCount.
func TestReadsTakeOnePage(t *testing.T) {
	c, emu := newClient(t)
	var page []any
	for i := range 50 {
		page = append(page, map[string]any{"InstanceId": fmt.Sprintf("i-bp1huge%05d", i), "ScalingGroupId": essemu.WebGroup, "LifecycleState": "InService"})
	}
	emu.Inject(essemu.Fault{Action: "DescribeScalingInstances", Answer: map[string]any{"TotalCount": 1 << 30, "PageSize": 50, "PageNumber": 1,
		"ScalingInstances": map[string]any{"ScalingInstance": page}}})
	if _, err := c.ScalingInstances(context.Background(), session(), "", []string{"i-bp1huge00000", "i-bp1huge00001"}); err != nil {
		t.Fatal(err)
	}
	if n, err := c.CountInstances(context.Background(), session(), essemu.WebGroup, ""); err != nil || n != 1<<30 {
		t.Fatalf("CountInstances = %d, %v", n, err)
	}
	if n := len(emu.Calls()); n != 2 {
		t.Errorf("%d calls for a lookup and a count, want 2: one page each", n)
	}
}

// A Standby call answered without an activity is answered so: the core,
// which takes nothing as done that Auto Scaling did not confirm, decides.
func TestStandbyWithoutAnActivity(t *testing.T) {
	c, emu := newClient(t)
	emu.Inject(essemu.Fault{Action: "EnterStandby", Times: 1, Answer: map[string]any{}})
	a, err := c.Standby(context.Background(), session(), standby.Call{Action: standby.EnterStandby, ScalingGroupID: essemu.WebGroup, InstanceIDs: []string{"i-bp1ecr7go2go9kq3m1a"}})
	if err != nil || a.ScalingActivityID != "" {
		t.Errorf("Standby = %+v, %v; want no activity, and no error of its own", a, err)
	}
	if in, _ := emu.Instance("i-bp1ecr7go2go9kq3m1a"); in.LifecycleState != essemu.InService {
		t.Errorf("the instance is %s", in.LifecycleState)
	}
}

// The ECS endpoints this package maps are the SDK's own ECS package's, for
// every region it maps but its internal and financial ones (the package
// is not built in: the test reads its map).
func TestECSEndpointsAreTheSDKs(t *testing.T) {
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aliyun/alibaba-cloud-sdk-go").Output()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(dir)), "services", "ecs", "endpoint.go"))
	if err != nil {
		t.Fatal(err)
	}
	public := regexp.MustCompile(`^[a-z]{2}-[a-z]+(-[0-9])?$`) // cn-hangzhou, ap-southeast-1; not cn-hangzhou-finance, cn-shanghai-internal-test-1
	sdkMap := map[string]string{}
	for _, m := range regexp.MustCompile(`"([a-z0-9-]+)":\s+"([a-z0-9.-]+)"`).FindAllStringSubmatch(string(src), -1) {
		if public.MatchString(m[1]) && !strings.HasSuffix(m[1], "-inner") {
			sdkMap[m[1]] = m[2]
		}
	}
	if len(sdkMap) == 0 || !maps.Equal(sdkMap, ess.ECSEndpoints()) {
		t.Errorf("the SDK maps the public regions %v; this package %v", sdkMap, ess.ECSEndpoints())
	}
}

// The tags go to ECS's endpoint under ECS's version, signed with the
// session's token; Auto Scaling's calls go to Auto Scaling's.
func TestTagsGoToECS(t *testing.T) {
	essEmu := essemu.NewServer([]essemu.Key{stsKey}, essemu.SampleFleet()...)
	ecsEmu := essemu.NewServer([]essemu.Key{stsKey}, essemu.SampleFleet()...)
	t.Cleanup(essEmu.Close)
	t.Cleanup(ecsEmu.Close)
	essURL, _ := url.Parse(essEmu.URL)
	ecsURL, _ := url.Parse(ecsEmu.URL)
	c := ess.New(ess.Config{Endpoint: essURL, ECSEndpoint: ecsURL})
	defer c.Close()
	ids := []string{"i-bp1ecr7go2go9kq3m1a"}
	if err := c.TagInstances(context.Background(), session(), ids, standby.Tags{"ess-standby:rule": "cpu-high", "ess-standby:note": ""}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ScalingInstances(context.Background(), session(), essemu.WebGroup, ids); err != nil {
		t.Fatal(err)
	}
	ecsCalls, essCalls := ecsEmu.Calls(), essEmu.Calls()
	// The emulator answers an ECS action under Auto Scaling's version with
	// NoSuchVersion: its 200 says the version was ECS's.
	if len(ecsCalls) != 1 || ecsCalls[0].Action != "TagResources" || !ecsCalls[0].SignatureOK || ecsCalls[0].SecurityToken != stsKey.Token ||
		ecsCalls[0].Status != 200 || ecsCalls[0].Params.Get("ResourceType") != "instance" {
		t.Errorf("ECS received %+v", ecsCalls)
	}
	if len(essCalls) != 1 || essCalls[0].Action != "DescribeScalingInstances" {
		t.Errorf("Auto Scaling received %+v", essCalls)
	}
	if got := ecsEmu.Tags(ids[0]); !maps.Equal(got, map[string]string{"ess-standby:rule": "cpu-high", "ess-standby:note": ""}) {
		t.Errorf("tags %v", got)
	}
}

// A status answer must account for what it lists: without TotalCount, with
// more counted than listed, or listing an instance not asked for, it is
// no answer, and no instance is judged Running from it.
func TestStatusesMustAddUp(t *testing.T) {
	c, emu := newClient(t)
	ids := []string{"i-bp1ecr7go2go9kq3m1a"}
	running := []any{map[string]any{"InstanceId": ids[0], "Status": "Running"}}
	for name, answer := range map[string]map[string]any{
		"no TotalCount":         {"InstanceStatuses": map[string]any{"InstanceStatus": running}},
		"more counted":          {"TotalCount": 2, "InstanceStatuses": map[string]any{"InstanceStatus": running}},
		"another instance":      {"TotalCount": 1, "InstanceStatuses": map[string]any{"InstanceStatus": []any{map[string]any{"InstanceId": "i-other", "Status": "Running"}}}},
		"a status that is none": {"TotalCount": 1, "InstanceStatuses": map[string]any{"InstanceStatus": []any{map[string]any{"InstanceId": ids[0]}}}},
	} {
		emu.Inject(essemu.Fault{Action: "DescribeInstanceStatus", Times: 1, Answer: answer})
		if got, err := c.InstanceStatuses(context.Background(), session(), ids); err == nil || standby.AsError(err).Code != "ServiceUnavailable" {
			t.Errorf("%s: %v, %v; want ServiceUnavailable", name, got, err)
		}
	}
	emu.SetStatus(ids[0], "Stopped")
	if got, err := c.InstanceStatuses(context.Background(), session(), ids); err != nil || got[ids[0]] != "Stopped" {
		t.Errorf("the emulator's answer: %v, %v", got, err)
	}
}

// The drill's simulated event goes to ECS, signed, and is answered with an
// ID per instance; an answer without them is no schedule. ECS refuses an
// event type it does not simulate and an instance it does not know.
func TestSimulateEvent(t *testing.T) {
	c, emu := newClient(t)
	ids := []string{"i-bp1ecr7go2go9kq3m1a"}
	notBefore := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	got, err := c.SimulateEvent(context.Background(), session(), "SystemMaintenance.Reboot", ids, notBefore)
	if sim := emu.Simulated(); err != nil || len(got) != 1 || len(sim) != 1 || sim[0].EventID != got[0] || !sim[0].NotBefore.Equal(notBefore) {
		t.Errorf("SimulateEvent = %v, %v; scheduled %+v", got, err, sim)
	}
	for name, call := range map[string]func() ([]string, error){
		"an event type ECS does not simulate": func() ([]string, error) {
			return c.SimulateEvent(context.Background(), session(), "SystemMaintenance.Stop", ids, notBefore)
		},
		"an instance ECS does not know": func() ([]string, error) {
			return c.SimulateEvent(context.Background(), session(), "SystemMaintenance.Reboot", []string{"i-nowhere"}, notBefore)
		},
	} {
		if _, err := call(); err == nil || standby.Retryable(err) {
			t.Errorf("%s: %v; want a final refusal", name, err)
		}
	}
	emu.Inject(essemu.Fault{Action: "CreateSimulatedSystemEvents", Times: 1, Answer: map[string]any{"EventIdSet": map[string]any{"EventId": []any{}}}})
	if got, err := c.SimulateEvent(context.Background(), session(), "SystemMaintenance.Reboot", ids, notBefore); err == nil || standby.AsError(err).Code != "ServiceUnavailable" {
		t.Errorf("an answer without IDs: %v, %v", got, err)
	}
}
