package ess_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"ess-standby/handler/ess"
	"ess-standby/handler/essemu"
	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
)

// eciC is the sample fleet's elastic container instance, in the API group
// beside the ECS instance ecsB.
const (
	eciC = "eci-bp1hh2ka9xr7wq4t5n0c"
	ecsB = "i-bp1hh2ka9xr7wq4t5n0b"
)

// Issue 26, case 10: an elastic container instance parked through the SDK
// client was tagged through ECS's TagResources, which holds ECS instances
// only, so it was parked untagged and the lifecycle lost it. Parked beside
// an ECS instance of its group, each ends up with the function's tags in
// its own service: the ECS instance's through ECS, the container group's
// through ECI's TagResources (2018-08-08, ResourceType ContainerGroup), and
// no ECS tag call names it.
func TestElasticContainerInstanceIsTagged(t *testing.T) {
	emu := essemu.NewServer([]essemu.Key{stsKey}, essemu.SampleFleet()...)
	t.Cleanup(emu.Close)
	u, _ := url.Parse(emu.URL)
	client := ess.New(ess.Config{Endpoint: u, ECSEndpoint: u, ECIEndpoint: u})
	t.Cleanup(client.Close)
	core := standby.New(standby.Config{Sleep: standbytest.NoWait, Now: func() time.Time { return essemu.SampleTime }}, client.Cloud())
	inv := standby.Invocation{RequestID: "r-eci", Region: essemu.SampleRegion, Credentials: session().Credentials}
	req := standby.Request{Action: standby.EnterStandby, ScalingGroupID: essemu.APIGroup, InstanceIDs: []string{eciC, ecsB}, Identity: "cms:eci-1",
		Reason: standby.Reason{Source: "cms-alarm-callback", Rule: "cpu-high", Event: "cms:eci-1"}}
	results, _ := core.Run(context.Background(), inv, req)
	for _, line := range results[0].Instances {
		if line.Result != "EnteredStandby" || line.TagCode != "" {
			t.Errorf("%s: %s, TagCode %q; want EnteredStandby, tagged", line.InstanceID, line.Result, line.TagCode)
		}
	}
	for _, id := range []string{eciC, ecsB} {
		if tags := emu.Tags(id); tags["ess-standby:rule"] != "cpu-high" || tags["ess-standby:since"] == "" || tags["ess-standby:until"] == "" {
			t.Errorf("%s holds %v; want the function's tags", id, tags)
		}
	}
	var eciTagged bool
	for _, c := range emu.Calls() {
		if c.Action != "TagResources" {
			continue
		}
		names := strings.Join(resourceIDs(c.Params), " ")
		switch c.Version {
		case "2014-05-26":
			if strings.Contains(names, "eci-") {
				t.Errorf("ECS's TagResources named %s (answered %d %s)", names, c.Status, c.Code)
			}
		case "2018-08-08":
			eciTagged = c.Status == 200 && c.Params.Get("ResourceType") == "ContainerGroup" && names == eciC && c.SignatureOK && c.SecurityToken == stsKey.Token
		}
	}
	if !eciTagged {
		t.Errorf("no signed ECI TagResources of %s on ContainerGroup: %+v", eciC, emu.Calls())
	}
}

// resourceIDs are a tag call's ResourceId.N, in order.
func resourceIDs(params url.Values) []string {
	var ids []string
	for n := 1; params.Has("ResourceId." + strconv.Itoa(n)); n++ {
		ids = append(ids, params.Get("ResourceId."+strconv.Itoa(n)))
	}
	return ids
}

// Each instance's tags go to the service that holds them, in one call of
// the interface: the ECS instance's to ECS's endpoint under ECS's version
// (ResourceType instance), the elastic container instance's to ECI's under
// ECI's (ResourceType ContainerGroup), each signed with the session's
// token; reads and removals alike, the reads merged.
func TestTagsGoToTheirService(t *testing.T) {
	emus := map[string]*essemu.Server{}
	urls := map[string]*url.URL{}
	for _, name := range []string{"ess", "ecs", "eci"} {
		emus[name] = essemu.NewServer([]essemu.Key{stsKey}, essemu.SampleFleet()...)
		t.Cleanup(emus[name].Close)
		urls[name], _ = url.Parse(emus[name].URL)
	}
	c := ess.New(ess.Config{Endpoint: urls["ess"], ECSEndpoint: urls["ecs"], ECIEndpoint: urls["eci"]})
	defer c.Close()
	ctx, ids, ours := context.Background(), []string{eciC, ecsB}, standby.Tags{"ess-standby:rule": "cpu-high"}
	if err := c.TagInstances(ctx, session(), ids, ours); err != nil {
		t.Fatal(err)
	}
	got, err := c.InstanceTags(ctx, session(), ids, "ess-standby:")
	if want := map[string]standby.Tags{eciC: ours, ecsB: ours}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("InstanceTags = %v, %v; want %v", got, err, want)
	}
	if err := c.UntagInstances(ctx, session(), ids, []string{"ess-standby:rule"}); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"ecs": {"TagResources 2014-05-26 instance " + ecsB, "ListTagResources 2014-05-26 instance " + ecsB, "UntagResources 2014-05-26 instance " + ecsB},
		"eci": {"TagResources 2018-08-08 ContainerGroup " + eciC, "ListTagResources 2018-08-08 ContainerGroup " + eciC, "UntagResources 2018-08-08 ContainerGroup " + eciC},
		"ess": nil,
	}
	for name, emu := range emus {
		var calls []string
		for _, call := range emu.Calls() {
			if !call.SignatureOK || call.SecurityToken != stsKey.Token || call.Status != 200 {
				t.Errorf("%s received %+v", name, call)
			}
			calls = append(calls, strings.Join(append([]string{call.Action, call.Version, call.Params.Get("ResourceType")}, resourceIDs(call.Params)...), " "))
		}
		if !slices.Equal(calls, want[name]) {
			t.Errorf("%s received %q, want %q", name, calls, want[name])
		}
	}
	if len(emus["eci"].Tags(eciC)) != 0 || len(emus["ecs"].Tags(ecsB)) != 0 {
		t.Errorf("after UntagInstances: %v, %v", emus["eci"].Tags(eciC), emus["ecs"].Tags(ecsB))
	}
}

// A failure of either part fails the call. ECS's part goes first, so that
// its refusal writes nothing at all; ECI's failing after it leaves the ECS
// instance tagged, which the contract allows and a retry writes again. A
// read that fails in either part reads nothing.
func TestAPartFailsTheCall(t *testing.T) {
	ids, ours := []string{ecsB, eciC}, standby.Tags{"ess-standby:rule": "cpu-high"}
	throttled := func(version string) essemu.Fault {
		return essemu.Fault{Action: "*", Version: version, Times: 1, Status: 400, Code: "Throttling", Message: "Request was denied due to request throttling."}
	}
	for _, tt := range []struct {
		name      string
		fault     essemu.Fault
		ecsTagged bool
	}{
		{"ECS's part", throttled("2014-05-26"), false},
		{"ECI's part", throttled("2018-08-08"), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, emu := newClient(t)
			emu.Inject(tt.fault)
			if err := c.TagInstances(context.Background(), session(), ids, ours); standby.AsError(err).Code != "Throttling" {
				t.Errorf("TagInstances = %v; want Throttling", err)
			}
			if len(emu.Tags(eciC)) != 0 || (len(emu.Tags(ecsB)) != 0) != tt.ecsTagged {
				t.Errorf("after the failure: %s %v, %s %v", eciC, emu.Tags(eciC), ecsB, emu.Tags(ecsB))
			}
			emu.Inject(tt.fault)
			if got, err := c.InstanceTags(context.Background(), session(), ids, "ess-standby:"); standby.AsError(err).Code != "Throttling" || got != nil {
				t.Errorf("InstanceTags = %v, %v; want Throttling and nothing", got, err)
			}
			emu.Inject(tt.fault)
			if err := c.UntagInstances(context.Background(), session(), ids, []string{"ess-standby:rule"}); standby.AsError(err).Code != "Throttling" {
				t.Errorf("UntagInstances = %v; want Throttling", err)
			}
		})
	}
}

// ECI's ListTagResources answers a flat TagResources list: an answer
// without it, in ECS's nested shape, or with a tag not said to be whose or
// which, is no answer (a sweep would take the function's own instance for
// one it did not park); null or empty is none; a tag of another resource
// or type is not believed.
func TestECITagAnswers(t *testing.T) {
	tag := func(id, typ string) map[string]any {
		return map[string]any{"ResourceId": id, "ResourceType": typ, "TagKey": "ess-standby:rule", "TagValue": "r"}
	}
	for _, tt := range []struct {
		name   string
		answer map[string]any
		want   map[string]standby.Tags // nil: ServiceUnavailable
	}{
		{"no list", map[string]any{"NextToken": ""}, nil},
		{"ECS's shape", map[string]any{"TagResources": map[string]any{"TagResource": []any{tag(eciC, "ContainerGroup")}}}, nil},
		{"a tag without its resource", map[string]any{"TagResources": []any{tag("", "ContainerGroup")}}, nil},
		{"null", map[string]any{"TagResources": nil}, map[string]standby.Tags{}},
		{"empty", map[string]any{"TagResources": []any{}}, map[string]standby.Tags{}},
		{"another resource's and type's", map[string]any{"TagResources": []any{tag("eci-other", "ContainerGroup"), tag(eciC, "ImageCache")}}, map[string]standby.Tags{}},
		{"ours", map[string]any{"TagResources": []any{tag(eciC, "ContainerGroup")}}, map[string]standby.Tags{eciC: {"ess-standby:rule": "r"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, emu := newClient(t)
			emu.Inject(essemu.Fault{Action: "ListTagResources", Version: "2018-08-08", Times: 1, Answer: tt.answer})
			got, err := c.InstanceTags(context.Background(), session(), []string{eciC}, "ess-standby:")
			if tt.want == nil {
				if e := standby.AsError(err); e.Code != "ServiceUnavailable" || !strings.Contains(e.Message, "ECI answered ListTagResources") {
					t.Errorf("InstanceTags = %v, %v; want ServiceUnavailable naming ECI", got, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("InstanceTags = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// ECS holds no elastic container instance: InstanceStatuses leaves them
// out of its call, and makes none when no other is named (a call naming no
// instance would read the region's every instance).
func TestInstanceStatusesLeaveOutElasticInstances(t *testing.T) {
	c, emu := newClient(t)
	if got, err := c.InstanceStatuses(context.Background(), session(), []string{eciC}); err != nil || len(got) != 0 || len(emu.Calls()) != 0 {
		t.Errorf("InstanceStatuses of an elastic container instance = %v, %v, %d calls; want none, no call", got, err, len(emu.Calls()))
	}
	got, err := c.InstanceStatuses(context.Background(), session(), []string{eciC, ecsB})
	calls := emu.Calls()
	if err != nil || !reflect.DeepEqual(got, map[string]string{ecsB: "Running"}) || len(calls) != 1 || calls[0].Params.Get("InstanceId.1") != ecsB || calls[0].Params.Has("InstanceId.2") {
		t.Errorf("InstanceStatuses of both = %v, %v; ECS received %+v", got, err, calls)
	}
}

// Without ECI_ENDPOINT's override, ECI's calls go over HTTPS to the
// region's endpoint, eci.<region>.aliyuncs.com (ECI's endpoint table), not
// the eci.aliyuncs.com the SDK's own configuration names for some regions;
// and a failure to reach it is said to be ECI's.
func TestECIEndpointByDefault(t *testing.T) {
	for _, region := range []string{"cn-hangzhou", "cn-shanghai", "ap-southeast-1"} {
		c := ess.New(ess.Config{})
		var dialled []string
		ess.UseTransport(c, roundTripper(func(r *http.Request) (*http.Response, error) {
			dialled = append(dialled, r.URL.Scheme+"://"+r.URL.Host)
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
		}))
		s := session()
		s.Region = region
		err := c.TagInstances(context.Background(), s, []string{eciC}, standby.Tags{"ess-standby:rule": "r"})
		if e := standby.AsError(err); e.Code != "ServiceUnavailable" || e.Message != "ECI is unreachable" {
			t.Errorf("%s: %v; want ServiceUnavailable, ECI is unreachable", region, err)
		}
		if want := "https://eci." + region + ".aliyuncs.com"; len(dialled) != 1 || dialled[0] != want {
			t.Errorf("%s: dialled %v, want %s", region, dialled, want)
		}
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
