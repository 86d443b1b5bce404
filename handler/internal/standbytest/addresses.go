package standbytest

import (
	"context"
	"slices"

	"ess-standby/handler/standby"
)

// The fake's networks, for standby.Addresses: each group in a VPC (SetVPC;
// a group in none is of the classic network), each instance at the
// private IP SetAddress gives it, in its group's VPC. Its ECS instances
// are its groups' instances, elastic container instances aside, which ECS
// does not hold.

// SetVPC puts a group in a VPC ("": the classic network).
func (f *Fake) SetVPC(group, vpc string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.vpc == nil {
		f.vpc = map[string]string{}
	}
	f.vpc[group] = vpc
}

// SetAddress gives an instance a private IP, in its group's VPC.
func (f *Fake) SetAddress(id, ip string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.address == nil {
		f.address = map[string]string{}
	}
	f.address[id] = ip
}

// FailVPC is Fail for the calls naming vpc alone (InstancesByPrivateIP).
func (f *Fake) FailVPC(method, vpc string, times int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, failure{method: method, vpc: vpc, times: times, err: err})
}

// tooMany refuses a call naming more than limit of name, as Auto Scaling
// and ECS refuse a parameter past its documented limit; handler/ess
// refuses it the same way, before any call.
func tooMany(name string) error {
	return &standby.Error{Kind: standby.Invalid, Code: "InvalidParameter", Message: "The specified value of parameter \"" + name + "\" is not valid."}
}

func (f *Fake) GroupVPCs(_ context.Context, s standby.Session, groupIDs []string) (map[string]string, error) {
	f.hook("GroupVPCs")
	f.mu.Lock()
	defer f.mu.Unlock()
	if blank, err := f.record(Call{Method: "GroupVPCs", Session: s, IDs: groupIDs}); err != nil || blank {
		return nil, err
	}
	if len(groupIDs) > standby.GroupBatch {
		return nil, tooMany("ScalingGroupId")
	}
	out := map[string]string{}
	for _, g := range groupIDs {
		if slices.Contains(f.groups, g) && f.inRegion(s) {
			out[g] = f.vpc[g]
		}
	}
	return out, nil
}

func (f *Fake) InstancesByPrivateIP(_ context.Context, s standby.Session, vpcID string, ips []string) (map[string][]string, error) {
	f.hook("InstancesByPrivateIP")
	f.mu.Lock()
	defer f.mu.Unlock()
	if blank, err := f.record(Call{Method: "InstancesByPrivateIP", Session: s, VpcID: vpcID, IDs: ips}); err != nil || blank {
		return nil, err
	}
	if len(ips) > standby.AddressBatch {
		return nil, tooMany("PrivateIpAddresses")
	}
	out := map[string][]string{}
	if !f.inRegion(s) || vpcID == "" {
		return out, nil
	}
	for id, g := range f.groupOf {
		if ip := f.address[id]; ip != "" && f.vpc[g] == vpcID && !elastic(id) && slices.Contains(ips, ip) {
			out[ip] = append(out[ip], id)
		}
	}
	for _, ids := range out {
		slices.Sort(ids)
	}
	return out, nil
}
