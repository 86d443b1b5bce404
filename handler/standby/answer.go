package standby

import "slices"

// Result is what a request came to: the activities its calls started and,
// for every instance it named, what became of it. RequestID and
// ScalingActivityID are those of the first call, as in the API's own answer.
type Result struct {
	RequestID         string     `json:"RequestId,omitempty"`
	ScalingActivityID string     `json:"ScalingActivityId,omitempty"`
	ScalingGroupID    string     `json:"ScalingGroupId,omitempty"`
	InstanceIDs       []string   `json:"InstanceIds,omitempty"` // the instances acted on (planned, in a dry run)
	Activities        []Activity `json:"Activities,omitempty"`
	Skipped           []Skipped  `json:"Skipped,omitempty"`
	// Instances says, for each instance named, what became of it.
	Instances []InstanceResult `json:"Instances,omitempty"`
	// A dry run answers the calls it would have made, and makes none.
	DryRun  bool   `json:"DryRun,omitempty"`
	Planned []Call `json:"Planned,omitempty"`
}

// What became of an instance (InstanceResult.Result), beside the action's
// own EnteredStandby and ExitedStandby.
const (
	planned = "Planned" // a dry run would call for it
	skipped = "Skipped" // nothing to do for it: already there, or in a state no call can move
	refused = "Refused" // a guard rail or Auto Scaling refused it for good: no retry helps
	failed  = "Failed"  // not done, and may be if tried again: the invocation fails so that it is
)

// InstanceResult is one line of the per-instance report: what became of an
// instance the request named.
type InstanceResult struct {
	InstanceID        string `json:"InstanceId"`
	ScalingGroupID    string `json:"ScalingGroupId,omitempty"`
	LifecycleState    string `json:"LifecycleState,omitempty"` // as found before acting
	Result            string `json:"Result"`                   // EnteredStandby, ExitedStandby, Planned, Skipped, Refused or Failed
	Code              string `json:"Code,omitempty"`           // why Refused or Failed: the error code
	ScalingActivityID string `json:"ScalingActivityId,omitempty"`
	Reason            string `json:"Reason,omitempty"`
	// TagCode says, when set, that the tags recording why were not written
	// (or, for ExitStandby, not removed): the error code of the tag call.
	TagCode string `json:"TagCode,omitempty"`
	// Err is the failure of a Refused or Failed line, or of its tags, for
	// the invocation's own answer; never marshalled, since its cause is
	// internal.
	Err *Error `json:"-"`
}

// fail records err as what became of the instance: Failed when a retry
// may succeed, Refused when none can.
func (l *InstanceResult) fail(err error) {
	e := AsError(err)
	l.Result, l.Code, l.Reason, l.Err = refused, e.Code, e.Message, e
	if Retryable(e) {
		l.Result = failed
	}
}

// Left says the instance is not done, or its tags not written, and a
// retry may do it.
func (l InstanceResult) Left() bool { return l.Result == failed || l.TagCode != "" && Retryable(l.Err) }

// Untagged says the instance moved but its tags were not written, and no
// retry will write them: an operator must hear of it.
func (l InstanceResult) Untagged() bool { return l.TagCode != "" && !Retryable(l.Err) }

// Reasons of an instance moved by an earlier call: answered from what this
// process remembers (a duplicate, usually at the same moment), or by Auto
// Scaling to a replayed token (a re-delivery, usually after a failure).
const (
	doneEarlier    = "done earlier by this activity"
	replayedReason = "an earlier delivery of this event did it"
)

// Acted says the request moved the instance (or, in a dry run, would): by
// its own call, or by an earlier delivery of its event that Auto Scaling
// answered for, which was a failure as far as its sender knew; not a
// duplicate this process answered from memory.
func (l InstanceResult) Acted() bool {
	switch l.Result {
	case planned:
		return true
	case EnterStandby.done(), ExitStandby.done():
		return l.Reason == "" || l.Reason == replayedReason
	}
	return false
}

// Refusal says the instance was refused for good.
func (l InstanceResult) Refusal() bool { return l.Result == refused }

// Merge adds the answer of another request of the same invocation (the
// events of a batch). An activity both name, as when their instances shared
// a call, is listed once, with the instances of both.
func (a Result) Merge(b Result) Result {
	if a.ScalingActivityID == "" {
		a.RequestID, a.ScalingActivityID, a.ScalingGroupID = b.RequestID, b.ScalingActivityID, b.ScalingGroupID
	}
	a.InstanceIDs = append(a.InstanceIDs, b.InstanceIDs...)
	for _, act := range b.Activities {
		i := slices.IndexFunc(a.Activities, func(x Activity) bool { return x.ScalingActivityID == act.ScalingActivityID })
		if i < 0 {
			a.Activities = append(a.Activities, act)
			continue
		}
		a.Activities[i].InstanceIDs = append(slices.Clone(a.Activities[i].InstanceIDs), act.InstanceIDs...)
	}
	a.Skipped = append(a.Skipped, b.Skipped...)
	a.Instances = append(a.Instances, b.Instances...)
	a.DryRun = a.DryRun || b.DryRun
	a.Planned = append(a.Planned, b.Planned...)
	return a
}

// answer renders what became of a ticket.
func (t *ticket) answer() Result {
	a := Result{Activities: t.activities, Instances: t.lines, DryRun: t.dryRun, Planned: t.planned}
	for _, line := range t.lines {
		switch line.Result {
		case skipped:
			a.Skipped = append(a.Skipped, Skipped{InstanceID: line.InstanceID, Reason: line.Reason})
		case EnterStandby.done(), ExitStandby.done(), planned:
			a.InstanceIDs = append(a.InstanceIDs, line.InstanceID)
		}
	}
	if len(t.activities) > 0 {
		first := t.activities[0]
		a.RequestID, a.ScalingActivityID, a.ScalingGroupID = first.RequestID, first.ScalingActivityID, first.ScalingGroupID
	}
	return a
}
