package essemu

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// move is what EnterStandby or ExitStandby does: it takes instances from
// one lifecycle state to another.
type move struct {
	action, from, to string
}

var (
	enterStandby = move{action: "EnterStandby", from: InService, to: Standby}
	exitStandby  = move{action: "ExitStandby", from: Standby, to: InService}
)

// serve is the action that makes the move.
func (m move) serve(s *Server, params url.Values) (map[string]any, *apiError) {
	return s.w.standby(params, m, s.now())
}

// standbyRequest is what an EnterStandby or ExitStandby call asks.
type standbyRequest struct {
	region, groupID string
	ids             []string
	async, token    string // Async ("", true or false) and ClientToken
}

// readStandby reads a standby call's parameters, refusing the first that is
// missing or not valid.
func readStandby(params url.Values) (standbyRequest, *apiError) {
	req := standbyRequest{region: params.Get("RegionId"), groupID: params.Get("ScalingGroupId"), async: params.Get("Async"), token: params.Get("ClientToken")}
	switch {
	case req.region == "":
		return standbyRequest{}, missing("RegionId")
	case req.groupID == "":
		return standbyRequest{}, missing("ScalingGroupId")
	}
	ids, err := repeated(params, "InstanceId", 20)
	switch {
	case err != nil:
		return standbyRequest{}, err
	case len(ids) == 0:
		return standbyRequest{}, missing("InstanceId")
	case req.async != "" && req.async != "true" && req.async != "false":
		return standbyRequest{}, invalid("Async")
	case len(req.token) > 64 || strings.ContainsFunc(req.token, func(r rune) bool { return r > 0x7e || r < 0x20 }):
		return standbyRequest{}, invalid("ClientToken")
	}
	req.ids = ids
	return req, nil
}

// fingerprint is what a ClientToken's reuse must ask again to be the same
// request.
func (req standbyRequest) fingerprint() string {
	return strings.Join(append([]string{req.groupID, req.async}, req.ids...), ",")
}

// standby serves EnterStandby or ExitStandby, as m says.
func (w *world) standby(params url.Values, m move, now time.Time) (map[string]any, *apiError) {
	req, err := readStandby(params)
	if err != nil {
		return nil, err
	}
	g := w.group(req.groupID)
	if g.ID == "" || g.Region != req.region {
		return nil, errorf(404, "InvalidScalingGroupId.NotFound", "The specified scaling group does not exist.")
	}
	tokenKey := m.action + "|" + req.token
	if used, ok := w.tokens[tokenKey]; ok && req.token != "" {
		return used.replay(req.fingerprint())
	}
	if g.Disabled {
		return nil, errorf(400, "IncorrectScalingGroupStatus", "The current status of the specified scaling group does not support this action.")
	}
	targets, err := w.members(g, req.ids, m.from)
	if err != nil {
		return nil, err
	}
	for _, in := range targets {
		in.setState(m.to)
	}
	a := w.startActivity(m.action, req, now)
	if req.token != "" {
		w.tokens[tokenKey] = tokenUse{fingerprint: req.fingerprint(), activityID: a.id}
	}
	return map[string]any{"ScalingActivityId": a.id}, nil
}

// replay answers a call that reuses a ClientToken: with the first call's
// activity if it asks the same, else IdempotentParameterMismatch.
func (used tokenUse) replay(fingerprint string) (map[string]any, *apiError) {
	if used.fingerprint != fingerprint {
		return nil, errorf(400, "IdempotentParameterMismatch", "The request uses the same client token as a previous, but non-identical request.")
	}
	return map[string]any{"ScalingActivityId": used.activityID}, nil
}

// members are the instances of ids, each of g and in state, or the first
// one's refusal that is not.
func (w *world) members(g *group, ids []string, state string) ([]*instance, *apiError) {
	var out []*instance
	for _, id := range ids {
		in := w.instance(id)
		if in == nil || in.group != g {
			return nil, errorf(404, "InvalidInstanceId.NotFound", "Instance %q does not exist.", id)
		}
		if in.state != state {
			return nil, errorf(400, "IncorrectInstanceStatus", "The current status of instance %q does not support this action.", id)
		}
		out = append(out, in)
	}
	return out, nil
}

// startActivity records the activity a standby call starts: done at once,
// or with Async in progress for asyncPolls polls.
func (w *world) startActivity(action string, req standbyRequest, now time.Time) *activity {
	a := &activity{id: "asa-emu" + w.digest("activity", action, req.fingerprint(), req.token)[:13], groupID: req.groupID, instances: req.ids, start: now,
		description: fmt.Sprintf("%s %d instance(s)", action, len(req.ids))}
	if req.async == "true" {
		a.pendingPolls = asyncPolls
	}
	w.activities = append(w.activities, a)
	return a
}
