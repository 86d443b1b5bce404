package standby

import (
	"context"
	"log/slog"
	"slices"
	"time"
)

// Credentials sign Auto Scaling calls: the STS credentials of the function's
// RAM role. They never print: String, LogValue and MarshalJSON redact them,
// also when they sit inside another value being logged.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

func (c Credentials) String() string               { return "Credentials(REDACTED)" }
func (c Credentials) GoString() string             { return c.String() }
func (c Credentials) LogValue() slog.Value         { return slog.StringValue("REDACTED") }
func (c Credentials) MarshalJSON() ([]byte, error) { return []byte(`"REDACTED"`), nil }
func (c Credentials) Complete() bool               { return c.AccessKeyID != "" && c.AccessKeySecret != "" }

// Session says where and as whom an Auto Scaling call is made.
type Session struct {
	Region      string
	Credentials Credentials
}

// Invocation is what the platform tells the function about one invocation.
// Its deadline travels in the context.
type Invocation struct {
	RequestID   string // FC's request ID (x-fc-request-id)
	Region      string // FC's region (x-fc-region)
	Credentials Credentials
	RetryCount  int
}

// Action is what a request asks of its instances.
type Action string

const (
	EnterStandby Action = "EnterStandby" // the default
	ExitStandby  Action = "ExitStandby"  // the way back
	// Sweep looks at the leases of every Standby instance of the groups the
	// function may act on (Service.Sweep).
	Sweep Action = "Sweep"
)

// from and to are the lifecycle states an action moves instances between.
func (a Action) from() string {
	if a == ExitStandby {
		return "Standby"
	}
	return "InService"
}

func (a Action) to() string {
	if a == ExitStandby {
		return "InService"
	}
	return "Standby"
}

// done is the report's Result for an instance the action moved.
func (a Action) done() string {
	if a == ExitStandby {
		return "ExitedStandby"
	}
	return "EnteredStandby"
}

func (a Action) verb() string {
	if a == ExitStandby {
		return "leave Standby"
	}
	return "enter Standby"
}

// Request is a validated request. Field names follow the API; Action,
// DryRun and Wait are ours.
type Request struct {
	Action         Action
	ScalingGroupID string // empty: from the settings, else looked up per instance
	InstanceIDs    []string
	ClientToken    string
	Async          bool
	RegionID       string
	DryRun         bool      // decide and report, change nothing
	Wait           bool      // wait for the activities to finish
	Duplicates     []Skipped // instance IDs named again, which Check removed
	// Identity names the event the request came from, the same across its
	// re-deliveries; "" when it carries nothing that does. With the
	// ClientToken, it is the root of the calls' tokens (see root).
	Identity string
	// Reason is what asked, as the tags of the instances it parks say.
	Reason Reason
	// IfParkedFor, on an ExitStandby, takes back only the instances whose
	// tags say the function parked them for this rule (Reason.Rule of the
	// request that parked them): an alarm's recovery returns only what that
	// alarm parked. "": whatever is in Standby.
	IfParkedFor string
	// IfRunning, with IfParkedFor, takes back only instances ECS reports
	// Running: an executed maintenance event's end.
	IfRunning bool
	// At is when the request's event happened, by its own account; zero
	// when its source carries no time. With IfParkedFor, an end dated
	// before an instance was parked (its ess-standby:since) is the end of
	// an earlier alarm, redelivered late, and takes nothing back.
	At time.Time
	// TagsReadAt, on a sweep's ExitStandby, is when the sweep read the
	// tags that say the leases ended: an instance this process parked, or a
	// request asked to park, since then is left parked.
	TagsReadAt time.Time
}

// standingOf says which of the requests naming one instance, in the order
// they came, decide it: the last one, with the requests of the same action
// since the last that asked otherwise (an alarm and its recovery end
// recovered; two alarms both stand). An exit that may take back only what
// one rule parked (IfParkedFor) ends that rule's requests to park it, and
// no other's: while another rule's alarm stands, the instance stays parked
// and the exit is dropped. It returns the standing requests' places.
func standingOf(reqs []Request) []int {
	var kept []int
	for i, r := range reqs {
		switch {
		case len(kept) == 0 || reqs[kept[0]].Action == r.Action:
			kept = append(kept, i)
		case r.Action == ExitStandby && r.IfParkedFor != "":
			others := slices.DeleteFunc(slices.Clone(kept), func(j int) bool { return reqs[j].Reason.Rule == r.IfParkedFor })
			if len(others) == 0 {
				others = []int{i}
			}
			kept = others
		default:
			kept = []int{i}
		}
	}
	return kept
}

// Why says why a request drops an instance to another (LastWins).
type Why int

const (
	// LaterAsksOtherwise: a later request asks the other action of it.
	LaterAsksOtherwise Why = iota
	// Interrupted: a later request that asked otherwise ended this one's (its
	// rule's recovery), and the request that decides asks as this one did
	// (another rule's alarm that stands, or an alarm after the recovery).
	Interrupted
	// AlarmStands: an exit that may take back only what its rule parked,
	// and another rule's request to park the instance decides it: an alarm
	// the recovery does not end. (Its own rule's alarm after it is a later
	// request asking otherwise.)
	AlarmStands
)

// Drop is an instance a request leaves to another: the request that
// decides it (the last of those that stand for it) and why.
type Drop struct {
	InstanceID string
	By         int // the deciding request's place
	Why        Why
}

// Claim is what last one wins leaves a request: the instances it keeps,
// in its order, and those it drops, in its order.
type Claim struct {
	Keep []string
	Drop []Drop
}

// LastWins decides, for requests in the order they came, each naming
// instances (InstanceIDs), which requests each instance is left to: those
// that stand for it (standingOf); the others drop it. It is the one place
// that decides it: a batch's events (the handler), a group's plan (its
// requests' instances in the group) both ask it.
func LastWins(reqs []Request) []Claim {
	naming := map[string][]int{} // instance → the requests naming it, in order
	for i, r := range reqs {
		for _, id := range r.InstanceIDs {
			naming[id] = append(naming[id], i)
		}
	}
	standing := map[string][]int{} // instance → the requests that stand for it
	for id, named := range naming {
		of := make([]Request, len(named))
		for k, i := range named {
			of[k] = reqs[i]
		}
		for _, k := range standingOf(of) {
			standing[id] = append(standing[id], named[k])
		}
	}
	out := make([]Claim, len(reqs))
	for i, r := range reqs {
		for _, id := range r.InstanceIDs {
			if slices.Contains(standing[id], i) {
				out[i].Keep = append(out[i].Keep, id)
				continue
			}
			by := standing[id][len(standing[id])-1]
			out[i].Drop = append(out[i].Drop, Drop{InstanceID: id, By: by, Why: whyDropped(r, reqs[by])})
		}
	}
	return out
}

// whyDropped says why r drops an instance that the request by decides.
func whyDropped(r, by Request) Why {
	switch {
	case by.Action == r.Action:
		return Interrupted
	case r.IfParkedFor != "" && by.Action == EnterStandby && by.Reason.Rule != r.IfParkedFor:
		return AlarmStands
	}
	return LaterAsksOtherwise
}

// root is what the request's calls' tokens derive from: its event's
// identity and the caller's ClientToken when it has either (a timer's
// payload may carry a token, and each tick is still its own event), else
// the invocation's request ID, which FC keeps across its async retries.
func (r Request) root(inv Invocation) string {
	switch {
	case r.Identity != "" && r.ClientToken != "":
		return r.Identity + "\ntoken:" + r.ClientToken
	case r.ClientToken != "":
		return "token:" + r.ClientToken
	case r.Identity != "":
		return r.Identity
	}
	return "request:" + inv.RequestID
}

// ScalingInstance is an instance as DescribeScalingInstances reports it.
type ScalingInstance struct {
	InstanceID     string
	ScalingGroupID string
	LifecycleState string
}

// Call is one EnterStandby or ExitStandby call: one group, at most
// 20 instances.
type Call struct {
	Action         Action   `json:"Action"`
	ScalingGroupID string   `json:"ScalingGroupId"`
	InstanceIDs    []string `json:"InstanceIds"`
	ClientToken    string   `json:"ClientToken"`
	Async          bool     `json:"Async"`
}

// Activity is a scaling activity started by one call.
type Activity struct {
	ScalingGroupID    string   `json:"ScalingGroupId"`
	ScalingActivityID string   `json:"ScalingActivityId"`
	RequestID         string   `json:"RequestId"`
	InstanceIDs       []string `json:"InstanceIds"`
	ClientToken       string   `json:"ClientToken,omitempty"`
	StatusCode        string   `json:"StatusCode,omitempty"` // with Wait: Successful, Warning, Failed, Rejected, or InProgress when time ran out
	StatusMessage     string   `json:"StatusMessage,omitempty"`
}

// ActivityStatus is what DescribeScalingActivities says of an activity.
type ActivityStatus struct {
	ScalingActivityID, StatusCode, StatusMessage string
}

// TagBatch is how many instances one TagInstances, UntagInstances or
// InstanceTags call may name: ECS's tag actions take ResourceId.N up to 50
// (NumberExceed.ResourceIds beyond), so the tags of as many parked
// instances can be one call.
const TagBatch = 50

// AutoScaling is the part of the ESS API this function uses. handler/ess
// implements it over the SDK; the context's deadline bounds each call.
// Failures are *Error values whose Code is Auto Scaling's own.
type AutoScaling interface {
	// ScalingInstances reports those of at most 20 instances that belong to
	// a scaling group of the session's region (to groupID, when given).
	ScalingInstances(ctx context.Context, s Session, groupID string, instanceIDs []string) ([]ScalingInstance, error)
	// CountInstances counts a group's instances, those in state if given.
	CountInstances(ctx context.Context, s Session, groupID, state string) (int, error)
	// InstancesIn lists every instance of a group in state, all pages read.
	InstancesIn(ctx context.Context, s Session, groupID, state string) ([]string, error)
	// ScalingGroups lists every scaling group of the session's region, all
	// pages read.
	ScalingGroups(ctx context.Context, s Session) ([]string, error)
	// Standby makes one EnterStandby or ExitStandby call.
	Standby(ctx context.Context, s Session, call Call) (Activity, error)
	// ActivityStatuses reports at most 20 activities.
	ActivityStatuses(ctx context.Context, s Session, activityIDs []string) ([]ActivityStatus, error)
}

// Instances is what the core asks of the groups' instances themselves,
// not of Auto Scaling: their tags, which say what parked an instance, and
// ECS's status. An ECS instance's (i-) tags are ECS's (TagResources,
// ResourceType instance), an elastic container instance's (eci-) are
// ECI's own (TagResources, ResourceType ContainerGroup), which ECS's calls
// cannot reach. One call of each tag method takes both kinds: the
// implementation splits it and fails it when any part fails. Failures are
// *Error values, as AutoScaling's are.
type Instances interface {
	// TagInstances writes tags on at most TagBatch instances, overwriting
	// the values of keys they hold. A failed call may have written them on
	// some of the instances (ECS's part and ECI's are separate calls):
	// writing the same tags again is harmless.
	TagInstances(ctx context.Context, s Session, instanceIDs []string, tags Tags) error
	// UntagInstances removes keys from at most TagBatch instances; a key an
	// instance lacks is no error. A failed call may have removed them from
	// some of the instances.
	UntagInstances(ctx context.Context, s Session, instanceIDs []string, keys []string) error
	// InstanceTags reports the tags of at most TagBatch instances whose
	// keys begin with prefix; an instance with none is left out.
	InstanceTags(ctx context.Context, s Session, instanceIDs []string, prefix string) (map[string]Tags, error)
	// InstanceStatuses reports ECS's status (Running, Stopped, ...) of at
	// most 20 instances; an instance ECS does not know is left out, and so
	// is every elastic container instance, which ECS does not hold.
	InstanceStatuses(ctx context.Context, s Session, instanceIDs []string) (map[string]string, error)
}

// Cloud is what the core calls, a port for each thing it asks about.
// handler/ess's Client and standbytest.Fake implement all three (their
// Cloud method hands them over together).
type Cloud struct {
	Scaling   AutoScaling
	Instances Instances
	// Addresses may be nil: Locate then refuses every lookup.
	Addresses Addresses
}

// GroupBatch is how many groups one GroupVPCs call names: Auto Scaling's
// DescribeScalingGroups takes ScalingGroupId.N up to 20.
const GroupBatch = 20

// AddressBatch is how many addresses one InstancesByPrivateIP call names:
// ECS's DescribeInstances takes PrivateIpAddresses, a JSON array of up to
// 100.
const AddressBatch = 100

// Addresses finds instances by their private IP addresses, for an alert
// that names its instance only by an address (Prometheus's instance
// label): the VPCs of scaling groups, from Auto Scaling, and the ECS
// instances holding addresses in a VPC, from ECS. A port of its own beside
// AutoScaling and Instances, since it asks about addresses, which neither
// holds. Failures are *Error values, as AutoScaling's are.
type Addresses interface {
	// GroupVPCs reports the VPC of each of at most GroupBatch groups of the
	// session's region: "" for a group of the classic network, which has
	// none; a group that does not exist is left out.
	GroupVPCs(ctx context.Context, s Session, groupIDs []string) (map[string]string, error)
	// InstancesByPrivateIP reports, for each of at most AddressBatch IPv4
	// addresses, the ECS instances of VPC vpcID, in the session's region,
	// that hold it as their private IP, every page read. An address no
	// instance of the VPC holds is left out; an elastic container
	// instance, which ECS does not hold, is never reported.
	InstancesByPrivateIP(ctx context.Context, s Session, vpcID string, ips []string) (map[string][]string, error)
}
