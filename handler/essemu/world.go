package essemu

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// asyncPolls is how many DescribeScalingActivities answers show an Async
// activity InProgress before it is Successful.
const asyncPolls = 1

// world is the emulator's state: groups, instances, activities, used tokens
// and nonces. The Server's mutex guards it.
type world struct {
	groups     []*group
	activities []*activity
	tokens     map[string]tokenUse
	nonces     map[string]bool
	seen       map[string]int // how often each request (or activity) content came
}

type group struct {
	Group
	instances []*instance
}

type instance struct {
	id, state             string
	health                string
	weight, configuredWgt int
	group                 *group
	// tags are ECS's for an ECS instance and ECI's own for an elastic
	// container instance (eci-): each API reaches only its own (ecs.go,
	// eci.go), as ECS's TagResources cannot tag a container group.
	tags   map[string]string
	status string // its ECS status; "": Running
	ip     string // its private IP, in its group's VPC
}

// eci says whether the instance is an elastic container instance, whose
// tags are ECI's and which ECS does not hold.
func (in *instance) eci() bool { return strings.HasPrefix(in.id, "eci-") }

type activity struct {
	id, groupID, description string
	instances                []string
	pendingPolls             int
	start                    time.Time
}

type tokenUse struct {
	fingerprint string
	activityID  string
}

func newWorld(seed []Group) *world {
	w := &world{tokens: map[string]tokenUse{}, nonces: map[string]bool{}, seen: map[string]int{}}
	for _, sg := range seed {
		g := &group{Group: sg}
		g.Instances = nil
		for _, si := range sg.Instances {
			weight := si.Weight
			if weight == 0 {
				weight = 50
			}
			in := &instance{id: si.ID, health: "Healthy", configuredWgt: weight, group: g, tags: maps.Clone(si.Tags), ip: si.PrivateIP}
			in.setState(si.LifecycleState)
			g.instances = append(g.instances, in)
		}
		w.groups = append(w.groups, g)
	}
	return w
}

// requestID names a request by what it asks, not by when it came: calls
// made at once, in any order, get the same IDs run after run, so that
// answers can be compared exactly. The same request again gets another.
func (w *world) requestID(params url.Values) string {
	asked := url.Values{}
	for k, v := range params {
		switch k {
		case "Signature", "SignatureNonce", "Timestamp", "AccessKeyId", "SecurityToken":
		default:
			asked[k] = v
		}
	}
	return "473469C7-AA6F-4DC5-B3DB-" + strings.ToUpper(w.digest("request", asked.Encode())[:12])
}

// digest is a hex digest of content, told apart from its earlier comings.
func (w *world) digest(content ...string) string {
	key := strings.Join(content, "\x00")
	w.seen[key]++
	sum := sha256.Sum256([]byte(key + "\x00" + strconv.Itoa(w.seen[key])))
	return hex.EncodeToString(sum[:])
}

func (w *world) group(id string) *group {
	for _, g := range w.groups {
		if g.ID == id {
			return g
		}
	}
	return &group{}
}

func (w *world) instance(id string) *instance {
	for _, g := range w.groups {
		for _, in := range g.instances {
			if in.id == id {
				return in
			}
		}
	}
	return nil
}

// setState puts an instance in a lifecycle state: in Standby its SLB
// weight is 0; in any other, its configured weight.
func (in *instance) setState(state string) {
	in.state, in.weight = state, in.configuredWgt
	if state == Standby {
		in.weight = 0
	}
}

func (in *instance) snapshot() InstanceState {
	return InstanceState{ID: in.id, ScalingGroupID: in.group.ID, LifecycleState: in.state, HealthStatus: in.health, Weight: in.weight}
}

// repeated reads name.1, name.2, ... in order; it fails past limit or on a
// gap.
func repeated(params url.Values, name string, limit int) ([]string, *apiError) {
	var out []string
	for n := 1; ; n++ {
		v, ok := params[name+"."+strconv.Itoa(n)]
		if !ok {
			break
		}
		if n > limit || len(v) != 1 || v[0] == "" {
			return nil, invalid(name)
		}
		out = append(out, v[0])
	}
	return out, nil
}

// page reads PageNumber and PageSize, with their defaults and limits.
func page(params url.Values, maxSize int) (number, size int, err *apiError) {
	number, size = 1, 10
	if v := params.Get("PageNumber"); v != "" {
		n, e := strconv.Atoi(v)
		if e != nil || n < 1 {
			return 0, 0, invalid("PageNumber")
		}
		number = n
	}
	if v := params.Get("PageSize"); v != "" {
		n, e := strconv.Atoi(v)
		if e != nil || n < 1 || n > maxSize {
			return 0, 0, invalid("PageSize")
		}
		size = n
	}
	return number, size, nil
}

func window[T any](items []T, number, size int) []T {
	from := min((number-1)*size, len(items))
	return items[from:min(from+size, len(items))]
}

func (w *world) describeInstances(params url.Values) (map[string]any, *apiError) {
	region := params.Get("RegionId")
	if region == "" {
		return nil, missing("RegionId")
	}
	ids, err := repeated(params, "InstanceId", 20)
	if err != nil {
		return nil, err
	}
	number, size, err := page(params, 100)
	if err != nil {
		return nil, err
	}
	// A group that does not exist is answered with an empty list: whether
	// Auto Scaling does that or answers InvalidScalingGroupId.NotFound is
	// undocumented, and the function must do right either way (a test
	// injects the error).
	groupID, state := params.Get("ScalingGroupId"), params.Get("LifecycleState")
	var matched []map[string]any
	for _, g := range w.groups {
		if g.Region != region || (groupID != "" && g.ID != groupID) {
			continue
		}
		for _, in := range g.instances {
			if (len(ids) > 0 && !slices.Contains(ids, in.id)) || (state != "" && in.state != state) {
				continue
			}
			matched = append(matched, map[string]any{
				"InstanceId": in.id, "ScalingGroupId": g.ID, "LifecycleState": in.state, "HealthStatus": in.health,
				"LoadBalancerWeight": in.weight, "CreationType": "Attached", "Entrusted": true, "ZoneId": region + "-h",
				"CreatedTime": "2026-11-01T08:00:00Z", "WarmupState": "NoNeedWarmup",
			})
		}
	}
	return map[string]any{
		"TotalCount": len(matched), "PageNumber": number, "PageSize": size, "TotalSpotCount": 0,
		"ScalingInstances": map[string]any{"ScalingInstance": nonNil(window(matched, number, size))},
	}, nil
}

// describeGroups answers DescribeScalingGroups: the region's groups (those
// of ScalingGroupId.N, at most 20, if given; one that does not exist is
// left out), a page at a time (at most 50). A group in a VPC has its VpcId,
// VSwitchId and VSwitchIds, as the API reference's table lists them (its
// example shows no VpcId); a group of the classic network has none of
// them.
func (w *world) describeGroups(params url.Values) (map[string]any, *apiError) {
	region := params.Get("RegionId")
	if region == "" {
		return nil, missing("RegionId")
	}
	ids, err := repeated(params, "ScalingGroupId", 20)
	if err != nil {
		return nil, err
	}
	number, size, err := page(params, 50)
	if err != nil {
		return nil, err
	}
	var all []any
	for _, g := range w.groups {
		if g.Region != region || len(ids) > 0 && !slices.Contains(ids, g.ID) {
			continue
		}
		out := map[string]any{"ScalingGroupId": g.ID, "ScalingGroupName": g.Name, "RegionId": g.Region, "LifecycleState": "Active",
			"TotalCapacity": len(g.instances)}
		if g.VpcID != "" {
			vsw := g.vSwitch()
			out["VpcId"], out["VSwitchId"], out["VSwitchIds"] = g.VpcID, vsw, map[string]any{"VSwitchId": []string{vsw}}
		}
		all = append(all, out)
	}
	return map[string]any{"TotalCount": len(all), "PageNumber": number, "PageSize": size,
		"ScalingGroups": map[string]any{"ScalingGroup": nonNil(window(all, number, size))}}, nil
}

func (w *world) describeActivities(params url.Values) (map[string]any, *apiError) {
	region := params.Get("RegionId")
	if region == "" {
		return nil, missing("RegionId")
	}
	ids, err := repeated(params, "ScalingActivityId", 20)
	if err != nil {
		return nil, err
	}
	groupID := params.Get("ScalingGroupId")
	if (groupID == "") == (len(ids) == 0) {
		return nil, errorf(400, "InvalidParameter", "Specify either ScalingGroupId or ScalingActivityId.N.")
	}
	number, size, err := page(params, 50)
	if err != nil {
		return nil, err
	}
	var matched []map[string]any
	for i := len(w.activities) - 1; i >= 0; i-- { // newest first
		a := w.activities[i]
		if w.group(a.groupID).Region != region || (groupID != "" && a.groupID != groupID) || (len(ids) > 0 && !slices.Contains(ids, a.id)) {
			continue
		}
		status, progress := "Successful", 100
		if a.pendingPolls > 0 {
			a.pendingPolls--
			status, progress = "InProgress", 50
		}
		matched = append(matched, map[string]any{
			"ScalingActivityId": a.id, "ScalingGroupId": a.groupID, "StatusCode": status, "Progress": progress,
			"StatusMessage": "", "Description": a.description, "Cause": "A user requested it through the API.",
			"StartTime": a.start.UTC().Format("2006-01-02T15:04Z"), "ScalingInstanceNumber": len(a.instances),
			"TotalCapacity": len(w.group(a.groupID).instances),
		})
	}
	return map[string]any{
		"TotalCount": len(matched), "PageNumber": number, "PageSize": size,
		"ScalingActivities": map[string]any{"ScalingActivity": nonNil(window(matched, number, size))},
	}, nil
}

// nonNil makes an empty list [] rather than null, the list still named,
// as the Terraform provider's mocks of these answers have it. The adapter
// reads a list left out as no answer (and null as empty).
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
