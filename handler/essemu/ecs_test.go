package essemu

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

func tagParams(ids []string, tags ...string) url.Values {
	v := url.Values{"ResourceType": {"instance"}}
	for i, id := range ids {
		v.Set("ResourceId."+strconv.Itoa(i+1), id)
	}
	for i := 0; i+1 < len(tags); i += 2 {
		n := strconv.Itoa(i/2 + 1)
		v.Set("Tag."+n+".Key", tags[i])
		v.Set("Tag."+n+".Value", tags[i+1])
	}
	return v
}

// ECS's tag actions refuse as ECS documents, and change nothing when they do.
func TestTagRefusals(t *testing.T) {
	const a1 = "i-bp1ecr7go2go9kq3m1a"
	many := func(n int) []string {
		var ids []string
		for range n {
			ids = append(ids, a1)
		}
		return ids
	}
	var tooManyTags []string
	for i := range 21 {
		tooManyTags = append(tooManyTags, fmt.Sprint("k", i), "v")
	}
	tests := []struct {
		name   string
		params url.Values
		status int
		code   string
	}{
		{"no resource type", func() url.Values { v := tagParams([]string{a1}, "k", "v"); v.Del("ResourceType"); return v }(), 400, "MissingParameter"},
		{"a disk", func() url.Values { v := tagParams([]string{a1}, "k", "v"); v.Set("ResourceType", "disk"); return v }(), 404, "InvalidResourceType.NotFound"},
		{"51 resources", tagParams(many(51), "k", "v"), 400, "NumberExceed.ResourceIds"},
		{"21 tags", tagParams([]string{a1}, tooManyTags...), 400, "NumberExceed.Tags"},
		{"a key ECS reserves", tagParams([]string{a1}, "acs:x", "v"), 400, "InvalidTagKey.Malformed"},
		{"a key beginning aliyun", tagParams([]string{a1}, "aliyun-x", "v"), 400, "InvalidTagKey.Malformed"},
		{"a value with a URL", tagParams([]string{a1}, "k", "see http://x"), 400, "InvalidTagValue.Malformed"},
		{"an instance ECS does not know", tagParams([]string{a1, "i-nowhere"}, "k", "v"), 404, "InvalidResourceId.NotFound"},
		{"no tag", tagParams([]string{a1}), 400, "MissingParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newRaw(t)
			if status, body := c.call("TagResources", tt.params, nil); status != tt.status || body["Code"] != tt.code {
				t.Errorf("TagResources = %d %v, want %d %s", status, body["Code"], tt.status, tt.code)
			}
			if tags := c.s.Tags(a1); len(tags) != 0 {
				t.Errorf("a refused call tagged %v", tags)
			}
		})
	}
	t.Run("past the quota", func(t *testing.T) {
		c := newRaw(t)
		full := map[string]string{}
		for i := range 20 {
			full[fmt.Sprint("team:", i)] = "x"
		}
		c.s.SetTags(a1, full)
		if status, body := c.call("TagResources", tagParams([]string{a1}, "k", "v"), nil); status != 400 || body["Code"] != "OperationDenied.QuotaExceed" {
			t.Errorf("TagResources = %d %v", status, body["Code"])
		}
		if status, _ := c.call("TagResources", tagParams([]string{a1}, "team:3", "y"), nil); status != 200 || c.s.Tags(a1)["team:3"] != "y" {
			t.Errorf("overwriting a key within the quota: %d, %v", status, c.s.Tags(a1))
		}
	})
}

// UntagResources removes the keys named, or with All and no key every tag;
// ListTagResources pages its answer with NextToken.
func TestUntagAndList(t *testing.T) {
	c := newRaw(t)
	var ids []string // the ECS instances: ECI holds the others' tags
	for _, g := range SampleFleet() {
		for _, in := range g.Instances {
			if !strings.HasPrefix(in.ID, "eci-") {
				ids = append(ids, in.ID)
			}
		}
	}
	var tags []string
	for i := range 10 {
		tags = append(tags, fmt.Sprint("k", i), fmt.Sprint(i))
	}
	if status, body := c.call("TagResources", tagParams(ids, tags...), nil); status != 200 {
		t.Fatalf("TagResources = %d %v", status, body)
	}
	seen, token, pages := map[string]int{}, "", 0
	for {
		p := tagParams(ids)
		if token != "" {
			p.Set("NextToken", token)
		}
		status, body := c.call("ListTagResources", p, nil)
		if status != 200 {
			t.Fatalf("ListTagResources = %d %v", status, body)
		}
		pages++
		for _, r := range body["TagResources"].(map[string]any)["TagResource"].([]any) {
			seen[r.(map[string]any)["ResourceId"].(string)]++
		}
		if token = body["NextToken"].(string); token == "" {
			break
		}
	}
	if pages != 2 || len(seen) != len(ids) || seen[ids[0]] != 10 {
		t.Errorf("%d pages, %d instances, %d tags of the first; want 2 pages of %d instances' 10 tags", pages, len(seen), seen[ids[0]], len(ids))
	}
	if status, body := c.call("ListTagResources", func() url.Values { p := tagParams(ids); p.Set("NextToken", "x"); return p }(), nil); status != 400 || body["Code"] != "InvalidNextToken.Malformed" {
		t.Errorf("a bad NextToken: %d %v", status, body["Code"])
	}
	untag := url.Values{"ResourceType": {"instance"}, "ResourceId.1": {ids[0]}, "TagKey.1": {"k1"}, "TagKey.2": {"nope"}}
	if status, _ := c.call("UntagResources", untag, nil); status != 200 || len(c.s.Tags(ids[0])) != 9 {
		t.Errorf("UntagResources of one key: %d, %v", status, c.s.Tags(ids[0]))
	}
	all := url.Values{"ResourceType": {"instance"}, "ResourceId.1": {ids[1]}, "All": {"true"}}
	if status, _ := c.call("UntagResources", all, nil); status != 200 || len(c.s.Tags(ids[1])) != 0 || len(c.s.Tags(ids[2])) != 10 {
		t.Errorf("UntagResources All: %d, %v", status, c.s.Tags(ids[1]))
	}
}

// DescribeInstanceStatus answers the statuses of the IDs named, in pages
// of at most 50 with TotalCount, and refuses as ECS documents.
func TestDescribeInstanceStatus(t *testing.T) {
	c := newRaw(t)
	c.s.SetStatus("i-bp1ecr7go2go9kq3m1b", "Stopped")
	ids := url.Values{"InstanceId.1": {"i-bp1ecr7go2go9kq3m1a"}, "InstanceId.2": {"i-bp1ecr7go2go9kq3m1b"}, "InstanceId.3": {"i-nowhere"}, "PageSize": {"50"}}
	status, body := c.call("DescribeInstanceStatus", ids, nil)
	list, _ := body["InstanceStatuses"].(map[string]any)["InstanceStatus"].([]any)
	got := map[string]any{}
	for _, s := range list {
		got[s.(map[string]any)["InstanceId"].(string)] = s.(map[string]any)["Status"]
	}
	if status != 200 || body["TotalCount"] != float64(2) || len(got) != 2 || got["i-bp1ecr7go2go9kq3m1a"] != "Running" || got["i-bp1ecr7go2go9kq3m1b"] != "Stopped" {
		t.Errorf("DescribeInstanceStatus = %d %v", status, body)
	}
	// Every ECS instance of the region (the sample fleet's nine but its
	// elastic container instance), 2 a page: TotalCount is all of them.
	if status, body := c.call("DescribeInstanceStatus", url.Values{"PageSize": {"2"}, "PageNumber": {"2"}}, nil); status != 200 || body["TotalCount"] != float64(8) ||
		len(body["InstanceStatuses"].(map[string]any)["InstanceStatus"].([]any)) != 2 {
		t.Errorf("the second page of 2: %d %v", status, body)
	}
	hundredOne := url.Values{}
	for i := range 101 {
		hundredOne.Set("InstanceId."+strconv.Itoa(i+1), fmt.Sprint("i-", i))
	}
	for name, params := range map[string]url.Values{"PageSize 51": {"PageSize": {"51"}}, "101 instances": hundredOne} {
		if status, body := c.call("DescribeInstanceStatus", params, nil); status != 400 {
			t.Errorf("%s: %d %v; want 400", name, status, body["Code"])
		}
	}
}
