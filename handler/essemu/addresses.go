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
	region := params.Get("RegionId")
	if region == "" {
		return nil, missing("RegionId")
	}
	network := params.Get("InstanceNetworkType")
	if network != "" && network != "classic" && network != "vpc" {
		return nil, errorf(404, "InvalidNetworkType.NotFound", "The specified InstanceNetworkType is not found")
	}
	var addresses []string
	if v := params.Get("PrivateIpAddresses"); v != "" {
		if err := json.Unmarshal([]byte(v), &addresses); err != nil || len(addresses) > maxAddresses {
			return nil, invalid("PrivateIpAddresses")
		}
	}
	number, size, err := page(params, 100)
	if err != nil {
		return nil, err
	}
	vpc := params.Get("VpcId")
	var matched []map[string]any
	for _, g := range w.groups {
		if g.Region != region {
			continue
		}
		kind := "classic"
		if g.VpcID != "" {
			kind = "vpc"
		}
		if network != "" && network != kind || vpc != "" && g.VpcID != vpc {
			continue
		}
		for _, in := range g.instances {
			if in.eci() || network == "vpc" && addresses != nil && (in.ip == "" || !slices.Contains(addresses, in.ip)) {
				continue
			}
			matched = append(matched, in.ecsInstance(kind))
		}
	}
	return map[string]any{"TotalCount": len(matched), "PageNumber": number, "PageSize": size, "NextToken": "",
		"Instances": map[string]any{"Instance": nonNil(window(matched, number, size))}}, nil
}

// ecsInstance is an ECS instance as DescribeInstances lists it, in the
// network of its kind (classic or vpc), the fields of the API reference's
// example that say where it is.
func (in *instance) ecsInstance(kind string) map[string]any {
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
	out["VpcAttributes"] = map[string]any{"VpcId": in.group.VpcID, "VSwitchId": "vsw-" + strings.TrimPrefix(in.group.VpcID, "vpc-"), "NatIpAddress": "",
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
