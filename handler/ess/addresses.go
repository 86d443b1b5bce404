package ess

import (
	"context"
	"encoding/json"
	"slices"

	"ess-standby/handler/standby"
)

// Finding instances by their private IP (standby.Addresses): the groups'
// VPCs from Auto Scaling's DescribeScalingGroups (API 2014-08-28,
// ScalingGroupId.N up to 20, its VpcId), and the instances at the
// addresses in one VPC from ECS's DescribeInstances (API 2014-05-26,
// InstanceNetworkType vpc, VpcId, PrivateIpAddresses a JSON array of up to
// 100, PageSize up to 100). Each answer fails closed as the other reads
// do: one without what the lookup reads is no answer, nor is one that
// lists an instance of another VPC or one holding none of the addresses
// asked, since nothing says which address it was listed for.

var describeECSInstances = action{ecs, "DescribeInstances"}

var _ standby.Addresses = (*Client)(nil)

// GroupVPCs reads the VPCs of at most standby.GroupBatch groups in one
// page of DescribeScalingGroups. A group listed with a vSwitch but no VpcId
// is in a VPC the answer does not name, and the answer is no answer: the
// API reference's own example lists VSwitchId without VpcId, and read as
// the classic network every address in that group's VPC would be unknown.
func (c *Client) GroupVPCs(ctx context.Context, s standby.Session, groupIDs []string) (map[string]string, error) {
	out := map[string]string{}
	switch {
	case len(groupIDs) == 0:
		return out, nil // a call naming no group would list every group of the region
	case len(groupIDs) > standby.GroupBatch:
		return nil, tooMany("ScalingGroupId")
	}
	params := listed(map[string]string{"PageSize": "50", "PageNumber": "1"}, "ScalingGroupId", groupIDs)
	var resp struct {
		TotalCount    *flexInt
		ScalingGroups struct {
			ScalingGroup list[struct {
				ScalingGroupId, VpcId, VSwitchId string
				VSwitchIds                       struct{ VSwitchId []string }
			}]
		}
	}
	if err := c.rpc(ctx, s, describeScalingGroups, params, &resp); err != nil {
		return nil, err
	}
	groups := resp.ScalingGroups.ScalingGroup
	if what := pageLacks(resp.TotalCount, groups.given, "ScalingGroups"); what != "" {
		return nil, incomplete(s, describeScalingGroups, what)
	}
	if int(*resp.TotalCount) > len(groups.items) {
		return nil, incomplete(s, describeScalingGroups, "all the groups it counts on one page")
	}
	for _, g := range groups.items {
		switch {
		case g.ScalingGroupId == "":
			return nil, incomplete(s, describeScalingGroups, "a group's ScalingGroupId")
		case g.VpcId == "" && (g.VSwitchId != "" || len(g.VSwitchIds.VSwitchId) > 0):
			return nil, incomplete(s, describeScalingGroups, "the VpcId of group "+g.ScalingGroupId+", which has a vSwitch")
		}
		if slices.Contains(groupIDs, g.ScalingGroupId) { // never believe more than was asked
			out[g.ScalingGroupId] = g.VpcId
		}
	}
	return out, nil
}

// ecsInstance is the part of an instance in a DescribeInstances answer
// read here: its ID, its VPC, and the private IPs it shows, on the
// instance and on its network interfaces.
type ecsInstance struct {
	InstanceId    string
	VpcAttributes *struct {
		VpcId            string
		PrivateIpAddress struct{ IpAddress []string }
	}
	NetworkInterfaces struct {
		NetworkInterface []struct {
			PrimaryIpAddress string
			PrivateIpSets    struct {
				PrivateIpSet []struct{ PrivateIpAddress string }
			}
		}
	}
}

// addresses are the private IPs the instance shows.
func (in ecsInstance) addresses() []string {
	var out []string
	if in.VpcAttributes != nil {
		out = append(out, in.VpcAttributes.PrivateIpAddress.IpAddress...)
	}
	for _, eni := range in.NetworkInterfaces.NetworkInterface {
		out = append(out, eni.PrimaryIpAddress)
		for _, set := range eni.PrivateIpSets.PrivateIpSet {
			out = append(out, set.PrivateIpAddress)
		}
	}
	return out
}

// holding is those of asked that the instance shows, each once, in the
// order it shows them.
func (in ecsInstance) holding(asked []string) []string {
	var held []string
	for _, ip := range in.addresses() {
		if slices.Contains(asked, ip) && !slices.Contains(held, ip) {
			held = append(held, ip)
		}
	}
	return held
}

// InstancesByPrivateIP reads DescribeInstances for at most
// standby.AddressBatch addresses in one VPC, page by page, 100 at a time,
// until it holds TotalCount instances or a page comes back empty.
func (c *Client) InstancesByPrivateIP(ctx context.Context, s standby.Session, vpcID string, ips []string) (map[string][]string, error) {
	switch {
	case len(ips) == 0:
		return map[string][]string{}, nil // a call naming no address would list every instance of the VPC
	case len(ips) > standby.AddressBatch:
		return nil, tooMany("PrivateIpAddresses")
	case vpcID == "":
		// Without VpcId the call would look in every VPC of the region,
		// where the same address may be another instance's.
		return nil, &standby.Error{Kind: standby.Invalid, Code: "MissingParameter", Message: "VpcId: an address is looked up in one VPC"}
	}
	asked, _ := json.Marshal(ips)
	params := map[string]string{"InstanceNetworkType": "vpc", "VpcId": vpcID, "PrivateIpAddresses": string(asked), "PageSize": "100"}
	l := addressLookup{vpcID: vpcID, asked: ips, found: map[string][]string{}}
	if err := readPages(ctx, c, s, describeECSInstances, params, "its addresses hold", func(p *ecsInstancesPage) (pageTally, error) {
		return l.keep(s, p)
	}); err != nil {
		return nil, err
	}
	return l.found, nil
}

// ecsInstancesPage is the part of a DescribeInstances answer read here.
type ecsInstancesPage struct {
	TotalCount *flexInt
	Instances  struct{ Instance list[ecsInstance] }
}

// addressLookup is what InstancesByPrivateIP holds as it reads its pages.
type addressLookup struct {
	vpcID string
	asked []string
	seen  []string            // the instances read, each once
	found map[string][]string // the instances at each address asked
}

// keep reads one page into l.
func (l *addressLookup) keep(s standby.Session, p *ecsInstancesPage) (pageTally, error) {
	listed := p.Instances.Instance
	if what := pageLacks(p.TotalCount, listed.given, "Instances"); what != "" {
		return pageTally{}, incomplete(s, describeECSInstances, what)
	}
	for _, in := range listed.items {
		if err := l.add(s, in); err != nil {
			return pageTally{}, err
		}
	}
	return pageTally{total: int(*p.TotalCount), listed: len(listed.items), held: len(l.seen)}, nil
}

// add reads one instance listed, at the addresses asked that it holds; an
// instance without its ID or VPC, of another VPC, or holding none of them,
// makes the answer no answer.
func (l *addressLookup) add(s standby.Session, in ecsInstance) error {
	switch {
	case in.InstanceId == "":
		return incomplete(s, describeECSInstances, "an instance's InstanceId")
	case in.VpcAttributes == nil || in.VpcAttributes.VpcId == "":
		return incomplete(s, describeECSInstances, "the VpcId of instance "+in.InstanceId)
	}
	held := in.holding(l.asked)
	if in.VpcAttributes.VpcId != l.vpcID || len(held) == 0 {
		return &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable",
			Message: "ECS answered DescribeInstances with instance " + in.InstanceId + " of another VPC, or holding none of the addresses asked: nothing is read from it",
			Cause:   errorf(s, "DescribeInstances in %s: %s in %s, holding %v of %v", l.vpcID, in.InstanceId, in.VpcAttributes.VpcId, in.addresses(), l.asked)}
	}
	if slices.Contains(l.seen, in.InstanceId) {
		return nil // the same instance on two pages: counted once
	}
	l.seen = append(l.seen, in.InstanceId)
	for _, ip := range held {
		l.found[ip] = append(l.found[ip], in.InstanceId)
	}
	return nil
}

// tooMany refuses a call naming more of a parameter than the API takes,
// before it is made, as the API would (InvalidParameter).
func tooMany(name string) error {
	return &standby.Error{Kind: standby.Invalid, Code: "InvalidParameter", Message: "The specified value of parameter \"" + name + "\" is not valid."}
}
