package ess_test

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"testing"

	"ess-standby/handler/ess"
	"ess-standby/handler/essemu"
	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
)

// emulatorActions are the API actions behind each method, where faults are
// injected.
var emulatorActions = map[string]string{"ScalingInstances": "DescribeScalingInstances", "CountInstances": "DescribeScalingInstances", "InstancesIn": "DescribeScalingInstances", "ScalingGroups": "DescribeScalingGroups",
	"Standby": "EnterStandby", "ActivityStatuses": "DescribeScalingActivities",
	"TagInstances": "TagResources", "UntagInstances": "UntagResources", "InstanceTags": "ListTagResources", "InstanceStatuses": "DescribeInstanceStatus",
	"GroupVPCs": "DescribeScalingGroups", "InstancesByPrivateIP": "DescribeInstances"}

// essStatus is the HTTP status Auto Scaling answers an error of each kind
// with (Auto Scaling's common error codes, as its API reference lists
// them: most refusals, Throttling included, are 400).
var essStatus = map[standby.Kind]int{standby.Invalid: 400, standby.Forbidden: 403, standby.NotFound: 404, standby.Conflict: 400,
	standby.Throttled: 400, standby.Unavailable: 503, standby.Internal: 500}

// The SDK client, over the real protocol to the emulator, keeps the
// contract the core's fake keeps.
func TestClientConforms(t *testing.T) {
	standbytest.Conformance(t, func(t *testing.T, groups map[string]map[string]string) standbytest.Subject {
		var seed []essemu.Group
		for _, id := range slices.Sorted(maps.Keys(groups)) {
			g := essemu.Group{ID: id, Region: standbytest.Region}
			for _, instance := range slices.Sorted(maps.Keys(groups[id])) {
				g.Instances = append(g.Instances, essemu.Instance{ID: instance, LifecycleState: groups[id][instance]})
			}
			seed = append(seed, g)
		}
		emu := essemu.NewServer([]essemu.Key{stsKey}, seed...)
		t.Cleanup(emu.Close)
		endpoint, _ := url.Parse(emu.URL)
		client := ess.New(ess.Config{Endpoint: endpoint, ECSEndpoint: endpoint, ECIEndpoint: endpoint})
		t.Cleanup(client.Close)
		return standbytest.Subject{
			Cloud:   client.Cloud(),
			Session: session(),
			Fail: func(method string, n int, err *standby.Error) {
				emu.Fail(emulatorActions[method], n, essStatus[err.Kind], err.Code, err.Message)
			},
			State: func(id string) string {
				in, _ := emu.Instance(id)
				return in.LifecycleState
			},
			Tags:       func(id string) standby.Tags { return emu.Tags(id) },
			SetTags:    func(id string, tags standby.Tags) { emu.SetTags(id, tags) },
			SetStatus:  emu.SetStatus,
			SetVPC:     emu.SetVPC,
			SetAddress: emu.SetPrivateIP,
		}
	})
}

// Every call, not EnterStandby alone (TestErrorCodesMapToKinds), answers
// Auto Scaling's errors with their code and kind: each family, as Auto
// Scaling sends it, through each method.
func TestEveryCallMapsErrorFamilies(t *testing.T) {
	families := []*standby.Error{
		{Kind: standby.Throttled, Code: "Throttling", Message: "Request was denied due to request throttling."},
		{Kind: standby.Throttled, Code: "Throttling.User", Message: "Request was denied due to user flow control."},
		{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: "The request has failed due to a temporary failure of the server."},
		{Kind: standby.Unavailable, Code: "InternalError", Message: "The request processing has failed due to some unknown error."},
		{Kind: standby.Forbidden, Code: "Forbidden.Unauthorized", Message: "A required authorization for the specified action is not supplied."},
		{Kind: standby.Conflict, Code: "IncorrectScalingGroupStatus", Message: "The current status of the specified scaling group does not support this action."},
		{Kind: standby.Invalid, Code: "InvalidParameter", Message: "The specified parameter is not valid."},
	}
	c, emu := newClient(t)
	ctx := context.Background()
	calls := map[string]func() error{
		"ScalingInstances": func() error {
			_, err := c.ScalingInstances(ctx, session(), "", []string{"i-bp1ecr7go2go9kq3m1a"})
			return err
		},
		"CountInstances": func() error {
			_, err := c.CountInstances(ctx, session(), essemu.WebGroup, "")
			return err
		},
		"InstancesIn": func() error {
			_, err := c.InstancesIn(ctx, session(), essemu.WebGroup, "Standby")
			return err
		},
		"ScalingGroups": func() error {
			_, err := c.ScalingGroups(ctx, session())
			return err
		},
		"Standby": func() error {
			_, err := c.Standby(ctx, session(), standby.Call{Action: standby.EnterStandby, ScalingGroupID: essemu.WebGroup, InstanceIDs: []string{"i-bp1ecr7go2go9kq3m1a"}})
			return err
		},
		"ActivityStatuses": func() error {
			_, err := c.ActivityStatuses(ctx, session(), []string{"asa-1"})
			return err
		},
	}
	for _, method := range slices.Sorted(maps.Keys(calls)) {
		for _, want := range families {
			emu.Reset()
			emu.Fail(emulatorActions[method], 1, essStatus[want.Kind], want.Code, want.Message)
			if e := standby.AsError(calls[method]()); e.Code != want.Code || e.Kind != want.Kind {
				t.Errorf("%s answered %s: %s (kind %d), want kind %d", method, want.Code, e.Code, e.Kind, want.Kind)
			}
		}
	}
}
