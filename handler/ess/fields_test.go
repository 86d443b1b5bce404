package ess_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"ess-standby/handler/ess"
	"ess-standby/handler/essemu"
	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
)

// Issue 26, case 11: the per-instance read answered without its fields,
// the counts right. The core, finding none of the instances it asked
// about, let Auto Scaling answer the call, and MIN_IN_SERVICE=50% let 2 of
// the 4 into Standby. A read without what a decision needs is no answer:
// nothing is acted on, and the invocation is left to its retry.
func TestReadsWithoutTheirFieldsActOnNothing(t *testing.T) {
	g := essemu.Group{ID: "asg-bp1fields000000001", Region: essemu.SampleRegion}
	var ids []string
	for i := range 4 {
		id := fmt.Sprintf("i-bp1fields%05d", i)
		g.Instances = append(g.Instances, essemu.Instance{ID: id, LifecycleState: essemu.InService})
		ids = append(ids, id)
	}
	for name, answer := range map[string]map[string]any{
		"nothing":                 {},
		"no list":                 {"TotalCount": 4},
		"an empty wrapper":        {"TotalCount": 4, "ScalingInstances": map[string]any{}},
		"no TotalCount":           {"ScalingInstances": map[string]any{"ScalingInstance": []any{}}},
		"entries without IDs":     {"TotalCount": 4, "ScalingInstances": map[string]any{"ScalingInstance": entries(4, g.ID, "InstanceId")}},
		"entries without a group": {"TotalCount": 4, "ScalingInstances": map[string]any{"ScalingInstance": entries(4, g.ID, "ScalingGroupId")}},
	} {
		t.Run(name, func(t *testing.T) {
			emu := essemu.NewServer([]essemu.Key{stsKey}, g)
			t.Cleanup(emu.Close)
			endpoint, _ := url.Parse(emu.URL)
			client := ess.New(ess.Config{Endpoint: endpoint, ECSEndpoint: endpoint, ECIEndpoint: endpoint})
			t.Cleanup(client.Close)
			// Only the reads by ID: the counts are right.
			emu.Inject(essemu.Fault{Action: "DescribeScalingInstances", Param: "InstanceId.1", Answer: answer})
			core := standby.New(standby.Config{MinInService: standby.Share{Percent: 50}, Sleep: standbytest.NoWait}, client.Cloud())
			inv := standby.Invocation{RequestID: "r-fields", Region: essemu.SampleRegion, Credentials: session().Credentials}
			answers, _ := core.Run(context.Background(), inv, standby.Request{Action: standby.EnterStandby, ScalingGroupID: g.ID, InstanceIDs: ids, Identity: "alarm-1"})
			for _, c := range emu.Calls() {
				if c.Action == "EnterStandby" {
					t.Errorf("EnterStandby called for %v", c.Params)
				}
			}
			for _, id := range ids {
				if in, _ := emu.Instance(id); in.LifecycleState != essemu.InService {
					t.Errorf("%s is %s, want InService", id, in.LifecycleState)
				}
			}
			for _, line := range answers[0].Instances {
				if line.Result != "Failed" || !line.Left() || line.Code != "ServiceUnavailable" {
					t.Errorf("%+v; want failed with ServiceUnavailable, left to a retry", line)
				}
			}
		})
	}
}

// entries are n instances of group as DescribeScalingInstances lists
// them, InService, each without the field left out.
func entries(n int, group, leftOut string) []any {
	var out []any
	for i := range n {
		e := map[string]any{"InstanceId": fmt.Sprintf("i-bp1fields%05d", i), "ScalingGroupId": group, "LifecycleState": "InService"}
		delete(e, leftOut)
		out = append(out, e)
	}
	return out
}

// Every read a decision uses fails closed on an answer without the fields
// the decision needs: ServiceUnavailable, which a retry may mend, with a
// message naming what was missing, and nothing read from the answer.
func TestAnswersWithoutTheirFields(t *testing.T) {
	ctx := context.Background()
	web := "i-bp1ecr7go2go9kq3m1a"
	in := func(drop string) []any {
		e := map[string]any{"InstanceId": web, "ScalingGroupId": essemu.WebGroup, "LifecycleState": "Standby"}
		delete(e, drop)
		return []any{e}
	}
	instances := func(list []any) map[string]any {
		return map[string]any{"TotalCount": len(list), "ScalingInstances": map[string]any{"ScalingInstance": list}}
	}
	reads := map[string]func(*ess.Client) (any, error){
		"ScalingInstances": func(c *ess.Client) (any, error) {
			return c.ScalingInstances(ctx, session(), essemu.WebGroup, []string{web})
		},
		"CountInstances": func(c *ess.Client) (any, error) {
			return c.CountInstances(ctx, session(), essemu.WebGroup, "InService")
		},
		"InstancesIn":   func(c *ess.Client) (any, error) { return c.InstancesIn(ctx, session(), essemu.WebGroup, "Standby") },
		"ScalingGroups": func(c *ess.Client) (any, error) { return c.ScalingGroups(ctx, session()) },
		"ActivityStatuses": func(c *ess.Client) (any, error) {
			return c.ActivityStatuses(ctx, session(), []string{"asa-bp1c9djwrgxjyk31j2ce"})
		},
		"InstanceTags":     func(c *ess.Client) (any, error) { return c.InstanceTags(ctx, session(), []string{web}, "ess-standby:") },
		"InstanceStatuses": func(c *ess.Client) (any, error) { return c.InstanceStatuses(ctx, session(), []string{web}) },
	}
	tests := []fieldCase{
		{"ScalingInstances", "DescribeScalingInstances", "nothing", map[string]any{}, "TotalCount"},
		{"ScalingInstances", "DescribeScalingInstances", "no list", map[string]any{"TotalCount": 1}, "ScalingInstances"},
		{"ScalingInstances", "DescribeScalingInstances", "an empty wrapper", map[string]any{"TotalCount": 1, "ScalingInstances": map[string]any{}}, "ScalingInstances"},
		{"ScalingInstances", "DescribeScalingInstances", "no TotalCount", map[string]any{"ScalingInstances": map[string]any{"ScalingInstance": in("")}}, "TotalCount"},
		{"ScalingInstances", "DescribeScalingInstances", "no InstanceId", instances(in("InstanceId")), "InstanceId"},
		{"ScalingInstances", "DescribeScalingInstances", "no ScalingGroupId", instances(in("ScalingGroupId")), "ScalingGroupId"},
		{"ScalingInstances", "DescribeScalingInstances", "no LifecycleState", instances(in("LifecycleState")), "LifecycleState"},
		{"CountInstances", "DescribeScalingInstances", "no TotalCount", map[string]any{"ScalingInstances": map[string]any{"ScalingInstance": in("")}}, "TotalCount"},
		{"CountInstances", "DescribeScalingInstances", "no list", map[string]any{"TotalCount": 4}, "ScalingInstances"},
		{"InstancesIn", "DescribeScalingInstances", "nothing", map[string]any{}, "TotalCount"},
		{"InstancesIn", "DescribeScalingInstances", "no list", map[string]any{"TotalCount": 1}, "ScalingInstances"},
		{"InstancesIn", "DescribeScalingInstances", "no InstanceId", instances(in("InstanceId")), "InstanceId"},
		{"InstancesIn", "DescribeScalingInstances", "no ScalingGroupId", instances(in("ScalingGroupId")), "ScalingGroupId"},
		{"InstancesIn", "DescribeScalingInstances", "no LifecycleState", instances(in("LifecycleState")), "LifecycleState"},
		{"ScalingGroups", "DescribeScalingGroups", "nothing", map[string]any{}, "TotalCount"},
		{"ScalingGroups", "DescribeScalingGroups", "no list", map[string]any{"TotalCount": 1}, "ScalingGroups"},
		{"ScalingGroups", "DescribeScalingGroups", "no ScalingGroupId", map[string]any{"TotalCount": 1,
			"ScalingGroups": map[string]any{"ScalingGroup": []any{map[string]any{"ScalingGroupName": "web"}}}}, "ScalingGroupId"},
		{"ActivityStatuses", "DescribeScalingActivities", "nothing", map[string]any{}, "ScalingActivities"},
		{"ActivityStatuses", "DescribeScalingActivities", "no ScalingActivityId", map[string]any{"TotalCount": 1,
			"ScalingActivities": map[string]any{"ScalingActivity": []any{map[string]any{"StatusCode": "Successful"}}}}, "ScalingActivityId"},
		{"ActivityStatuses", "DescribeScalingActivities", "no StatusCode", map[string]any{"TotalCount": 1,
			"ScalingActivities": map[string]any{"ScalingActivity": []any{map[string]any{"ScalingActivityId": "asa-bp1c9djwrgxjyk31j2ce"}}}}, "StatusCode"},
		{"InstanceTags", "ListTagResources", "nothing", map[string]any{}, "TagResources"},
		{"InstanceTags", "ListTagResources", "no list", map[string]any{"NextToken": "", "TagResources": map[string]any{}}, "TagResources"},
		{"InstanceTags", "ListTagResources", "no ResourceId", map[string]any{"TagResources": map[string]any{"TagResource": []any{
			map[string]any{"ResourceType": "instance", "TagKey": "ess-standby:rule", "TagValue": "r"}}}}, "ResourceId"},
		{"InstanceTags", "ListTagResources", "no TagKey", map[string]any{"TagResources": map[string]any{"TagResource": []any{
			map[string]any{"ResourceId": web, "ResourceType": "instance", "TagValue": "r"}}}}, "TagKey"},
		{"InstanceStatuses", "DescribeInstanceStatus", "no list", map[string]any{"TotalCount": 0}, "InstanceStatuses"},
	}
	failClosed(t, reads, tests)
}

// fieldCase is a read whose answer, as the emulator gives it once, lacks
// what the read needs: missing is what the refusal must name.
type fieldCase struct {
	read, action, name string
	answer             map[string]any
	missing            string
}

// failClosed checks that each read answers ServiceUnavailable, naming what
// is missing, when the emulator answers its call once without it, and reads
// the emulator's own answer after it.
func failClosed(t *testing.T, reads map[string]func(*ess.Client) (any, error), tests []fieldCase) {
	t.Helper()
	c, emu := newClient(t)
	for _, tt := range tests {
		t.Run(tt.read+"/"+tt.name, func(t *testing.T) {
			emu.Reset()
			emu.Inject(essemu.Fault{Action: tt.action, Times: 1, Answer: tt.answer})
			got, err := reads[tt.read](c)
			e := standby.AsError(err)
			if err == nil || e.Kind != standby.Unavailable || e.Code != "ServiceUnavailable" || !strings.Contains(e.Message, tt.missing) {
				t.Errorf("%s answered %v: %v, %v; want ServiceUnavailable naming %s", tt.action, tt.answer, got, err, tt.missing)
			}
			if _, err := reads[tt.read](c); err != nil {
				t.Errorf("the emulator's own answer after it: %v", err)
			}
		})
	}
}
