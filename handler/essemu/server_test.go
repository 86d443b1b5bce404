package essemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"
)

// The signature example of the ESS documentation (Signatures.md).
func TestSignatureMatchesDocumentedVector(t *testing.T) {
	params := url.Values{
		"AccessKeyId": {"testid"}, "Action": {"DescribeScalingGroups"}, "Format": {"xml"}, "RegionId": {"cn-qingdao"},
		"SignatureMethod": {"HMAC-SHA1"}, "SignatureNonce": {"1324fd0e-e2bb-4bb1-917c-bd6e437f1710"},
		"SignatureVersion": {"1.0"}, "TimeStamp": {"2014-08-15T11:10:07Z"}, "Version": {"2014-08-28"},
	}
	if got, want := sign(stringToSign("GET", params), "testsecret"), "SmhZuLUnXmqxSEZ/GqyiwGqmf+M="; got != want {
		t.Errorf("signature = %s, want %s", got, want)
	}
}

var testKey = Key{ID: "STS.TestKey", Secret: "secret/+=", Token: "CAIS+token/="}

// rawClient signs requests the way the RPC protocol says, so tests can send
// what the SDK never would: bad signatures, old timestamps, reused nonces.
type rawClient struct {
	t     *testing.T
	s     *Server
	nonce int
}

func newRaw(t *testing.T, groups ...Group) *rawClient {
	t.Helper()
	if groups == nil {
		groups = SampleFleet()
	}
	s := NewServer([]Key{testKey}, groups...)
	t.Cleanup(s.Close)
	return &rawClient{t: t, s: s}
}

// call sends action with params, under the version of Auto Scaling's or
// ECS's API that serves it, after mutate may spoil the signed request.
func (c *rawClient) call(action string, params url.Values, mutate func(url.Values)) (int, map[string]any) {
	c.t.Helper()
	return c.callAt(action, version(action), params, mutate)
}

// callAt is call under apiVersion: ECI's, for its tag actions.
func (c *rawClient) callAt(action, apiVersion string, params url.Values, mutate func(url.Values)) (int, map[string]any) {
	c.t.Helper()
	c.nonce++
	all := url.Values{
		"Action": {action}, "Version": {apiVersion}, "Format": {"JSON"}, "AccessKeyId": {testKey.ID},
		"SecurityToken": {testKey.Token}, "SignatureMethod": {"HMAC-SHA1"}, "SignatureVersion": {"1.0"}, "SignatureType": {""},
		"SignatureNonce": {strconv.Itoa(c.nonce)}, "Timestamp": {time.Now().UTC().Format("2006-01-02T15:04:05Z")},
		"RegionId": {SampleRegion},
	}
	for k, v := range params {
		all[k] = v
	}
	all.Set("Signature", sign(stringToSign("POST", all), testKey.Secret))
	if mutate != nil {
		mutate(all)
	}
	resp, err := http.Post(c.s.URL+"/?"+all.Encode(), "application/x-www-form-urlencoded", nil)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		c.t.Fatalf("%s: body is not JSON: %v", action, err)
	}
	for _, k := range []string{"Code", "Message", "RequestId", "HostId"} {
		if v, ok := body[k]; ok {
			if _, isString := v.(string); !isString {
				c.t.Errorf("%s: %s is %T; the SDK panics on non-string error fields", action, k, v)
			}
		}
	}
	return resp.StatusCode, body
}

func enter(ids ...string) url.Values {
	v := url.Values{"ScalingGroupId": {WebGroup}}
	for i, id := range ids {
		v.Set(fmt.Sprintf("InstanceId.%d", i+1), id)
	}
	return v
}

func TestAuthenticationFailures(t *testing.T) {
	tests := []struct {
		name       string
		mutate     func(url.Values)
		wantStatus int
		wantCode   string
		signedOK   bool
	}{
		{"wrong secret", func(v url.Values) { v.Set("Signature", sign(stringToSign("POST", v), "wrong")) }, 403, "SignatureDoesNotMatch", false},
		{"tampered parameter", func(v url.Values) { v.Set("InstanceId.1", "i-bp1ecr7go2go9kq3m1b") }, 403, "SignatureDoesNotMatch", false},
		{"unknown key", func(v url.Values) { v.Set("AccessKeyId", "LTAInobody") }, 400, "InvalidAccessKeyId.NotFound", false},
		{"no signature", func(v url.Values) { v.Del("Signature") }, 400, "IncompleteSignature", false},
		{"old timestamp", func(v url.Values) {
			v.Set("Timestamp", time.Now().Add(-20*time.Minute).UTC().Format("2006-01-02T15:04:05Z"))
			v.Set("Signature", sign(stringToSign("POST", v), testKey.Secret))
		}, 400, "InvalidTimeStamp.Expired", false},
		{"no security token", func(v url.Values) {
			v.Del("SecurityToken")
			v.Set("Signature", sign(stringToSign("POST", v), testKey.Secret))
		}, 400, "MissingSecurityToken", true},
		{"another security token", func(v url.Values) {
			v.Set("SecurityToken", "CAIS-other")
			v.Set("Signature", sign(stringToSign("POST", v), testKey.Secret))
		}, 400, "InvalidSecurityToken.MismatchWithAccessKey", true},
		{"wrong version", func(v url.Values) {
			v.Set("Version", "2022-02-22")
			v.Set("Signature", sign(stringToSign("POST", v), testKey.Secret))
		}, 400, "NoSuchVersion", false},
		{"ECS's version", func(v url.Values) {
			v.Set("Version", "2014-05-26")
			v.Set("Signature", sign(stringToSign("POST", v), testKey.Secret))
		}, 400, "NoSuchVersion", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newRaw(t)
			status, body := c.call("EnterStandby", enter("i-bp1ecr7go2go9kq3m1a"), tt.mutate)
			if status != tt.wantStatus || body["Code"] != tt.wantCode {
				t.Errorf("status %d %v, want %d %s", status, body["Code"], tt.wantStatus, tt.wantCode)
			}
			if calls := c.s.Calls(); len(calls) != 1 || calls[0].SignatureOK != tt.signedOK || calls[0].Code != tt.wantCode {
				t.Errorf("calls = %+v, want one with SignatureOK %t", calls, tt.signedOK)
			}
			if in, _ := c.s.Instance("i-bp1ecr7go2go9kq3m1a"); in.LifecycleState != InService {
				t.Errorf("a refused call changed the instance: %+v", in)
			}
		})
	}
}

func TestNonceCannotBeReplayed(t *testing.T) {
	c := newRaw(t)
	var replay url.Values
	c.call("DescribeScalingInstances", nil, func(v url.Values) { replay = v })
	resp, err := http.Post(c.s.URL+"/?"+replay.Encode(), "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if calls := c.s.Calls(); calls[1].Code != "SignatureNonceUsed" {
		t.Errorf("replayed request answered %q, want SignatureNonceUsed", calls[1].Code)
	}
}

// The documented semantics of Standby, end to end.
func TestStandbyLifecycle(t *testing.T) {
	c := newRaw(t)
	const id = "i-bp1ecr7go2go9kq3m1a"
	if status, body := c.call("EnterStandby", enter(id), nil); status != 200 || body["ScalingActivityId"] == "" {
		t.Fatalf("EnterStandby = %d %v", status, body)
	}
	if in, _ := c.s.Instance(id); in.LifecycleState != Standby || in.Weight != 0 {
		t.Fatalf("after EnterStandby %+v, want Standby with SLB weight 0", in)
	}
	if status, _ := c.call("ExitStandby", enter(id), nil); status != 200 {
		t.Fatalf("ExitStandby = %d", status)
	}
	if in, _ := c.s.Instance(id); in.LifecycleState != InService || in.Weight != 50 {
		t.Errorf("after ExitStandby %+v, want InService, weight 50 restored", in)
	}
}

func TestEnterStandbyRefusals(t *testing.T) {
	disabled := SampleFleet()
	disabled[0].Disabled = true
	var many []string
	for i := range 21 {
		many = append(many, fmt.Sprintf("i-bp1many%012d", i))
	}
	tests := []struct {
		name       string
		groups     []Group
		params     url.Values
		wantStatus int
		wantCode   string
	}{
		{"Pending instance", nil, enter("i-bp1ecr7go2go9kq3m1a", "i-bp1ecr7go2go9kq3m1f"), 400, "IncorrectInstanceStatus"},
		{"already in Standby", nil, enter("i-bp1ecr7go2go9kq3m1e"), 400, "IncorrectInstanceStatus"},
		{"instance of another group", nil, enter("i-bp1hh2ka9xr7wq4t5n0a"), 404, "InvalidInstanceId.NotFound"},
		{"unknown group", nil, url.Values{"ScalingGroupId": {"asg-nosuchgroup"}, "InstanceId.1": {"i-bp1ecr7go2go9kq3m1a"}}, 404, "InvalidScalingGroupId.NotFound"},
		{"group of another region", nil, url.Values{"RegionId": {"cn-beijing"}, "ScalingGroupId": {WebGroup}, "InstanceId.1": {"i-bp1ecr7go2go9kq3m1a"}}, 404, "InvalidScalingGroupId.NotFound"},
		{"disabled group", disabled, enter("i-bp1ecr7go2go9kq3m1a"), 400, "IncorrectScalingGroupStatus"},
		{"21 instances", nil, enter(many...), 400, "InvalidParameter"},
		{"no instances", nil, url.Values{"ScalingGroupId": {WebGroup}}, 400, "MissingParameter"},
		{"no group", nil, url.Values{"InstanceId.1": {"i-bp1ecr7go2go9kq3m1a"}}, 400, "MissingParameter"},
		{"Async test", nil, url.Values{"ScalingGroupId": {WebGroup}, "InstanceId.1": {"i-bp1ecr7go2go9kq3m1a"}, "Async": {"test"}}, 400, "InvalidParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newRaw(t, tt.groups...)
			before := c.s.Instances()
			status, body := c.call("EnterStandby", tt.params, nil)
			if status != tt.wantStatus || body["Code"] != tt.wantCode {
				t.Errorf("EnterStandby = %d %v, want %d %s", status, body["Code"], tt.wantStatus, tt.wantCode)
			}
			if after := c.s.Instances(); !slices.Equal(before, after) || len(c.s.Activities()) != 0 {
				t.Errorf("a refused EnterStandby changed state: %+v -> %+v", before, after)
			}
		})
	}
}

func TestClientTokenMakesEnterStandbyIdempotent(t *testing.T) {
	c := newRaw(t)
	params := enter("i-bp1ecr7go2go9kq3m1a")
	params.Set("ClientToken", "alarm-0e8d1c4a")
	_, first := c.call("EnterStandby", params, nil)
	_, again := c.call("EnterStandby", params, nil)
	if first["ScalingActivityId"] == nil || again["ScalingActivityId"] != first["ScalingActivityId"] {
		t.Errorf("replay answered %v, want the first activity %v", again["ScalingActivityId"], first["ScalingActivityId"])
	}
	if n := len(c.s.Activities()); n != 1 {
		t.Errorf("%d activities after a replay, want 1", n)
	}
	other := enter("i-bp1ecr7go2go9kq3m1b")
	other.Set("ClientToken", "alarm-0e8d1c4a")
	if status, body := c.call("EnterStandby", other, nil); status != 400 || body["Code"] != "IdempotentParameterMismatch" {
		t.Errorf("token reused for other instances = %d %v, want 400 IdempotentParameterMismatch", status, body["Code"])
	}
}

func TestDescribeScalingActivitiesReportsAsyncProgress(t *testing.T) {
	c := newRaw(t)
	params := enter("i-bp1ecr7go2go9kq3m1a")
	params.Set("Async", "true")
	_, body := c.call("EnterStandby", params, nil)
	id := body["ScalingActivityId"].(string)
	status := func() string {
		t.Helper()
		_, body := c.call("DescribeScalingActivities", url.Values{"ScalingActivityId.1": {id}}, nil)
		acts := body["ScalingActivities"].(map[string]any)["ScalingActivity"].([]any)
		if len(acts) != 1 {
			t.Fatalf("DescribeScalingActivities found %d activities, want 1", len(acts))
		}
		return acts[0].(map[string]any)["StatusCode"].(string)
	}
	if first, second := status(), status(); first != "InProgress" || second != "Successful" {
		t.Errorf("statuses %s, %s; want InProgress, then Successful", first, second)
	}
	if code, body := c.call("DescribeScalingActivities", url.Values{"ScalingGroupId": {WebGroup}, "ScalingActivityId.1": {id}}, nil); code != 400 {
		t.Errorf("both ScalingGroupId and ScalingActivityId.N = %d %v, want 400", code, body["Code"])
	}
}

func TestDescribeScalingInstancesPages(t *testing.T) {
	c := newRaw(t)
	var seen []string
	for page := 1; page <= 3; page++ {
		_, body := c.call("DescribeScalingInstances", url.Values{"ScalingGroupId": {WebGroup}, "PageSize": {"4"}, "PageNumber": {strconv.Itoa(page)}}, nil)
		if body["TotalCount"] != float64(6) {
			t.Fatalf("TotalCount = %v, want 6", body["TotalCount"])
		}
		for _, in := range body["ScalingInstances"].(map[string]any)["ScalingInstance"].([]any) {
			seen = append(seen, in.(map[string]any)["InstanceId"].(string))
		}
	}
	if len(seen) != 6 || seen[0] != "i-bp1ecr7go2go9kq3m1a" || seen[5] != "i-bp1ecr7go2go9kq3m1f" {
		t.Errorf("pages listed %v, want the 6 web instances in order", seen)
	}
	if status, body := c.call("DescribeScalingInstances", url.Values{"PageSize": {"101"}}, nil); status != 400 {
		t.Errorf("PageSize 101 = %d %v, want 400", status, body["Code"])
	}
}

// A fault with Param meets only the calls carrying that parameter: the
// reads by ID of DescribeScalingInstances, not its counts.
func TestFaultParam(t *testing.T) {
	c := newRaw(t)
	c.s.Inject(Fault{Action: "DescribeScalingInstances", Param: "InstanceId.1", Answer: map[string]any{}})
	if _, body := c.call("DescribeScalingInstances", url.Values{"ScalingGroupId": {WebGroup}, "PageSize": {"1"}}, nil); body["TotalCount"] != float64(6) {
		t.Errorf("a count met the fault: %v", body)
	}
	if _, body := c.call("DescribeScalingInstances", url.Values{"ScalingGroupId": {WebGroup}, "InstanceId.1": {"i-bp1ecr7go2go9kq3m1a"}}, nil); len(body) != 1 || body["RequestId"] == nil {
		t.Errorf("a read by ID answered %v; want the fault's answer, its RequestId alone", body)
	}
}
