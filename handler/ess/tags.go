package ess

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	"ess-standby/handler/standby"
)

// The tags of the group's instances, with the same session, each in the
// service that holds it: an ECS instance's in ECS's (API 2014-05-26), an
// elastic container instance's (eci-) in ECI's own (API 2018-08-08), which
// ECS's tag actions cannot reach. Both take TagResources, UntagResources
// and ListTagResources with the same parameters; they differ in resource
// type, in how many resources a call may name, and in the shape of
// ListTagResources' answer. One call of the interface names both kinds:
// it is split here, ECS's part first, and fails when any part fails.

// tagService is one service's tag API.
type tagService struct {
	tag, untag, list action
	resourceType     string
	// batch is how many resources one call names: ECS documents 50 (its
	// ResourceId.N, NumberExceed.ResourceIds beyond); ECI documents no
	// limit, so its calls keep to 20, the smallest limit Alibaba Cloud's
	// tag APIs document (Container Registry's ListTagResources).
	batch int
	// flat says ListTagResources answers a flat TagResources list (ECI's
	// reference and its generated SDK models) rather than ECS's
	// TagResources.TagResource.
	flat bool
}

var (
	ecsTags = tagService{tag: tagResources, untag: untagResources, list: listTagResources, resourceType: "instance", batch: standby.TagBatch}
	eciTags = tagService{tag: eciTagResources, untag: eciUntagResources, list: eciListTagResources, resourceType: "ContainerGroup", batch: 20, flat: true}
)

// elastic says whether an instance is an elastic container instance, whose
// tags are ECI's and which ECS does not hold.
func elastic(id string) bool { return strings.HasPrefix(id, "eci-") }

// part is one call's share of the instances: those of one service, at most
// its batch.
type part struct {
	svc tagService
	ids []string
}

// parts splits instanceIDs into calls, ECS's first: when ECS refuses its
// part, ECI's is not written either. More than standby.TagBatch is refused
// as ECS refuses it, whichever services hold them: the contract's limit
// is the same for a group of either kind.
func parts(s standby.Session, a string, instanceIDs []string) ([]part, error) {
	if len(instanceIDs) > standby.TagBatch {
		return nil, &standby.Error{Kind: standby.Invalid, Code: "NumberExceed.ResourceIds",
			Message: "at most " + strconv.Itoa(standby.TagBatch) + " instances a tag call", Cause: errorf(s, "%s of %d instances", a, len(instanceIDs))}
	}
	var out []part
	ecsIDs := slices.DeleteFunc(slices.Clone(instanceIDs), elastic)
	if len(ecsIDs) > 0 {
		out = append(out, part{ecsTags, ecsIDs})
	}
	for chunk := range slices.Chunk(slices.DeleteFunc(slices.Clone(instanceIDs), func(id string) bool { return !elastic(id) }), eciTags.batch) {
		out = append(out, part{eciTags, chunk})
	}
	return out, nil
}

func (c *Client) TagInstances(ctx context.Context, s standby.Session, instanceIDs []string, tags standby.Tags) error {
	ps, err := parts(s, "TagResources", instanceIDs)
	if err != nil {
		return err
	}
	for _, p := range ps {
		params := listed(map[string]string{"ResourceType": p.svc.resourceType}, "ResourceId", p.ids)
		for i, key := range slices.Sorted(maps.Keys(tags)) {
			n := strconv.Itoa(i + 1)
			params["Tag."+n+".Key"] = key
			if tags[key] != "" {
				params["Tag."+n+".Value"] = tags[key]
			}
		}
		var resp struct{ RequestId string }
		if err := c.rpc(ctx, s, p.svc.tag, params, &resp); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) UntagInstances(ctx context.Context, s standby.Session, instanceIDs []string, keys []string) error {
	ps, err := parts(s, "UntagResources", instanceIDs)
	if err != nil {
		return err
	}
	for _, p := range ps {
		params := listed(listed(map[string]string{"ResourceType": p.svc.resourceType}, "ResourceId", p.ids), "TagKey", keys)
		var resp struct{ RequestId string }
		if err := c.rpc(ctx, s, p.svc.untag, params, &resp); err != nil {
			return err
		}
	}
	return nil
}

// maxTagPages bounds one part's read: 50 instances hold at most 1,000
// tags, which no page size a service might use (ten or more) spreads over
// more pages than this.
const maxTagPages = 100

// tagEntry is one tag of one resource, as ListTagResources lists it.
type tagEntry struct{ ResourceId, ResourceType, TagKey, TagValue string }

// InstanceTags reads each part's tags, following ListTagResources'
// NextToken to the end.
func (c *Client) InstanceTags(ctx context.Context, s standby.Session, instanceIDs []string, prefix string) (map[string]standby.Tags, error) {
	ps, err := parts(s, "ListTagResources", instanceIDs)
	if err != nil {
		return nil, err
	}
	out := map[string]standby.Tags{}
	for _, p := range ps {
		if err := c.readTags(ctx, s, p, prefix, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readTags adds p's instances' tags under prefix to out.
func (c *Client) readTags(ctx context.Context, s standby.Session, p part, prefix string, out map[string]standby.Tags) error {
	next := ""
	for range maxTagPages {
		params := listed(map[string]string{"ResourceType": p.svc.resourceType, "NextToken": next}, "ResourceId", p.ids)
		var resp struct {
			NextToken    string
			TagResources json.RawMessage
		}
		if err := c.rpc(ctx, s, p.svc.list, params, &resp); err != nil {
			return err
		}
		// Read as no tags, a list not given, or a tag not said to be whose
		// or which, would have a sweep take the function's own instance
		// for one it did not park.
		tags, err := p.svc.entries(resp.TagResources)
		if err != nil || !tags.given {
			return incomplete(s, p.svc.list, "its TagResources list")
		}
		for _, t := range tags.items {
			switch "" {
			case t.ResourceId:
				return incomplete(s, p.svc.list, "a tag's ResourceId")
			case t.TagKey:
				return incomplete(s, p.svc.list, "a tag's TagKey")
			}
			if !slices.Contains(p.ids, t.ResourceId) || t.ResourceType != "" && t.ResourceType != p.svc.resourceType || !strings.HasPrefix(t.TagKey, prefix) {
				continue // never believe more than was asked
			}
			if out[t.ResourceId] == nil {
				out[t.ResourceId] = standby.Tags{}
			}
			out[t.ResourceId][t.TagKey] = t.TagValue
		}
		if next = resp.NextToken; next == "" {
			return nil
		}
	}
	return &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable",
		Message: serviceName(p.svc.list.product) + " answered ListTagResources with more pages than " + strconv.Itoa(standby.TagBatch) + " instances' tags can fill: nothing is read from it",
		Cause:   errorf(s, "ListTagResources: more than %d pages", maxTagPages)}
}

// entries reads a ListTagResources answer's TagResources in the service's
// shape; absent, the list is not given.
func (svc tagService) entries(raw json.RawMessage) (list[tagEntry], error) {
	var l list[tagEntry]
	if raw == nil {
		return l, nil
	}
	if svc.flat {
		err := l.UnmarshalJSON(raw)
		return l, err
	}
	var nested struct{ TagResource list[tagEntry] }
	err := json.Unmarshal(raw, &nested)
	return nested.TagResource, err
}
