package ess

import (
	"context"
	"time"

	"ess-standby/handler/standby"
)

// The operator's drill (`ess-standby drill`) schedules a simulated system
// event for a canary instance: ECS's CreateSimulatedSystemEvents, which
// does not happen to the instance, and which ECS reports as it reports a
// real one. The function itself never makes it: its role's policy leaves
// it out, and deploy/drill-policy.json grants it to the operator.
var createSimulatedSystemEvents = operator(ecs, "CreateSimulatedSystemEvents")

// operator is an action only an operator's mode makes, never the function.
func operator(p product, name string) action { return action{p, name} }

// SimulateEvent schedules a simulated system event of eventType
// (SystemMaintenance.Reboot, SystemFailure.Reboot or InstanceFailure.Reboot)
// for instances, not before notBefore, and returns the events' IDs, one per
// instance. An answer without as many IDs is an error: the drill would
// watch for an event that was never scheduled.
func (c *Client) SimulateEvent(ctx context.Context, s standby.Session, eventType string, instanceIDs []string, notBefore time.Time) ([]string, error) {
	params := listed(map[string]string{"EventType": eventType, "NotBefore": notBefore.UTC().Format("2006-01-02T15:04:05Z")}, "InstanceId", instanceIDs)
	var resp struct {
		EventIdSet struct{ EventId []string }
	}
	if err := c.rpc(ctx, s, createSimulatedSystemEvents, params, &resp); err != nil {
		return nil, err
	}
	if ids := resp.EventIdSet.EventId; len(ids) == len(instanceIDs) {
		return ids, nil
	}
	return nil, &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: "ECS answered CreateSimulatedSystemEvents without an event ID for each instance",
		Cause: errorf(s, "CreateSimulatedSystemEvents: %d event IDs for %d instances", len(resp.EventIdSet.EventId), len(instanceIDs))}
}
