package ess

import (
	"context"
	"slices"

	"ess-standby/handler/standby"
)

// The status of the group's ECS instances, through ECS's
// DescribeInstanceStatus (API 2014-05-26: InstanceId.N up to 100, PageSize
// up to 50). Their tags, and those of elastic container instances, are in
// tags.go.

// InstanceStatuses reads ECS's status of at most 20 instances in one page
// of DescribeInstanceStatus (PageSize at most 50). An answer that counts
// more than it lists, or lists an instance not asked for, is no answer.
// Elastic container instances are not asked about: ECS holds none, and a
// call naming no instance would read every instance of the region.
func (c *Client) InstanceStatuses(ctx context.Context, s standby.Session, instanceIDs []string) (map[string]string, error) {
	instanceIDs = slices.DeleteFunc(slices.Clone(instanceIDs), elastic)
	if len(instanceIDs) == 0 {
		return map[string]string{}, nil
	}
	params := listed(map[string]string{"PageSize": "50"}, "InstanceId", instanceIDs)
	var resp struct {
		TotalCount       *flexInt
		InstanceStatuses struct {
			InstanceStatus list[struct{ InstanceId, Status string }]
		}
	}
	if err := c.rpc(ctx, s, describeInstanceStatus, params, &resp); err != nil {
		return nil, err
	}
	if !resp.InstanceStatuses.InstanceStatus.given {
		return nil, incomplete(s, describeInstanceStatus, "its InstanceStatuses list")
	}
	got := resp.InstanceStatuses.InstanceStatus.items
	out := map[string]string{}
	for _, in := range got {
		if slices.Contains(instanceIDs, in.InstanceId) && in.Status != "" {
			out[in.InstanceId] = in.Status
		}
	}
	if resp.TotalCount == nil || int(*resp.TotalCount) != len(got) || len(out) != len(got) {
		return nil, &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: "ECS answered DescribeInstanceStatus with statuses it does not account for: nothing is read from it",
			Cause: errorf(s, "DescribeInstanceStatus: TotalCount %v, %d listed, %d of those asked", resp.TotalCount, len(got), len(out))}
	}
	return out, nil
}
