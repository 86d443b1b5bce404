package essemu

import (
	"net/url"
	"strconv"
	"strings"
)

// ECI's API (2018-08-08), as far as the function uses it: the tags of the
// group's elastic container instances (eci-), which are ECI's own and which
// ECS's tag actions cannot reach (TagResources, UntagResources and
// ListTagResources, ResourceType ContainerGroup). ECI's API reference pages
// of the three give their parameters, ListTagResources' answer (a flat
// TagResources list and NextToken) and these codes: NumberExceed.Tags ("The
// length of tags exceeded limit: 20"), NoPermission.Tag; its user guide, at
// most 20 tags an instance. What they do not give is marked where it is
// modelled.

// eciVersion is ECI's API version; eciActions are the actions served under
// it, with ECS's names.
const eciVersion = "2018-08-08"

var eciActions = map[string]actionFunc{
	"TagResources":     onWorld((*world).eciTagResources),
	"UntagResources":   onWorld((*world).eciUntagResources),
	"ListTagResources": onWorld((*world).eciListTagResources),
}

const (
	// maxECIResources is the ResourceId.N an ECI tag call takes here.
	// ECI's reference gives no limit; the emulator refuses past the
	// smallest one Alibaba Cloud's tag APIs document (20), which is what
	// handler/ess sends at most, with ECS's code for it.
	maxECIResources = 20
	maxTagsPerECI   = 20 // tags an elastic container instance may hold (ECI's guide)
	eciTagPage      = 20 // ListTagResources' page when Limit is not given: the reference's example
)

// containerGroups reads an ECI tag call's instances: RegionId,
// ResourceType=ContainerGroup, ResourceId.N, each an elastic container
// instance of a group in the region. ECI's code for an ID it does not hold
// is undocumented: ECS's is used (the emulator's assumption), for an ECS
// instance's ID too, which ECI does not hold.
func (w *world) containerGroups(params url.Values) ([]*instance, *apiError) {
	return w.resources(params, eciTags)
}

// validECITag is ECI's rule for a tag's key (not empty) or value: at most
// 128 characters, not beginning aliyun or acs: (the value too, unlike
// ECS's), no http:// or https://.
func validECITag(v string, key bool) bool {
	l := strings.ToLower(v)
	return len([]rune(v)) <= maxTagText && !strings.HasPrefix(l, "acs:") && !strings.HasPrefix(l, "aliyun") &&
		!strings.Contains(l, "http://") && !strings.Contains(l, "https://") && (!key || v != "")
}

// eciTags is ECI's tag dialect. Past the 20 tags an instance may hold it
// answers NumberExceed.Tags, whose documented message names that limit
// (ECI documents no other code for it). Its reference documents both
// TagKey.N and All for UntagResources, though its user guide says an
// instance's tags cannot be deleted one by one.
var eciTags = tagDialect{resourceType: "ContainerGroup", resources: maxECIResources, eci: true, perCall: maxTagsPerECI, perInstance: maxTagsPerECI, valid: validECITag,
	tooMany: func() *apiError { return errorf(400, "NumberExceed.Tags", "The length of tags exceeded limit: 20.") },
	quota:   func() *apiError { return errorf(400, "NumberExceed.Tags", "The length of tags exceeded limit: 20.") }}

// eciTagResources writes Tag.N on every instance or, refused, on none.
func (w *world) eciTagResources(params url.Values) (map[string]any, *apiError) {
	targets, err := w.containerGroups(params)
	if err != nil {
		return nil, err
	}
	return eciTags.tag(targets, params)
}

// eciUntagResources removes TagKey.N (at most 20), or with All and no key
// every tag.
func (w *world) eciUntagResources(params url.Values) (map[string]any, *apiError) {
	targets, err := w.containerGroups(params)
	if err != nil {
		return nil, err
	}
	return eciTags.untag(targets, params)
}

// eciListTagResources answers the tags of ResourceId.N as ECI's reference
// shapes them, a flat TagResources list (ECS nests it in TagResource), a
// page of Limit (eciTagPage when not given) at a time, with the NextToken
// of the next.
func (w *world) eciListTagResources(params url.Values) (map[string]any, *apiError) {
	targets, err := w.containerGroups(params)
	if err != nil {
		return nil, err
	}
	size := eciTagPage
	if v := params.Get("Limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 { // its range is undocumented
			return nil, invalid("Limit")
		}
		size = n
	}
	rows, next, err := tagRows(targets, "ContainerGroup", "eci-page-", size, params)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"TagResources": rows, "NextToken": next}
	return out, nil
}
