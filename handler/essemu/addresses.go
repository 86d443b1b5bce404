package essemu

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

// ECS's DescribeInstances (API 2014-05-26), as far as finding an instance
// by its private IP takes it, as ECS's API reference documents it:
// RegionId; the filters VpcId, InstanceNetworkType (classic or vpc;
// anything else is InvalidNetworkType.NotFound, 404) and
// PrivateIpAddresses (a JSON array of up to 100, "valid when
// InstanceNetworkType is set to vpc": with any other network type it is
// ignored here, which is how the emulator reads "valid when"; an empty
// array matches nothing, as the reference says of InstanceIds'), all ANDed;
// PageNumber and PageSize (at most 100, 10 by default; the NextToken way
// of paging is not modelled). An address matches an instance's
// VpcAttributes.PrivateIpAddress, its primary private IP: whether ECS also
// matches secondary addresses is undocumented, and none is modelled. The
// ECS instances are the groups' instances, each in its group's VPC; an
// elastic container instance is none of ECS's. What ECS answers for a
// malformed or too long PrivateIpAddresses is undocumented: here,
// InvalidParameter.

// maxAddresses is how many addresses PrivateIpAddresses may list.
const maxAddresses = 100

// SetVPC puts a group in a VPC ("": the classic network), as if it had
// been made there.
func (s *Server) SetVPC(group, vpc string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.w.group(group); g.ID != "" {
		g.VpcID = vpc
	}
}

// SetPrivateIP gives an instance a private IP, in its group's VPC.
func (s *Server) SetPrivateIP(id, ip string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.w.instance(id); in != nil {
		in.ip = ip
	}
}

// describeECSInstances answers DescribeInstances: the region's ECS
// instances that every filter given matches, a page at a time, with
// TotalCount.
func (w *world) describeECSInstances(params url.Values) (map[string]any, *apiError) {
	f, err := readECSFilter(params)
	if err != nil {
		return nil, err
	}
	number, size, err := page(params, 100)
	if err != nil {
		return nil, err
	}
	var matched []map[string]any
	for _, in := range w.ecsInstances(f) {
		matched = append(matched, in.ecsInstance())
	}
	return map[string]any{"TotalCount": len(matched), "PageNumber": number, "PageSize": size, "NextToken": "",
		"Instances": map[string]any{"Instance": nonNil(window(matched, number, size))}}, nil
}

// ecsFilter is what DescribeInstances filters instances by: each field
// given ("" is not given).
type ecsFilter struct {
	region, network, vpc string
	addresses            []string // nil: not given; empty: matches nothing
}

// readECSFilter reads DescribeInstances' filters, refusing the first that
// is missing or not valid. PrivateIpAddresses is checked whatever the
// network type, and kept only with vpc's.
func readECSFilter(params url.Values) (ecsFilter, *apiError) {
	f := ecsFilter{region: params.Get("RegionId"), network: params.Get("InstanceNetworkType"), vpc: params.Get("VpcId")}
	if f.region == "" {
		return ecsFilter{}, missing("RegionId")
	}
	if f.network != "" && f.network != "classic" && f.network != "vpc" {
		return ecsFilter{}, errorf(404, "InvalidNetworkType.NotFound", "The specified InstanceNetworkType is not found")
	}
	if v := params.Get("PrivateIpAddresses"); v != "" {
		if err := json.Unmarshal([]byte(v), &f.addresses); err != nil || len(f.addresses) > maxAddresses {
			return ecsFilter{}, invalid("PrivateIpAddresses")
		}
	}
	if f.network != "vpc" {
		f.addresses = nil
	}
	return f, nil
}

// ecsInstances are the ECS instances f matches, in the groups' order.
func (w *world) ecsInstances(f ecsFilter) []*instance {
	var out []*instance
	for _, g := range w.groups {
		if g.Region != f.region || f.network != "" && f.network != g.network() || f.vpc != "" && f.vpc != g.VpcID {
			continue
		}
		for _, in := range g.instances {
			if !in.eci() && (f.addresses == nil || in.ip != "" && slices.Contains(f.addresses, in.ip)) {
				out = append(out, in)
			}
		}
	}
	return out
}

// network is the kind of network a group's instances are in: vpc in a
// VPC, or else classic.
func (g *group) network() string {
	if g.VpcID != "" {
		return "vpc"
	}
	return "classic"
}

// vSwitch is the vSwitch of a group's VPC.
func (g *group) vSwitch() string {
	return "vsw-" + strings.TrimPrefix(g.VpcID, "vpc-")
}

// ecsInstance is an ECS instance as DescribeInstances lists it, in its
// group's network, the fields of the API reference's example that say
// where it is.
func (in *instance) ecsInstance() map[string]any {
	kind := in.group.network()
	ips := []string{}
	if in.ip != "" {
		ips = append(ips, in.ip)
	}
	suffix := strings.TrimPrefix(in.id, "i-")
	out := map[string]any{
		"InstanceId": in.id, "RegionId": in.group.Region, "ZoneId": in.group.Region + "-h", "Status": "Running", "InstanceNetworkType": kind,
		"InstanceName": in.id, "HostName": in.id, "PublicIpAddress": map[string]any{"IpAddress": []string{}},
		"EipAddress": map[string]any{"AllocationId": "", "IpAddress": "", "InternetChargeType": ""},
	}
	if in.status != "" {
		out["Status"] = in.status
	}
	if kind == "classic" {
		out["InnerIpAddress"] = map[string]any{"IpAddress": ips}
		out["VpcAttributes"] = map[string]any{"VpcId": "", "VSwitchId": "", "NatIpAddress": "", "PrivateIpAddress": map[string]any{"IpAddress": []string{}}}
		out["NetworkInterfaces"] = map[string]any{"NetworkInterface": []any{}}
		return out
	}
	out["InnerIpAddress"] = map[string]any{"IpAddress": []string{}}
	out["VpcAttributes"] = map[string]any{"VpcId": in.group.VpcID, "VSwitchId": in.group.vSwitch(), "NatIpAddress": "",
		"PrivateIpAddress": map[string]any{"IpAddress": ips}}
	sets := []any{}
	if in.ip != "" {
		sets = append(sets, map[string]any{"PrivateIpAddress": in.ip, "Primary": true})
	}
	out["NetworkInterfaces"] = map[string]any{"NetworkInterface": []any{map[string]any{
		"Type": "Primary", "NetworkInterfaceId": "eni-" + suffix, "PrimaryIpAddress": in.ip, "MacAddress": "00:16:3e:00:00:01",
		"PrivateIpSets": map[string]any{"PrivateIpSet": sets}}}}
	return out
}
