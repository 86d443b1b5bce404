package ess_test

import (
	"context"
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"testing"

	"ess-standby/handler/ess"
	"ess-standby/handler/essemu"
	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
)

// web1 is the sample fleet's first web instance, at 10.0.80.186.
const web1 = "i-bp1ecr7go2go9kq3m1a"

// vpcInstance is an instance as DescribeInstances lists it in the sample
// VPC, at ip on the instance and on its primary network interface.
func vpcInstance(id, vpc, ip string) map[string]any {
	return map[string]any{"InstanceId": id, "InstanceNetworkType": "vpc",
		"VpcAttributes": map[string]any{"VpcId": vpc, "PrivateIpAddress": map[string]any{"IpAddress": []string{ip}}},
		"NetworkInterfaces": map[string]any{"NetworkInterface": []any{map[string]any{"Type": "Primary", "PrimaryIpAddress": ip,
			"PrivateIpSets": map[string]any{"PrivateIpSet": []any{map[string]any{"PrivateIpAddress": ip, "Primary": true}}}}}}}
}

// The address lookup's reads fail closed as every read a decision uses
// does: an answer without what the lookup reads, or listing an instance
// it cannot place (of another VPC, or at none of the addresses asked), is
// ServiceUnavailable naming what was wrong, and nothing is read from it.
func TestAddressAnswersWithoutTheirFields(t *testing.T) {
	ctx := context.Background()
	reads := map[string]func(*ess.Client) (any, error){
		"GroupVPCs": func(c *ess.Client) (any, error) {
			return c.GroupVPCs(ctx, session(), []string{essemu.WebGroup})
		},
		"InstancesByPrivateIP": func(c *ess.Client) (any, error) {
			return c.InstancesByPrivateIP(ctx, session(), essemu.SampleVPC, []string{"10.0.80.186"})
		},
	}
	group := func(fields map[string]any) map[string]any {
		return map[string]any{"TotalCount": 1, "ScalingGroups": map[string]any{"ScalingGroup": []any{fields}}}
	}
	instances := func(list ...any) map[string]any {
		return map[string]any{"TotalCount": len(list), "Instances": map[string]any{"Instance": list}}
	}
	without := func(key string) map[string]any {
		in := vpcInstance(web1, essemu.SampleVPC, "10.0.80.186")
		delete(in, key)
		return in
	}
	noVPC := vpcInstance(web1, essemu.SampleVPC, "10.0.80.186")
	delete(noVPC["VpcAttributes"].(map[string]any), "VpcId")
	tests := []fieldCase{
		{"GroupVPCs", "DescribeScalingGroups", "nothing", map[string]any{}, "TotalCount"},
		{"GroupVPCs", "DescribeScalingGroups", "no list", map[string]any{"TotalCount": 1}, "ScalingGroups"},
		{"GroupVPCs", "DescribeScalingGroups", "no ScalingGroupId", group(map[string]any{"VpcId": essemu.SampleVPC}), "ScalingGroupId"},
		{"GroupVPCs", "DescribeScalingGroups", "a vSwitch without its VPC", group(map[string]any{"ScalingGroupId": essemu.WebGroup, "VSwitchId": "vsw-bp1"}), "VpcId"},
		{"GroupVPCs", "DescribeScalingGroups", "vSwitches without their VPC", group(map[string]any{"ScalingGroupId": essemu.WebGroup,
			"VSwitchIds": map[string]any{"VSwitchId": []string{"vsw-bp1"}}}), "VpcId"},
		{"GroupVPCs", "DescribeScalingGroups", "counting more than it lists", map[string]any{"TotalCount": 2,
			"ScalingGroups": map[string]any{"ScalingGroup": []any{map[string]any{"ScalingGroupId": essemu.WebGroup, "VpcId": essemu.SampleVPC}}}}, "all the groups"},
		{"InstancesByPrivateIP", "DescribeInstances", "nothing", map[string]any{}, "TotalCount"},
		{"InstancesByPrivateIP", "DescribeInstances", "no list", map[string]any{"TotalCount": 1}, "Instances"},
		{"InstancesByPrivateIP", "DescribeInstances", "an empty wrapper", map[string]any{"TotalCount": 1, "Instances": map[string]any{}}, "Instances"},
		{"InstancesByPrivateIP", "DescribeInstances", "no TotalCount", map[string]any{"Instances": map[string]any{"Instance": []any{}}}, "TotalCount"},
		{"InstancesByPrivateIP", "DescribeInstances", "no InstanceId", instances(without("InstanceId")), "InstanceId"},
		{"InstancesByPrivateIP", "DescribeInstances", "no VpcAttributes", instances(without("VpcAttributes")), "VpcId"},
		{"InstancesByPrivateIP", "DescribeInstances", "no VpcId", instances(noVPC), "VpcId"},
		{"InstancesByPrivateIP", "DescribeInstances", "an instance of another VPC", instances(vpcInstance(web1, "vpc-other", "10.0.80.186")), "another VPC"},
		{"InstancesByPrivateIP", "DescribeInstances", "an instance at none of the addresses", instances(vpcInstance(web1, essemu.SampleVPC, "10.0.80.187")), "none of the addresses"},
		{"InstancesByPrivateIP", "DescribeInstances", "an instance showing no address", instances(without("NetworkInterfaces"), vpcInstance("i-x", essemu.SampleVPC, "")), "none of the addresses"},
	}
	failClosed(t, reads, tests)
}

// What the answers may hold and still be read: a group of the classic
// network (no VpcId, no vSwitch), a group not asked for (left out), an
// address on a network interface's secondary private IPs, an instance
// listed on two pages (once), an empty list.
func TestAddressAnswersRead(t *testing.T) {
	ctx := context.Background()
	c, emu := newClient(t)
	emu.Inject(essemu.Fault{Action: "DescribeScalingGroups", Times: 1, Answer: map[string]any{"TotalCount": 2, "ScalingGroups": map[string]any{"ScalingGroup": []any{
		map[string]any{"ScalingGroupId": essemu.WebGroup}, map[string]any{"ScalingGroupId": "asg-not-asked", "VpcId": "vpc-x"}}}}})
	if got, err := c.GroupVPCs(ctx, session(), []string{essemu.WebGroup}); err != nil || !reflect.DeepEqual(got, map[string]string{essemu.WebGroup: ""}) {
		t.Errorf("a classic group = %v, %v", got, err)
	}
	secondary := vpcInstance(web1, essemu.SampleVPC, "10.0.80.186")
	secondary["NetworkInterfaces"].(map[string]any)["NetworkInterface"].([]any)[0].(map[string]any)["PrivateIpSets"] =
		map[string]any{"PrivateIpSet": []any{map[string]any{"PrivateIpAddress": "10.0.80.186", "Primary": true}, map[string]any{"PrivateIpAddress": "10.0.80.200", "Primary": false}}}
	emu.Inject(essemu.Fault{Action: "DescribeInstances", Times: 1, Answer: map[string]any{"TotalCount": 1, "Instances": map[string]any{"Instance": []any{secondary}}}})
	if got, err := c.InstancesByPrivateIP(ctx, session(), essemu.SampleVPC, []string{"10.0.80.200"}); err != nil || !reflect.DeepEqual(got, map[string][]string{"10.0.80.200": {web1}}) {
		t.Errorf("a secondary address = %v, %v", got, err)
	}
	emu.Inject(essemu.Fault{Action: "DescribeInstances", Times: 1, Answer: map[string]any{"TotalCount": 0, "Instances": map[string]any{"Instance": nil}}})
	if got, err := c.InstancesByPrivateIP(ctx, session(), essemu.SampleVPC, []string{"10.0.80.186"}); err != nil || len(got) != 0 {
		t.Errorf("a null list = %v, %v; want none", got, err)
	}
}

// While an answer counts more instances than it holds, the next page is
// read; an instance listed again is counted once.
func TestInstancesByPrivateIPPages(t *testing.T) {
	c, emu := newClient(t)
	first := map[string]any{"TotalCount": 2, "PageNumber": 1, "Instances": map[string]any{"Instance": []any{vpcInstance(web1, essemu.SampleVPC, "10.0.80.186")}}}
	again := map[string]any{"TotalCount": 2, "PageNumber": 2, "Instances": map[string]any{"Instance": []any{
		vpcInstance(web1, essemu.SampleVPC, "10.0.80.186"), vpcInstance("i-bp1ecr7go2go9kq3m1b", essemu.SampleVPC, "10.0.80.187")}}}
	emu.Inject(essemu.Fault{Action: "DescribeInstances", Times: 1, Answer: first})
	emu.Inject(essemu.Fault{Action: "DescribeInstances", Times: 1, Answer: again}) // the second call: the first fault is spent
	got, err := c.InstancesByPrivateIP(context.Background(), session(), essemu.SampleVPC, []string{"10.0.80.186", "10.0.80.187"})
	if want := map[string][]string{"10.0.80.186": {web1}, "10.0.80.187": {"i-bp1ecr7go2go9kq3m1b"}}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("two pages = %v, %v; want %v", got, err, want)
	}
	var pages []string
	for _, call := range emu.Calls() {
		pages = append(pages, call.Params.Get("PageNumber"))
	}
	if !slices.Equal(pages, []string{"1", "2"}) {
		t.Errorf("pages read: %v", pages)
	}
}

// The calls are made as the APIs document them: DescribeScalingGroups by
// ScalingGroupId.N; DescribeInstances under ECS's version, in the VPC, the
// addresses as a JSON array, valid only with InstanceNetworkType vpc, a
// page of 100. Nothing is sent for what the APIs would refuse, or what
// would look further than asked: more than a batch, no VPC, nothing.
func TestAddressLookupCalls(t *testing.T) {
	ctx := context.Background()
	c, emu := newClient(t)
	if got, err := c.GroupVPCs(ctx, session(), []string{essemu.APIGroup, essemu.WebGroup}); err != nil ||
		!reflect.DeepEqual(got, map[string]string{essemu.WebGroup: essemu.SampleVPC, essemu.APIGroup: essemu.SampleVPC}) {
		t.Errorf("GroupVPCs = %v, %v", got, err)
	}
	ips := []string{"10.0.80.186", "10.0.81.22", "10.9.9.9"}
	if got, err := c.InstancesByPrivateIP(ctx, session(), essemu.SampleVPC, ips); err != nil || !reflect.DeepEqual(got, map[string][]string{"10.0.80.186": {web1}}) {
		t.Errorf("InstancesByPrivateIP = %v, %v; want web's first alone (the elastic container instance is none of ECS's)", got, err)
	}
	calls := emu.Calls()
	if len(calls) != 2 {
		t.Fatalf("%d calls: %+v", len(calls), calls)
	}
	groups, lookup := calls[0], calls[1]
	if groups.Action != "DescribeScalingGroups" || groups.Params.Get("ScalingGroupId.1") != essemu.APIGroup || groups.Params.Get("ScalingGroupId.2") != essemu.WebGroup || !groups.SignatureOK {
		t.Errorf("DescribeScalingGroups = %+v", groups)
	}
	var asked []string
	if err := json.Unmarshal([]byte(lookup.Params.Get("PrivateIpAddresses")), &asked); err != nil || !slices.Equal(asked, ips) {
		t.Errorf("PrivateIpAddresses = %q", lookup.Params.Get("PrivateIpAddresses"))
	}
	want := url.Values{"InstanceNetworkType": {"vpc"}, "VpcId": {essemu.SampleVPC}, "PageSize": {"100"}, "PageNumber": {"1"}}
	for k := range want {
		if lookup.Params.Get(k) != want.Get(k) {
			t.Errorf("DescribeInstances %s = %q, want %q", k, lookup.Params.Get(k), want.Get(k))
		}
	}
	if lookup.Action != "DescribeInstances" || lookup.Version != "2014-05-26" || !lookup.SignatureOK || lookup.SecurityToken != stsKey.Token {
		t.Errorf("DescribeInstances = %+v", lookup)
	}
	many := make([]string, standby.AddressBatch+1)
	groups21 := make([]string, standby.GroupBatch+1)
	for _, refused := range []error{
		second(c.InstancesByPrivateIP(ctx, session(), essemu.SampleVPC, many)),
		second(c.InstancesByPrivateIP(ctx, session(), "", ips)),
		second(c.GroupVPCs(ctx, session(), groups21)),
	} {
		if e := standby.AsError(refused); e.Kind != standby.Invalid {
			t.Errorf("refused with %v, kind %d; want Invalid", refused, e.Kind)
		}
	}
	for _, none := range []error{second(c.InstancesByPrivateIP(ctx, session(), essemu.SampleVPC, nil)), second(c.GroupVPCs(ctx, session(), nil))} {
		if none != nil {
			t.Errorf("nothing asked: %v", none)
		}
	}
	if n := len(emu.Calls()); n != 2 {
		t.Errorf("%d calls made for what is refused or empty", n-2)
	}
}

func second[T any](_ T, err error) error { return err }

// Issue 28, the address lookup end to end: the core over the SDK client
// and the emulator. Two allowed groups in VPCs that reuse a range, a
// third outside the allowlist: an address of one instance is found, one
// that two VPCs hold is refused as ambiguous, one no instance holds (or
// only an elastic container instance, or only an instance of a group not
// allowed) is unknown, each from ECS's own answers.
func TestLocateThroughTheEmulator(t *testing.T) {
	fleet := append(essemu.SampleFleet(),
		essemu.Group{ID: "asg-bp1other00000000001", Region: essemu.SampleRegion, VpcID: "vpc-bp1other0000000000001", Instances: []essemu.Instance{
			{ID: "i-bp1other0000000000001", LifecycleState: essemu.InService, PrivateIP: "10.0.80.187"},
			{ID: "i-bp1other0000000000002", LifecycleState: essemu.InService, PrivateIP: "10.0.99.1"}}},
		essemu.Group{ID: "asg-bp1notallowed000001", Region: essemu.SampleRegion, VpcID: "vpc-bp1notallowed0000001", Instances: []essemu.Instance{
			{ID: "i-bp1notallowed00000001", LifecycleState: essemu.InService, PrivateIP: "10.0.80.186"},
			{ID: "i-bp1notallowed00000002", LifecycleState: essemu.InService, PrivateIP: "10.7.0.1"}}})
	emu := essemu.NewServer([]essemu.Key{stsKey}, fleet...)
	t.Cleanup(emu.Close)
	endpoint, _ := url.Parse(emu.URL)
	client := ess.New(ess.Config{Endpoint: endpoint, ECSEndpoint: endpoint, ECIEndpoint: endpoint})
	t.Cleanup(client.Close)
	core := standby.New(standby.Config{AllowedGroups: []string{essemu.WebGroup, essemu.APIGroup, "asg-bp1other00000000001"}, Sleep: standbytest.NoWait}, client.Cloud())
	inv := standby.Invocation{RequestID: "r-locate", Region: essemu.SampleRegion, Credentials: session().Credentials}
	found, why := core.Locate(context.Background(), inv, essemu.SampleRegion, []string{"10.0.80.186", "10.0.80.187", "10.0.99.1", "10.0.81.22", "10.7.0.1", "10.5.5.5", "10.0.80.186:9100"})
	if want := map[string]string{"10.0.80.186": web1, "10.0.99.1": "i-bp1other0000000000002"}; !reflect.DeepEqual(found, want) {
		t.Errorf("found %v, want %v", found, want)
	}
	for ip, code := range map[string]string{"10.0.80.187": "InvalidPrivateIpAddress.Ambiguous", "10.0.81.22": "InvalidPrivateIpAddress.NotFound",
		"10.7.0.1": "InvalidPrivateIpAddress.NotFound", "10.5.5.5": "InvalidPrivateIpAddress.NotFound", "10.0.80.186:9100": "InvalidParameter"} {
		if e := standby.AsError(why[ip]); e.Code != code {
			t.Errorf("%s refused with %v, want %s", ip, why[ip], code)
		}
	}
	if len(why) != 5 {
		t.Errorf("refused %v", why)
	}
	var vpcs []string
	for _, c := range emu.Calls() {
		if c.Action == "DescribeInstances" {
			vpcs = append(vpcs, c.Params.Get("VpcId"))
		}
	}
	if slices.Sort(vpcs); !slices.Equal(vpcs, []string{essemu.SampleVPC, "vpc-bp1other0000000000001"}) {
		t.Errorf("looked in %v; want each allowed group's VPC once", vpcs)
	}
}
