package standby

// Answer is what a request came to: the activities its calls started and,
// for every instance it named, what became of it. RequestID and
// ScalingActivityID are those of the first call, as in the API's own answer.
type Answer struct {
	RequestID         string     `json:"RequestId,omitempty"`
	ScalingActivityID string     `json:"ScalingActivityId,omitempty"`
	ScalingGroupID    string     `json:"ScalingGroupId,omitempty"`
	InstanceIDs       []string   `json:"InstanceIds,omitempty"` // the instances acted on (planned, in a dry run)
	Activities        []Activity `json:"Activities,omitempty"`
	Skipped           []Skipped  `json:"Skipped,omitempty"`
	// Instances says, for each instance named, what became of it.
	Instances []InstanceResult `json:"Instances,omitempty"`
	// A dry run answers the calls it would have made, and makes none.
	DryRun  bool          `json:"DryRun,omitempty"`
	Planned []StandbyCall `json:"Planned,omitempty"`
}

// InstanceResult is one line of the per-instance report: what became of an
// instance the request named.
type InstanceResult struct {
	InstanceID        string `json:"InstanceId"`
	ScalingGroupID    string `json:"ScalingGroupId,omitempty"`
	LifecycleState    string `json:"LifecycleState,omitempty"` // as found before acting
	Result            string `json:"Result"`                   // EnteredStandby, ExitedStandby, Planned, Skipped or Failed
	ScalingActivityID string `json:"ScalingActivityId,omitempty"`
	Reason            string `json:"Reason,omitempty"`
}

// Merge adds the answer of another request of the same invocation (a batch
// whose events ask for both actions, or name several regions).
func (a Answer) Merge(b Answer) Answer {
	if a.ScalingActivityID == "" {
		a.RequestID, a.ScalingActivityID, a.ScalingGroupID = b.RequestID, b.ScalingActivityID, b.ScalingGroupID
	}
	a.InstanceIDs = append(a.InstanceIDs, b.InstanceIDs...)
	a.Activities = append(a.Activities, b.Activities...)
	a.Skipped = append(a.Skipped, b.Skipped...)
	a.Instances = append(a.Instances, b.Instances...)
	a.DryRun = a.DryRun || b.DryRun
	a.Planned = append(a.Planned, b.Planned...)
	return a
}
