package ess_test

import (
	"maps"
	"net/url"
	"slices"
	"testing"

	"ess-standby/handler/ess"
	"ess-standby/handler/essemu"
	"ess-standby/handler/standby"
	"ess-standby/handler/standby/standbytest"
)

// emulatorActions are the API actions behind each method, where faults are
// injected.
var emulatorActions = map[string]string{"ScalingInstances": "DescribeScalingInstances", "CountInstances": "DescribeScalingInstances",
	"Standby": "EnterStandby", "ActivityStatuses": "DescribeScalingActivities"}

// essStatus is the HTTP status Auto Scaling answers an error of each kind
// with (ess-api.md: most refusals, throttling included, are 400).
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
		client := ess.New(ess.Config{Endpoint: endpoint})
		t.Cleanup(client.Close)
		return standbytest.Subject{
			AutoScaling: client,
			Session:     session(),
			Fail: func(method string, n int, err *standby.Error) {
				emu.Fail(emulatorActions[method], n, essStatus[err.Kind], err.Code, err.Message)
			},
			State: func(id string) string {
				in, _ := emu.Instance(id)
				return in.LifecycleState
			},
		}
	})
}
