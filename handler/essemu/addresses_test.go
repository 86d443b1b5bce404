package essemu

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// twoVPCs is a region whose two groups' VPCs reuse one private range:
// 10.0.0.1 is an instance of each. A third group is of the classic
// network; the mixed group holds an elastic container instance.
func twoVPCs() []Group {
	return []Group{
		{ID: "asg-a", Region: SampleRegion, VpcID: "vpc-a", Instances: []Instance{
			{ID: "i-a1", LifecycleState: InService, PrivateIP: "10.0.0.1"},
			{ID: "i-a2", LifecycleState: Standby, PrivateIP: "10.0.0.2"},
			{ID: "eci-a3", LifecycleState: InService, PrivateIP: "10.0.0.3"},
		}},
		{ID: "asg-b", Region: SampleRegion, VpcID: "vpc-b", Instances: []Instance{{ID: "i-b1", LifecycleState: InService, PrivateIP: "10.0.0.1"}}},
		{ID: "asg-c", Region: SampleRegion, Instances: []Instance{{ID: "i-c1", LifecycleState: InService, PrivateIP: "10.0.0.1"}}},
		{ID: "asg-far", Region: "cn-beijing", VpcID: "vpc-a", Instances: []Instance{{ID: "i-far1", LifecycleState: InService, PrivateIP: "10.0.0.2"}}},
	}
}

// lookup is DescribeInstances' parameters for addresses, in a VPC if given.
func lookup(vpc string, ips ...string) url.Values {
	list, _ := json.Marshal(append([]string{}, ips...))
	v := url.Values{"InstanceNetworkType": {"vpc"}, "PrivateIpAddresses": {string(list)}}
	if vpc != "" {
		v.Set("VpcId", vpc)
	}
	return v
}

// ids lists the instances of a DescribeInstances answer, and checks each
// is where the answer says: its VPC and its private IP on the instance and
// on its primary network interface.
func ids(t *testing.T, body map[string]any) []string {
	t.Helper()
	var out []string
	for _, raw := range body["Instances"].(map[string]any)["Instance"].([]any) {
		in := raw.(map[string]any)
		vpc := in["VpcAttributes"].(map[string]any)
		ip := vpc["PrivateIpAddress"].(map[string]any)["IpAddress"].([]any)
		eni := in["NetworkInterfaces"].(map[string]any)["NetworkInterface"].([]any)[0].(map[string]any)
		if in["InstanceNetworkType"] != "vpc" || vpc["VpcId"] == "" || len(ip) != 1 || eni["PrimaryIpAddress"] != ip[0] {
			t.Errorf("%v is listed without its VPC or its address", in)
		}
		out = append(out, in["InstanceId"].(string))
	}
	return out
}

// DescribeInstances finds instances by private IP as ECS documents it: the
// filters ANDed, so that with VpcId an address of another VPC is not
// listed, and without it every VPC's holder is; ECS holds no elastic
// container instance; a classic instance has no VPC address; another
// region's instances are not this region's.
func TestDescribeInstancesByPrivateIP(t *testing.T) {
	c := newRaw(t, twoVPCs()...)
	for _, tt := range []struct {
		name   string
		params url.Values
		want   []string
	}{
		{"in one VPC", lookup("vpc-a", "10.0.0.1", "10.0.0.2", "10.0.0.9"), []string{"i-a1", "i-a2"}},
		{"the same address in the other VPC", lookup("vpc-b", "10.0.0.1", "10.0.0.2"), []string{"i-b1"}},
		{"without VpcId: every VPC's", lookup("", "10.0.0.1"), []string{"i-a1", "i-b1"}},
		{"an elastic container instance's address", lookup("vpc-a", "10.0.0.3"), nil},
		{"a VPC with no instance", lookup("vpc-z", "10.0.0.1"), nil},
		{"an empty list is a filter", lookup("vpc-a"), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := c.call("DescribeInstances", tt.params, nil)
			if got := ids(t, body); status != 200 || !slices.Equal(got, tt.want) || body["TotalCount"] != float64(len(tt.want)) {
				t.Errorf("DescribeInstances = %d, %v (TotalCount %v); want %v", status, got, body["TotalCount"], tt.want)
			}
		})
	}
	t.Run("PrivateIpAddresses is only valid with InstanceNetworkType vpc", func(t *testing.T) {
		params := lookup("vpc-a", "10.0.0.1")
		params.Del("InstanceNetworkType")
		if status, body := c.call("DescribeInstances", params, nil); status != 200 || !slices.Equal(ids(t, body), []string{"i-a1", "i-a2"}) {
			t.Errorf("without InstanceNetworkType = %d, %v; want the VPC's every instance, the addresses ignored", status, ids(t, body))
		}
	})
	t.Run("the classic network", func(t *testing.T) {
		status, body := c.call("DescribeInstances", url.Values{"InstanceNetworkType": {"classic"}}, nil)
		list := body["Instances"].(map[string]any)["Instance"].([]any)
		if status != 200 || len(list) != 1 || list[0].(map[string]any)["InstanceId"] != "i-c1" ||
			fmt.Sprint(list[0].(map[string]any)["InnerIpAddress"]) != "map[IpAddress:[10.0.0.1]]" {
			t.Errorf("classic instances = %d, %v", status, list)
		}
	})
	t.Run("pages", func(t *testing.T) {
		params := lookup("", "10.0.0.1")
		params.Set("PageSize", "1")
		var seen []string
		for page := 1; page <= 3; page++ {
			params.Set("PageNumber", fmt.Sprint(page))
			status, body := c.call("DescribeInstances", params, nil)
			if status != 200 || body["TotalCount"] != float64(2) {
				t.Fatalf("page %d = %d, TotalCount %v", page, status, body["TotalCount"])
			}
			seen = append(seen, ids(t, body)...)
		}
		if !slices.Equal(seen, []string{"i-a1", "i-b1"}) {
			t.Errorf("pages of one = %v", seen)
		}
	})
}

// DescribeInstances' limits, as documented, and where the documentation is
// silent, InvalidParameter.
func TestDescribeInstancesRefusals(t *testing.T) {
	var hundred []string
	for i := range 101 {
		hundred = append(hundred, fmt.Sprintf("10.0.1.%d", i))
	}
	noRegion := lookup("vpc-a", "10.0.0.1")
	for _, tt := range []struct {
		name   string
		params url.Values
		mutate func(url.Values)
		status int
		code   string
	}{
		{"101 addresses", lookup("vpc-a", hundred...), nil, 400, "InvalidParameter"},
		{"addresses that are no JSON array", url.Values{"InstanceNetworkType": {"vpc"}, "PrivateIpAddresses": {"10.0.0.1,10.0.0.2"}}, nil, 400, "InvalidParameter"},
		{"another network type", url.Values{"InstanceNetworkType": {"vpn"}}, nil, 404, "InvalidNetworkType.NotFound"},
		{"a page of 101", url.Values{"PageSize": {"101"}}, nil, 400, "InvalidParameter"},
		{"no region", noRegion, func(v url.Values) { v.Del("RegionId") }, 400, "MissingParameter"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newRaw(t, twoVPCs()...)
			if status, body := c.call("DescribeInstances", tt.params, resigned(tt.mutate)); status != tt.status || body["Code"] != tt.code {
				t.Errorf("DescribeInstances = %d %v, want %d %s", status, body["Code"], tt.status, tt.code)
			}
		})
	}
}

// resigned signs the request again after mutate, so that only what mutate
// changed is wrong; nil leaves the request as it is.
func resigned(mutate func(url.Values)) func(url.Values) {
	if mutate == nil {
		return nil
	}
	return func(v url.Values) {
		mutate(v)
		v.Set("Signature", sign(stringToSign("POST", v), testKey.Secret))
	}
}

// DescribeScalingGroups names a group's VPC and vSwitch, none for a group
// of the classic network, and keeps to ScalingGroupId.N when given (at
// most 20, a group that does not exist left out).
func TestDescribeScalingGroupsVPCs(t *testing.T) {
	c := newRaw(t, twoVPCs()...)
	params := url.Values{"ScalingGroupId.1": {"asg-a"}, "ScalingGroupId.2": {"asg-c"}, "ScalingGroupId.3": {"asg-gone"}, "PageSize": {"50"}}
	status, body := c.call("DescribeScalingGroups", params, nil)
	groups := body["ScalingGroups"].(map[string]any)["ScalingGroup"].([]any)
	if status != 200 || len(groups) != 2 || body["TotalCount"] != float64(2) {
		t.Fatalf("DescribeScalingGroups = %d, %v", status, body)
	}
	a, classic := groups[0].(map[string]any), groups[1].(map[string]any)
	if a["ScalingGroupId"] != "asg-a" || a["VpcId"] != "vpc-a" || !strings.HasPrefix(fmt.Sprint(a["VSwitchId"]), "vsw-") ||
		fmt.Sprint(a["VSwitchIds"]) != "map[VSwitchId:["+fmt.Sprint(a["VSwitchId"])+"]]" {
		t.Errorf("a VPC group = %v", a)
	}
	if _, ok := classic["VpcId"]; ok || classic["ScalingGroupId"] != "asg-c" {
		t.Errorf("a classic group = %v; want no VpcId", classic)
	}
	many := url.Values{}
	for i := range 21 {
		many.Set(fmt.Sprintf("ScalingGroupId.%d", i+1), fmt.Sprintf("asg-%d", i))
	}
	if status, body := c.call("DescribeScalingGroups", many, nil); status != 400 || body["Code"] != "InvalidParameter" {
		t.Errorf("21 groups = %d %v", status, body["Code"])
	}
}

// SetVPC and SetPrivateIP move a group and an instance as tests steer them;
// Reset puts them back where the fleet seeded them.
func TestSetVPCAndPrivateIP(t *testing.T) {
	c := newRaw(t, twoVPCs()...)
	c.s.SetVPC("asg-b", "vpc-a")
	c.s.SetPrivateIP("i-b1", "10.0.0.7")
	if _, body := c.call("DescribeInstances", lookup("vpc-a", "10.0.0.7"), nil); !slices.Equal(ids(t, body), []string{"i-b1"}) {
		t.Errorf("after moving i-b1: %v", ids(t, body))
	}
	c.s.Reset()
	if _, body := c.call("DescribeInstances", lookup("vpc-b", "10.0.0.1"), nil); !slices.Equal(ids(t, body), []string{"i-b1"}) {
		t.Errorf("after Reset: %v", ids(t, body))
	}
}

// The filters of DescribeInstances, ANDed: the groups' region, network and
// VPC, then ECS's instances at the addresses, which only the vpc network
// type reads (null is not given; an instance without an address has none
// of them).
func TestECSInstances(t *testing.T) {
	groups := append(twoVPCs(), Group{ID: "asg-d", Region: SampleRegion, VpcID: "vpc-d", Instances: []Instance{{ID: "i-d1", LifecycleState: InService}}})
	w := newWorld(groups)
	for _, tt := range []struct {
		network, vpc, addresses string
		want                    []string
	}{
		{"", "", "", []string{"i-a1", "i-a2", "i-b1", "i-c1", "i-d1"}},
		{"vpc", "", "", []string{"i-a1", "i-a2", "i-b1", "i-d1"}},
		{"classic", "", "", []string{"i-c1"}},
		{"", "vpc-a", "", []string{"i-a1", "i-a2"}},
		{"classic", "vpc-a", "", nil},
		{"vpc", "", `["10.0.0.1"]`, []string{"i-a1", "i-b1"}},
		{"vpc", "vpc-a", `["10.0.0.1","10.0.0.3"]`, []string{"i-a1"}},
		{"classic", "", `["10.0.0.9"]`, []string{"i-c1"}},
		{"", "vpc-b", `["10.0.0.9"]`, []string{"i-b1"}},
		{"vpc", "", `[""]`, nil},
		{"vpc", "", `[]`, nil},
		{"vpc", "", `null`, []string{"i-a1", "i-a2", "i-b1", "i-d1"}},
	} {
		params := url.Values{"RegionId": {SampleRegion}, "InstanceNetworkType": {tt.network}, "VpcId": {tt.vpc}, "PrivateIpAddresses": {tt.addresses}}
		f, err := readECSFilter(params)
		if err != nil {
			t.Fatalf("%v: %s", params, err.code)
		}
		var got []string
		for _, in := range w.ecsInstances(f) {
			got = append(got, in.id)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("network %q, VPC %q, addresses %s: %v, want %v", tt.network, tt.vpc, tt.addresses, got, tt.want)
		}
	}
}
