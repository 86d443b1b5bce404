package essemu

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ECS's API (2014-05-26), as far as the function uses it: the tags of the
// group's ECS instances (TagResources, UntagResources and ListTagResources,
// ResourceType instance), their status (DescribeInstanceStatus), and the
// instances at private IPs in a VPC (DescribeInstances, addresses.go), with
// ECS's documented limits and error codes. ECS holds no elastic container
// instance: an eci- instance's tags are ECI's (eci.go), and ECS answers for
// one as for any instance it does not hold.

// ecsVersion is ECS's API version; ecsActions are the actions served under it.
const ecsVersion = "2014-05-26"

var ecsActions = map[string]actionFunc{
	"TagResources":                onWorld((*world).tagResources),
	"UntagResources":              onWorld((*world).untagResources),
	"ListTagResources":            onWorld((*world).listTagResources),
	"DescribeInstanceStatus":      onWorld((*world).describeInstanceStatus),
	"DescribeInstances":           onWorld((*world).describeECSInstances),
	"CreateSimulatedSystemEvents": (*Server).simulate,
}

// essVersion is Auto Scaling's API version.
const essVersion = "2014-08-28"

// version is the API version an action is served under: ECS's for its
// actions, Auto Scaling's for the others. ECI's tag actions have ECS's
// names and are told apart by their version alone (served).
func version(action string) string {
	if _, ok := ecsActions[action]; ok {
		return ecsVersion
	}
	return essVersion
}

// served says whether a call of action under apiVersion reaches an API the
// emulator serves: ECS's or Auto Scaling's by version, or ECI's tag actions
// under ECI's version.
func served(action, apiVersion string) bool {
	return apiVersion == version(action) || apiVersion == eciVersion && eciActions[action] != nil
}

const (
	maxTagResources = 50 // ResourceId.N per call
	maxTagsPerCall  = 20 // Tag.N, TagKey.N per call
	maxTagsPerECS   = 20 // tags an instance may hold
	maxTagText      = 128
	tagPage         = 50 // tag resources per ListTagResources page
)

// Tags reports an instance's tags, as ECS holds them, or for an elastic
// container instance as ECI does.
func (s *Server) Tags(id string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.w.instance(id); in != nil {
		return maps.Clone(in.tags)
	}
	return nil
}

// SetTags gives an instance tags, as another writer would.
func (s *Server) SetTags(id string, tags map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.w.instance(id); in != nil {
		in.tags = maps.Clone(tags)
	}
}

// SetStatus sets an instance's ECS status (Running unless set), as a stop
// or a reboot would.
func (s *Server) SetStatus(id, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.w.instance(id); in != nil {
		in.status = status
	}
}

// maxStatusIDs is how many InstanceId.N DescribeInstanceStatus takes.
const maxStatusIDs = 100

// describeInstanceStatus answers the status of the region's instances
// (those of InstanceId.N, if given), a page at a time, with TotalCount. An
// ID ECS does not know is not listed, nor is an elastic container
// instance, which is no ECS instance.
func (w *world) describeInstanceStatus(params url.Values) (map[string]any, *apiError) {
	region := params.Get("RegionId")
	if region == "" {
		return nil, missing("RegionId")
	}
	ids, err := repeated(params, "InstanceId", maxStatusIDs)
	if err != nil {
		return nil, err
	}
	number, size, err := page(params, 50)
	if err != nil {
		return nil, err
	}
	var all []map[string]any
	for _, g := range w.groups {
		if g.Region != region {
			continue
		}
		for _, in := range g.instances {
			if !in.eci() && (len(ids) == 0 || slices.Contains(ids, in.id)) {
				all = append(all, map[string]any{"InstanceId": in.id, "Status": cmp.Or(in.status, "Running")})
			}
		}
	}
	return map[string]any{"TotalCount": len(all), "PageNumber": number, "PageSize": size,
		"InstanceStatuses": map[string]any{"InstanceStatus": nonNil(window(all, number, size))}}, nil
}

// tagged reads a tag call's instances: RegionId, ResourceType=instance,
// ResourceId.N, each an ECS instance of a group in the region. What ECS
// answers for an elastic container instance's ID is undocumented: it holds
// none, so it is answered as an ID ECS does not hold, and nothing of the
// call is done.
func (w *world) tagged(params url.Values) ([]*instance, *apiError) {
	return w.resources(params, ecsTags)
}

// resources reads a tag call's instances as the dialect d names them:
// RegionId, its ResourceType, at most its ResourceId.N, each an instance of
// a group in the region that the product holds.
func (w *world) resources(params url.Values, d tagDialect) ([]*instance, *apiError) {
	region := params.Get("RegionId")
	if region == "" {
		return nil, missing("RegionId")
	}
	switch rt := params.Get("ResourceType"); {
	case rt == "":
		return nil, missing("ResourceType")
	case rt != d.resourceType:
		return nil, errorf(404, "InvalidResourceType.NotFound", "The ResourceType provided does not exist in our records.")
	}
	if len(numbered(params, "ResourceId")) > d.resources {
		return nil, errorf(400, "NumberExceed.ResourceIds", "The maximum number of ResourceIds is exceeded.")
	}
	ids, err := repeated(params, "ResourceId", d.resources)
	switch {
	case err != nil:
		return nil, err
	case len(ids) == 0:
		return nil, missing("ResourceId")
	}
	var out []*instance
	for _, id := range ids {
		in := w.instance(id)
		if in == nil || in.group.Region != region || in.eci() != d.eci {
			return nil, errorf(404, "InvalidResourceId.NotFound", "The specified ResourceIds are not found in our records.")
		}
		out = append(out, in)
	}
	return out, nil
}

// numbered lists the parameters name.N given, whatever N.
func numbered(params url.Values, name string) []string {
	var keys []string
	for k := range params {
		if rest, ok := strings.CutPrefix(k, name+"."); ok && !strings.Contains(rest, ".") {
			keys = append(keys, k)
		}
	}
	return keys
}

func validTagText(v string, key bool) bool {
	l := strings.ToLower(v)
	return len([]rune(v)) <= maxTagText && !strings.HasPrefix(l, "acs:") && !(key && strings.HasPrefix(l, "aliyun")) &&
		!strings.Contains(l, "http://") && !strings.Contains(l, "https://") && (!key || v != "")
}

// tagDialect is what sets one product's tag actions apart: ECS's and ECI's
// share their shape, and differ in their limits, their rules for a key or
// a value, and their refusals.
type tagDialect struct {
	resourceType         string // ResourceType
	resources            int    // ResourceId.N a call takes
	eci                  bool   // it holds elastic container instances, and no ECS instance
	perCall, perInstance int
	valid                func(v string, key bool) bool
	tooMany, quota       func() *apiError // more tags than a call takes; than an instance holds
	duplicates           bool             // a key given twice is refused (ECS)
}

var ecsTags = tagDialect{resourceType: "instance", resources: maxTagResources, perCall: maxTagsPerCall, perInstance: maxTagsPerECS, valid: validTagText, duplicates: true,
	tooMany: func() *apiError { return errorf(400, "NumberExceed.Tags", "The maximum number of Tags is exceeded.") },
	quota: func() *apiError {
		return errorf(400, "OperationDenied.QuotaExceed", "The quota of tags on resource is beyond permitted range.")
	}}

func (w *world) tagResources(params url.Values) (map[string]any, *apiError) {
	targets, err := w.tagged(params)
	if err != nil {
		return nil, err
	}
	return ecsTags.tag(targets, params)
}

// tag writes Tag.N on every target, or, when one would then hold more than
// the product allows, on none.
func (d tagDialect) tag(targets []*instance, params url.Values) (map[string]any, *apiError) {
	tags := map[string]string{}
	for n := 1; ; n++ {
		key, ok := params["Tag."+strconv.Itoa(n)+".Key"]
		if !ok {
			break
		}
		value := params.Get("Tag." + strconv.Itoa(n) + ".Value")
		switch _, dup := tags[key[0]]; {
		case n > d.perCall:
			return nil, d.tooMany()
		case !d.valid(key[0], true):
			return nil, errorf(400, "InvalidTagKey.Malformed", "The specified Tag.n.Key is not valid.")
		case !d.valid(value, false):
			return nil, errorf(400, "InvalidTagValue.Malformed", "The specified Tag.n.Value is not valid.")
		case dup && d.duplicates:
			return nil, errorf(400, "Duplicate.TagKey", "The Tag.N.Key contain duplicate key.")
		}
		tags[key[0]] = value
	}
	if len(tags) == 0 {
		return nil, missing("Tag")
	}
	for _, in := range targets { // all or nothing
		after := maps.Clone(in.tags)
		if after == nil {
			after = map[string]string{}
		}
		if maps.Copy(after, tags); len(after) > d.perInstance {
			return nil, d.quota()
		}
	}
	for _, in := range targets {
		if in.tags == nil {
			in.tags = map[string]string{}
		}
		maps.Copy(in.tags, tags)
	}
	return map[string]any{}, nil
}

func (w *world) untagResources(params url.Values) (map[string]any, *apiError) {
	targets, err := w.tagged(params)
	if err != nil {
		return nil, err
	}
	return ecsTags.untag(targets, params)
}

// untag removes TagKey.N from every target, or with All and no key every
// tag.
func (d tagDialect) untag(targets []*instance, params url.Values) (map[string]any, *apiError) {
	if len(numbered(params, "TagKey")) > d.perCall {
		return nil, d.tooMany()
	}
	keys, err := repeated(params, "TagKey", d.perCall)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 && params.Get("All") != "true" {
		return nil, missing("TagKey")
	}
	for _, in := range targets {
		if len(keys) == 0 { // All applies only when no TagKey.N is given
			in.tags = nil
		}
		for _, k := range keys {
			delete(in.tags, k)
		}
	}
	return map[string]any{}, nil
}

// listTagResources answers the tags of ResourceId.N, a page of tagPage
// tag resources at a time, with the NextToken of the next.
func (w *world) listTagResources(params url.Values) (map[string]any, *apiError) {
	targets, err := w.tagged(params)
	if err != nil {
		return nil, err
	}
	rows, next, err := tagRows(targets, "instance", "page-", tagPage, params)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"TagResources": map[string]any{"TagResource": rows}, "NextToken": next}
	return out, nil
}

// SimulatedEvent is a simulated system event ECS scheduled
// (CreateSimulatedSystemEvents).
type SimulatedEvent struct {
	EventID, EventType, InstanceID, Region string
	NotBefore, Published                   time.Time
}

// simulatedTypes are the event types CreateSimulatedSystemEvents takes.
var simulatedTypes = []string{"SystemMaintenance.Reboot", "SystemFailure.Reboot", "InstanceFailure.Reboot"}

// OnSimulated tells deliver of each simulated event scheduled from now on,
// once ECS has answered, as EventBridge would deliver its notice.
func (s *Server) OnSimulated(deliver func(SimulatedEvent)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onSimulated = deliver
}

// Simulated reports the simulated events scheduled.
func (s *Server) Simulated() []SimulatedEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.simulated)
}

// simulate schedules a simulated event per InstanceId.N (at most 100,
// each an instance of the region), of EventType, not before NotBefore
// (yyyy-MM-ddTHH:mm:ssZ). s.mu is held.
func (s *Server) simulate(params url.Values) (map[string]any, *apiError) {
	region, typ := params.Get("RegionId"), params.Get("EventType")
	switch {
	case region == "":
		return nil, missing("RegionId")
	case typ == "":
		return nil, missing("EventType")
	case !slices.Contains(simulatedTypes, typ):
		return nil, invalid("EventType")
	}
	notBefore, err := time.Parse("2006-01-02T15:04:05Z", params.Get("NotBefore"))
	if err != nil {
		return nil, invalid("NotBefore")
	}
	ids, apiErr := repeated(params, "InstanceId", maxStatusIDs)
	switch {
	case apiErr != nil:
		return nil, apiErr
	case len(ids) == 0:
		return nil, missing("InstanceId")
	}
	var eventIDs []string
	for _, id := range ids {
		if in := s.w.instance(id); in == nil || in.group.Region != region || in.eci() {
			return nil, errorf(404, "InvalidInstanceId.NotFound", "The specified InstanceId does not exist.")
		}
	}
	for _, id := range ids {
		ev := SimulatedEvent{EventID: fmt.Sprintf("e-sim%06d", len(s.simulated)+1), EventType: typ, InstanceID: id, Region: region, NotBefore: notBefore, Published: s.now()}
		s.simulated = append(s.simulated, ev)
		s.undelivered = append(s.undelivered, ev)
		eventIDs = append(eventIDs, ev.EventID)
	}
	return map[string]any{"EventIdSet": map[string]any{"EventId": eventIDs}}, nil
}

// CloudEvent is the event as EventBridge delivers an ECS system event's
// first notice to a function, in the shape of events/'s samples: Scheduled
// for a maintenance; Executing for a failure, which ECS documents as under
// way once created.
func (ev SimulatedEvent) CloudEvent() []byte {
	status := "Scheduled"
	if !strings.HasPrefix(ev.EventType, "SystemMaintenance.") {
		status = "Executing"
	}
	b, _ := json.Marshal(map[string]any{
		"id": "sim-" + ev.EventID, "source": "acs.ecs", "specversion": "1.0", "type": "ecs:Instance:" + ev.EventType,
		"subject": "acs:ecs:" + ev.Region + ":1234567890123456:instance/" + ev.InstanceID, "time": ev.Published.UTC().Format(time.RFC3339),
		"datacontenttype": "application/json;charset=utf-8", "aliyunregionid": ev.Region, "aliyuneventbusname": "default",
		"data": map[string]string{"eventId": ev.EventID, "publishTime": ev.Published.UTC().Format(time.RFC3339), "notBefore": ev.NotBefore.UTC().Format(time.RFC3339),
			"instanceId": ev.InstanceID, "eventType": ev.EventType, "eventStatus": status},
	})
	return b
}

// tagRows pages the tags of targets, one row a tag, size rows from the
// place the NextToken in params names (prefix, then the place): ECS and
// ECI page alike, and shape their answers each its own way. next is the
// next page's token, "" after the last.
func tagRows(targets []*instance, resourceType, prefix string, size int, params url.Values) (rows []map[string]any, next string, err *apiError) {
	var all []map[string]any
	for _, in := range targets {
		for _, k := range slices.Sorted(maps.Keys(in.tags)) {
			all = append(all, map[string]any{"ResourceId": in.id, "ResourceType": resourceType, "TagKey": k, "TagValue": in.tags[k]})
		}
	}
	from := 0
	if token := params.Get("NextToken"); token != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(token, prefix))
		if err != nil || !strings.HasPrefix(token, prefix) || n < 0 || n > len(all) {
			return nil, "", errorf(400, "InvalidNextToken.Malformed", "The specified NextToken is not valid.")
		}
		from = n
	}
	to := min(from+size, len(all))
	if to < len(all) {
		next = prefix + strconv.Itoa(to)
	}
	return nonNil(all[from:to]), next, nil
}
