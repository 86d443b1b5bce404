package ess

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"

	"ess-standby/handler/standby"
)

// The tags of the group's instances, through ECS's API with the same
// session: TagResources, UntagResources and ListTagResources, on
// ResourceType instance (ECS API 2014-05-26: at most 50 resources and 20
// tags a call; a tag written again takes the new value); and their status,
// through DescribeInstanceStatus.

func (c *Client) TagInstances(ctx context.Context, s standby.Session, instanceIDs []string, tags standby.Tags) error {
	params := listed(map[string]string{"ResourceType": "instance"}, "ResourceId", instanceIDs)
	for i, key := range slices.Sorted(maps.Keys(tags)) {
		n := strconv.Itoa(i + 1)
		params["Tag."+n+".Key"] = key
		if tags[key] != "" {
			params["Tag."+n+".Value"] = tags[key]
		}
	}
	var resp struct{ RequestId string }
	return c.rpc(ctx, s, tagResources, params, &resp)
}

func (c *Client) UntagInstances(ctx context.Context, s standby.Session, instanceIDs []string, keys []string) error {
	params := listed(listed(map[string]string{"ResourceType": "instance"}, "ResourceId", instanceIDs), "TagKey", keys)
	var resp struct{ RequestId string }
	return c.rpc(ctx, s, untagResources, params, &resp)
}

// maxTagPages bounds InstanceTags: 20 instances hold at most 400 tags,
// which no page size ECS might use spreads over more pages than this.
const maxTagPages = 40

// InstanceTags follows ListTagResources' NextToken to the end.
func (c *Client) InstanceTags(ctx context.Context, s standby.Session, instanceIDs []string, prefix string) (map[string]standby.Tags, error) {
	out := map[string]standby.Tags{}
	next := ""
	for range maxTagPages {
		params := listed(map[string]string{"ResourceType": "instance", "NextToken": next}, "ResourceId", instanceIDs)
		var resp struct {
			NextToken    string
			TagResources struct {
				TagResource list[struct{ ResourceId, ResourceType, TagKey, TagValue string }]
			}
		}
		if err := c.rpc(ctx, s, listTagResources, params, &resp); err != nil {
			return nil, err
		}
		// Read as no tags, a list not given, or a tag not said to be whose
		// or which, would have a sweep take the function's own instance
		// for one it did not park.
		tags := resp.TagResources.TagResource
		if !tags.given {
			return nil, incomplete(s, listTagResources, "its TagResources list")
		}
		for _, t := range tags.items {
			switch "" {
			case t.ResourceId:
				return nil, incomplete(s, listTagResources, "a tag's ResourceId")
			case t.TagKey:
				return nil, incomplete(s, listTagResources, "a tag's TagKey")
			}
			if !slices.Contains(instanceIDs, t.ResourceId) || t.ResourceType != "" && t.ResourceType != "instance" || !strings.HasPrefix(t.TagKey, prefix) {
				continue // never believe more than was asked
			}
			if out[t.ResourceId] == nil {
				out[t.ResourceId] = standby.Tags{}
			}
			out[t.ResourceId][t.TagKey] = t.TagValue
		}
		if next = resp.NextToken; next == "" {
			return out, nil
		}
	}
	return nil, &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: "ECS answered ListTagResources with more pages than 20 instances' tags can fill: nothing is read from it",
		Cause: errorf(s, "ListTagResources: more than %d pages", maxTagPages)}
}

// InstanceStatuses reads ECS's status of at most 20 instances in one page
// of DescribeInstanceStatus (PageSize at most 50). An answer that counts
// more than it lists, or lists an instance not asked for, is no answer.
func (c *Client) InstanceStatuses(ctx context.Context, s standby.Session, instanceIDs []string) (map[string]string, error) {
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
