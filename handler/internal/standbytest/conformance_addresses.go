package standbytest

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"ess-standby/handler/standby"
)

// The contract of standby.Addresses, over the suite's fleet (every group
// of the classic network until a case puts it in a VPC).

// A group's VPC, "" for the classic network; a group that does not exist,
// or of another region, left out; no group, no answer.
func testGroupVPCs(t *testing.T, s Subject) {
	ctx := context.Background()
	s.SetVPC("asg-a", "vpc-a")
	s.SetVPC("asg-b", "vpc-b")
	got, err := s.Cloud.Addresses.GroupVPCs(ctx, s.Session, []string{"asg-a", "asg-b", "asg-many", "asg-gone"})
	if want := map[string]string{"asg-a": "vpc-a", "asg-b": "vpc-b", "asg-many": ""}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("GroupVPCs = %v, %v; want %v", got, err, want)
	}
	other := s.Session
	other.Region = "cn-beijing"
	if got, err := s.Cloud.Addresses.GroupVPCs(ctx, other, []string{"asg-a"}); err != nil || len(got) != 0 {
		t.Errorf("GroupVPCs in another region = %v, %v; want none", got, err)
	}
	if got, err := s.Cloud.Addresses.GroupVPCs(ctx, s.Session, nil); err != nil || len(got) != 0 {
		t.Errorf("GroupVPCs of no group = %v, %v; want none", got, err)
	}
}

// More groups than DescribeScalingGroups takes are refused as it refuses
// them.
func testGroupBatch(t *testing.T, s Subject) {
	var groups []string
	for i := range standby.GroupBatch + 1 {
		groups = append(groups, fmt.Sprintf("asg-%02d", i))
	}
	expectCode(t, "GroupVPCs of 21", "InvalidParameter", standby.Invalid)(s.Cloud.Addresses.GroupVPCs(context.Background(), s.Session, groups))
}

// An address is an instance's in its group's VPC only: the same address
// in another VPC is another instance's, in a classic group's network
// none, in another region none. Its lifecycle state is Auto Scaling's
// business, not ECS's: an instance in Standby is found too.
func testByPrivateIP(t *testing.T, s Subject) {
	ctx := context.Background()
	s.SetVPC("asg-a", "vpc-a")
	s.SetVPC("asg-b", "vpc-b")
	for id, ip := range map[string]string{"i-a1": "10.0.0.1", "i-a2": "10.0.0.2", "i-a3": "10.0.0.3", "i-b1": "10.0.0.1", "i-many000": "10.0.0.4"} {
		s.SetAddress(id, ip)
	}
	asked := []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.9"}
	for _, c := range []struct {
		vpc  string
		want map[string][]string
	}{
		{"vpc-a", map[string][]string{"10.0.0.1": {"i-a1"}, "10.0.0.2": {"i-a2"}, "10.0.0.3": {"i-a3"}}},
		{"vpc-b", map[string][]string{"10.0.0.1": {"i-b1"}}},
		{"vpc-nowhere", map[string][]string{}},
	} {
		if got, err := s.Cloud.Addresses.InstancesByPrivateIP(ctx, s.Session, c.vpc, asked); err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("InstancesByPrivateIP(%s) = %v, %v; want %v", c.vpc, got, err, c.want)
		}
	}
	other := s.Session
	other.Region = "cn-beijing"
	if got, err := s.Cloud.Addresses.InstancesByPrivateIP(ctx, other, "vpc-a", asked); err != nil || len(got) != 0 {
		t.Errorf("InstancesByPrivateIP in another region = %v, %v; want none", got, err)
	}
	if got, err := s.Cloud.Addresses.InstancesByPrivateIP(ctx, s.Session, "vpc-a", nil); err != nil || len(got) != 0 {
		t.Errorf("InstancesByPrivateIP of no address = %v, %v; want none", got, err)
	}
}

// A batch of addresses, more than a page of ECS's answer by default (10),
// in one call, each its own instance.
func testHundredAddresses(t *testing.T, s Subject) {
	s.SetVPC("asg-many", "vpc-m")
	var ips []string
	for i := range 120 {
		ip := fmt.Sprintf("10.1.%d.%d", i/100, i%100+1)
		s.SetAddress(fmt.Sprintf("i-many%03d", i), ip)
		if i < standby.AddressBatch {
			ips = append(ips, ip)
		}
	}
	got, err := s.Cloud.Addresses.InstancesByPrivateIP(context.Background(), s.Session, "vpc-m", ips)
	if err != nil || len(got) != standby.AddressBatch || !reflect.DeepEqual(got["10.1.0.100"], []string{"i-many099"}) {
		t.Errorf("InstancesByPrivateIP of %d = %d addresses, %v (the last %v); want each with its instance", len(ips), len(got), err, got["10.1.0.100"])
	}
}

func testAddressBatch(t *testing.T, s Subject) {
	var ips []string
	for i := range standby.AddressBatch + 1 {
		ips = append(ips, fmt.Sprintf("10.2.0.%d", i+1))
	}
	expectCode(t, "InstancesByPrivateIP of 101", "InvalidParameter", standby.Invalid)(s.Cloud.Addresses.InstancesByPrivateIP(context.Background(), s.Session, "vpc-a", ips))
}

// ECS holds no elastic container instance: its address is none of ECS's
// instances', beside an ECS instance of the same group found.
func testECIAddress(t *testing.T, s Subject) {
	s.SetVPC("asg-mixed", "vpc-x")
	s.SetAddress("i-m1", "10.3.0.1")
	s.SetAddress(eciM(0), "10.3.0.2")
	got, err := s.Cloud.Addresses.InstancesByPrivateIP(context.Background(), s.Session, "vpc-x", []string{"10.3.0.1", "10.3.0.2"})
	if want := map[string][]string{"10.3.0.1": {"i-m1"}}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("InstancesByPrivateIP = %v, %v; want %v", got, err, want)
	}
}

// addressesCalls are a call of each method of standby.Addresses: asg-b's
// VPC, and i-b1 at 10.0.2.1 in it, once a case has put them there.
func addressesCalls(ctx context.Context, s Subject) []portCall {
	return []portCall{
		{"GroupVPCs", func() error {
			_, err := s.Cloud.Addresses.GroupVPCs(ctx, s.Session, []string{"asg-b"})
			return err
		}},
		{"InstancesByPrivateIP", func() error {
			_, err := s.Cloud.Addresses.InstancesByPrivateIP(ctx, s.Session, "vpc-b", []string{"10.0.2.1"})
			return err
		}},
	}
}
