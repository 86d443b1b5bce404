package essemu

import (
	"fmt"
	"maps"
	"net/url"
	"testing"
)

// The sample fleet's elastic container instance, and an ECS instance of
// the same group.
const (
	eciC = "eci-bp1hh2ka9xr7wq4t5n0c"
	ecsB = "i-bp1hh2ka9xr7wq4t5n0b"
)

func eciParams(ids []string, tags ...string) url.Values {
	v := tagParams(ids, tags...)
	v.Set("ResourceType", "ContainerGroup")
	return v
}

// ECS's tag actions hold ECS instances only: an elastic container
// instance's ID is one ECS does not hold, in a call of its own or beside an
// ECS instance, and nothing of the call is done. ECS's status and its
// simulated events know none either.
func TestECSRefusesElasticContainerInstances(t *testing.T) {
	c := newRaw(t)
	for _, tt := range []struct {
		name, action string
		params       url.Values
	}{
		{"alone", "TagResources", tagParams([]string{eciC}, "ess-standby:rule", "r")},
		{"beside an ECS instance", "TagResources", tagParams([]string{ecsB, eciC}, "ess-standby:rule", "r")},
		{"all its tags", "UntagResources", func() url.Values { v := tagParams([]string{eciC}); v.Set("All", "true"); return v }()},
		{"alone", "ListTagResources", tagParams([]string{eciC})},
		{"beside an ECS instance", "ListTagResources", tagParams([]string{ecsB, eciC})},
	} {
		if status, body := c.call(tt.action, tt.params, nil); status != 404 || body["Code"] != "InvalidResourceId.NotFound" {
			t.Errorf("ECS's %s, %s: %d %v; want 404 InvalidResourceId.NotFound", tt.action, tt.name, status, body["Code"])
		}
	}
	if len(c.s.Tags(eciC)) != 0 || len(c.s.Tags(ecsB)) != 0 {
		t.Errorf("refused calls tagged %v, %v", c.s.Tags(eciC), c.s.Tags(ecsB))
	}
	status, body := c.call("DescribeInstanceStatus", url.Values{"InstanceId.1": {eciC}, "InstanceId.2": {ecsB}}, nil)
	if list := body["InstanceStatuses"].(map[string]any)["InstanceStatus"].([]any); status != 200 || body["TotalCount"] != float64(1) || len(list) != 1 ||
		list[0].(map[string]any)["InstanceId"] != ecsB {
		t.Errorf("DescribeInstanceStatus of both: %d %v; want the ECS instance alone", status, body)
	}
	simulate := url.Values{"EventType": {"SystemMaintenance.Reboot"}, "NotBefore": {"2026-12-01T10:00:00Z"}, "InstanceId.1": {eciC}}
	if status, body := c.call("CreateSimulatedSystemEvents", simulate, nil); status != 404 || body["Code"] != "InvalidInstanceId.NotFound" {
		t.Errorf("CreateSimulatedSystemEvents: %d %v", status, body["Code"])
	}
}

// ECI's tag actions are served under ECI's version alone, hold elastic
// container instances only, and refuse as ECI documents (or, where it does
// not, as the emulator assumes), changing nothing when they do.
func TestECITagRefusals(t *testing.T) {
	var tooMany []string
	for i := range 21 {
		tooMany = append(tooMany, fmt.Sprint("k", i), "v")
	}
	var twentyOne []string
	for range 21 {
		twentyOne = append(twentyOne, eciC)
	}
	tests := []struct {
		name    string
		version string
		params  url.Values
		status  int
		code    string
	}{
		{"ECS's version, ECI's resource type", ecsVersion, eciParams([]string{eciC}, "k", "v"), 404, "InvalidResourceType.NotFound"},
		{"Auto Scaling's version", essVersion, eciParams([]string{eciC}, "k", "v"), 400, "NoSuchVersion"},
		{"no resource type", eciVersion, func() url.Values { v := eciParams([]string{eciC}, "k", "v"); v.Del("ResourceType"); return v }(), 400, "MissingParameter"},
		{"ECS's resource type", eciVersion, tagParams([]string{eciC}, "k", "v"), 404, "InvalidResourceType.NotFound"},
		{"21 resources", eciVersion, eciParams(twentyOne, "k", "v"), 400, "NumberExceed.ResourceIds"},
		{"21 tags", eciVersion, eciParams([]string{eciC}, tooMany...), 400, "NumberExceed.Tags"},
		{"a key beginning aliyun", eciVersion, eciParams([]string{eciC}, "aliyun-x", "v"), 400, "InvalidTagKey.Malformed"},
		{"a value beginning aliyun", eciVersion, eciParams([]string{eciC}, "k", "aliyun-x"), 400, "InvalidTagValue.Malformed"},
		{"a value with a URL", eciVersion, eciParams([]string{eciC}, "k", "see https://x"), 400, "InvalidTagValue.Malformed"},
		{"an ECS instance", eciVersion, eciParams([]string{eciC, ecsB}, "k", "v"), 404, "InvalidResourceId.NotFound"},
		{"an instance ECI does not know", eciVersion, eciParams([]string{eciC, "eci-nowhere"}, "k", "v"), 404, "InvalidResourceId.NotFound"},
		{"no tag", eciVersion, eciParams([]string{eciC}), 400, "MissingParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newRaw(t)
			if status, body := c.callAt("TagResources", tt.version, tt.params, nil); status != tt.status || body["Code"] != tt.code {
				t.Errorf("TagResources = %d %v, want %d %s", status, body["Code"], tt.status, tt.code)
			}
			if len(c.s.Tags(eciC)) != 0 || len(c.s.Tags(ecsB)) != 0 {
				t.Errorf("a refused call tagged %v, %v", c.s.Tags(eciC), c.s.Tags(ecsB))
			}
		})
	}
	t.Run("past the 20 tags an instance holds", func(t *testing.T) {
		c := newRaw(t)
		full := map[string]string{}
		for i := range 20 {
			full[fmt.Sprint("team:", i)] = "x"
		}
		c.s.SetTags(eciC, full)
		if status, body := c.callAt("TagResources", eciVersion, eciParams([]string{eciC}, "k", "v"), nil); status != 400 || body["Code"] != "NumberExceed.Tags" {
			t.Errorf("TagResources = %d %v", status, body["Code"])
		}
		if status, _ := c.callAt("TagResources", eciVersion, eciParams([]string{eciC}, "team:3", "y"), nil); status != 200 || c.s.Tags(eciC)["team:3"] != "y" {
			t.Errorf("overwriting a key within the quota: %d, %v", status, c.s.Tags(eciC))
		}
	})
}

// ECI's tags: written, listed in a flat TagResources list a page of Limit
// at a time, removed by key or all at once; the call is recorded under
// ECI's version, and a fault may single ECI's actions out by it.
func TestECITags(t *testing.T) {
	g := Group{ID: "asg-eci", Region: SampleRegion}
	var ids []string
	for i := range 3 {
		id := fmt.Sprintf("eci-tags%03d", i)
		g.Instances = append(g.Instances, Instance{ID: id, LifecycleState: InService})
		ids = append(ids, id)
	}
	g.Instances = append(g.Instances, Instance{ID: "i-tags", LifecycleState: InService})
	c := newRaw(t, g)
	var tags []string
	for i := range 5 {
		tags = append(tags, fmt.Sprint("k", i), fmt.Sprint(i))
	}
	if status, body := c.callAt("TagResources", eciVersion, eciParams(ids, tags...), nil); status != 200 {
		t.Fatalf("TagResources = %d %v", status, body)
	}
	seen, token, pages := map[string]int{}, "", 0
	for {
		p := eciParams(ids)
		p.Set("Limit", "4")
		if token != "" {
			p.Set("NextToken", token)
		}
		status, body := c.callAt("ListTagResources", eciVersion, p, nil)
		if status != 200 {
			t.Fatalf("ListTagResources = %d %v", status, body)
		}
		pages++
		for _, r := range body["TagResources"].([]any) { // flat, not ECS's TagResources.TagResource
			r := r.(map[string]any)
			if r["ResourceType"] != "ContainerGroup" {
				t.Errorf("a tag of %v", r)
			}
			seen[r["ResourceId"].(string)]++
		}
		if token = body["NextToken"].(string); token == "" {
			break
		}
	}
	if pages != 4 || len(seen) != 3 || seen[ids[2]] != 5 {
		t.Errorf("%d pages, %v; want 4 pages of 4 of the three instances' 5 tags", pages, seen)
	}
	if status, body := c.callAt("ListTagResources", eciVersion, func() url.Values { p := eciParams(ids); p.Set("NextToken", "page-1"); return p }(), nil); status != 400 || body["Code"] != "InvalidNextToken.Malformed" {
		t.Errorf("a bad NextToken: %d %v", status, body["Code"])
	}
	untag := eciParams(ids[:1])
	untag.Set("TagKey.1", "k1")
	untag.Set("TagKey.2", "nope")
	if status, _ := c.callAt("UntagResources", eciVersion, untag, nil); status != 200 || len(c.s.Tags(ids[0])) != 4 {
		t.Errorf("UntagResources of one key: %d, %v", status, c.s.Tags(ids[0]))
	}
	all := eciParams(ids[1:2])
	all.Set("All", "true")
	if status, _ := c.callAt("UntagResources", eciVersion, all, nil); status != 200 || len(c.s.Tags(ids[1])) != 0 || len(c.s.Tags(ids[2])) != 5 {
		t.Errorf("UntagResources All: %d, %v", status, c.s.Tags(ids[1]))
	}
	calls := c.s.Calls()
	if last := calls[len(calls)-1]; last.Action != "UntagResources" || last.Version != eciVersion {
		t.Errorf("the last call is recorded as %s %s", last.Action, last.Version)
	}

	c.s.Inject(Fault{Action: "TagResources", Version: eciVersion, Times: 1, Status: 400, Code: "Throttling", Message: "Request was denied due to request throttling."})
	if status, _ := c.call("TagResources", tagParams([]string{"i-tags"}, "k", "v"), nil); status != 200 {
		t.Errorf("ECS's TagResources met ECI's fault: %d", status)
	}
	if status, body := c.callAt("TagResources", eciVersion, eciParams(ids[:1], "k", "v"), nil); status != 400 || body["Code"] != "Throttling" {
		t.Errorf("ECI's TagResources passed its fault: %d %v", status, body["Code"])
	}
	if want := map[string]string{"k": "v"}; !maps.Equal(c.s.Tags("i-tags"), want) {
		t.Errorf("the ECS instance's tags %v", c.s.Tags("i-tags"))
	}
}
