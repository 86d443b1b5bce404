package standbytest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"

	"ess-standby/handler/standby"
)

// Region is where the suite's groups are.
const Region = "cn-hangzhou"

// Subject is an implementation of the core's ports under test, with what
// the suite needs to steer and observe it.
type Subject struct {
	// Cloud is the implementation as each of the core's ports.
	Cloud   standby.Cloud
	Session standby.Session // in Region, with credentials it accepts
	// Fail makes the next n calls of method (any method of the three
	// ports, by name) fail as the cloud would answer err: its code, at the
	// HTTP status of its kind.
	Fail func(method string, n int, err *standby.Error)
	// State reports an instance's lifecycle state; "" when in no group.
	State func(id string) string
	// Tags reports an instance's tags, in the service that holds them (ECS,
	// or ECI for an elastic container instance); SetTags gives it some, as
	// another writer would.
	Tags    func(id string) standby.Tags
	SetTags func(id string, tags standby.Tags)
	// SetStatus sets an instance's ECS status (Running until set).
	SetStatus func(id, status string)
	// SetVPC puts a group in a VPC ("": the classic network, as every
	// group starts); SetAddress gives an instance a private IP, in its
	// group's VPC.
	SetVPC     func(group, vpc string)
	SetAddress func(id, ip string)
}

// Harness makes a subject holding groups: group → instance → lifecycle
// state, all in Region.
type Harness func(t *testing.T, groups map[string]map[string]string) Subject

// Conformance runs the contract of the core's ports against an
// implementation: every one (the fake the core's tests use, the SDK client
// over the emulator) must pass it, so that what the core's tests learn from
// one holds of the other. Each case is its own subtest, on its own subject,
// and checks what an implementation could get wrong.
func Conformance(t *testing.T, newSubject Harness) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, newSubject(t, fleet())) })
	}
}

var cases = []struct {
	name string
	run  func(*testing.T, Subject)
}{
	{"LookUpLeavesOutUnknownIDs", testLookUp},
	{"ScopedReadKeepsToItsGroup", testScopedRead},
	{"AnotherRegionHoldsNone", testAnotherRegion},
	{"ReadOfAGroupThatDoesNotExist", testGroupGone},
	{"TwentyOfALargeGroup", testTwentyOfMany},
	{"CountInstances", testCount},
	{"InstancesInEveryPage", testInstancesIn},
	{"ScalingGroupsOfTheRegion", testScalingGroups},
	{"EnterAndExitStandby", testEnterAndExit},
	{"SameTokenSameCallSameActivity", testSameToken},
	{"SameTokenOtherCallRefused", testTokenMismatch},
	{"StandbyRefusals", testRefusals},
	{"ActivityStatuses", testActivityStatuses},
	{"AFailureIsOneCallsAndChangesNothing", testFailureIsOneCall},
	{"TagReadUntag", testTagReadUntag},
	{"TagsOverwriteAndLeaveOthers", testTagsOverwrite},
	{"TagAnInstanceECSDoesNotKnow", testTagUnknown},
	{"TagsPastTheQuotaChangeNothing", testTagQuota},
	{"TagsOfFiftyInstances", testTagsOfFifty},
	{"MoreThanABatchOfTagsRefused", testTagBatch},
	{"ElasticContainerInstancesTagsBesideECS", testECITags},
	{"TagAnInstanceECIDoesNotKnow", testECITagUnknown},
	{"ECITagsPastTheQuotaChangeNothing", testECITagQuota},
	{"InstanceStatuses", testInstanceStatuses},
	{"GroupVPCs", testGroupVPCs},
	{"MoreThanABatchOfGroupsRefused", testGroupBatch},
	{"InstancesByPrivateIPKeepToTheirVPC", testByPrivateIP},
	{"AHundredAddressesInOneCall", testHundredAddresses},
	{"MoreThanABatchOfAddressesRefused", testAddressBatch},
	{"ElasticContainerInstancesHaveNoECSAddress", testECIAddress},
}

// fleet is the suite's groups: asg-a holds every lifecycle state a
// decision meets; asg-many is larger than a page; asg-mixed holds an ECS
// instance and more elastic container instances than a tag call names.
func fleet() map[string]map[string]string {
	many := map[string]string{}
	for i := range 120 {
		many[fmt.Sprintf("i-many%03d", i)] = "InService"
	}
	mixed := map[string]string{"i-m1": "InService"}
	for i := range 60 {
		mixed[eciM(i)] = "InService"
	}
	return map[string]map[string]string{
		"asg-a":     {"i-a1": "InService", "i-a2": "InService", "i-a3": "Standby", "i-a4": "Pending"},
		"asg-b":     {"i-b1": "InService"},
		"asg-many":  many,
		"asg-mixed": mixed,
	}
}

// eciM is asg-mixed's elastic container instance i.
func eciM(i int) string { return fmt.Sprintf("eci-m%03d", i) }

var (
	a1 = standby.ScalingInstance{InstanceID: "i-a1", ScalingGroupID: "asg-a", LifecycleState: "InService"}
	a3 = standby.ScalingInstance{InstanceID: "i-a3", ScalingGroupID: "asg-a", LifecycleState: "Standby"}
	b1 = standby.ScalingInstance{InstanceID: "i-b1", ScalingGroupID: "asg-b", LifecycleState: "InService"}
)

func testLookUp(t *testing.T, s Subject) {
	got, err := s.Cloud.Scaling.ScalingInstances(context.Background(), s.Session, "", []string{"i-a1", "i-b1", "i-a3", "i-nowhere"})
	if want := []standby.ScalingInstance{a1, b1, a3}; err != nil || !sameInstances(got, want) {
		t.Errorf("looked up = %+v, %v; want %+v (an unknown ID is left out)", got, err, want)
	}
}

func testScopedRead(t *testing.T, s Subject) {
	got, err := s.Cloud.Scaling.ScalingInstances(context.Background(), s.Session, "asg-a", []string{"i-a1", "i-b1"})
	if err != nil || !sameInstances(got, []standby.ScalingInstance{a1}) {
		t.Errorf("scoped to asg-a = %+v, %v; want i-a1 alone", got, err)
	}
}

func testAnotherRegion(t *testing.T, s Subject) {
	other := s.Session
	other.Region = "cn-beijing"
	if got, err := s.Cloud.Scaling.ScalingInstances(context.Background(), other, "", []string{"i-a1"}); err != nil || len(got) != 0 {
		t.Errorf("in another region = %+v, %v; want none", got, err)
	}
}

// Undocumented: an empty answer, or InvalidScalingGroupId.NotFound; never
// an instance.
func testGroupGone(t *testing.T, s Subject) {
	got, err := s.Cloud.Scaling.ScalingInstances(context.Background(), s.Session, "asg-gone", []string{"i-a1"})
	if len(got) != 0 || err != nil && standby.AsError(err).Code != "InvalidScalingGroupId.NotFound" {
		t.Errorf("scoped to a group that does not exist = %+v, %v", got, err)
	}
}

func testTwentyOfMany(t *testing.T, s Subject) {
	var twenty []string
	for i := range 20 {
		twenty = append(twenty, fmt.Sprintf("i-many%03d", i*5))
	}
	got, err := s.Cloud.Scaling.ScalingInstances(context.Background(), s.Session, "asg-many", twenty)
	var ids []string
	for _, in := range got {
		ids = append(ids, in.InstanceID)
	}
	if slices.Sort(ids); err != nil || !slices.Equal(ids, twenty) {
		t.Errorf("20 of a group of 120 = %v, %v; want exactly those asked", ids, err)
	}
}

func testCount(t *testing.T, s Subject) {
	for _, c := range []struct {
		group, state string
		want         int
	}{{"asg-many", "", 120}, {"asg-many", "InService", 120}, {"asg-a", "", 4}, {"asg-a", "InService", 2}, {"asg-a", "Standby", 1}, {"asg-b", "Pending", 0}} {
		if n, err := s.Cloud.Scaling.CountInstances(context.Background(), s.Session, c.group, c.state); err != nil || n != c.want {
			t.Errorf("CountInstances(%s, %q) = %d, %v; want %d", c.group, c.state, n, err, c.want)
		}
	}
}

func testInstancesIn(t *testing.T, s Subject) {
	ctx := context.Background()
	many, err := s.Cloud.Scaling.InstancesIn(ctx, s.Session, "asg-many", "InService")
	if slices.Sort(many); err != nil || len(many) != 120 || many[0] != "i-many000" || many[119] != "i-many119" || len(slices.Compact(slices.Clone(many))) != 120 {
		t.Errorf("InstancesIn(asg-many, InService) = %d, %v; want the 120, each once", len(many), err)
	}
	if got, err := s.Cloud.Scaling.InstancesIn(ctx, s.Session, "asg-a", "Standby"); err != nil || !slices.Equal(got, []string{"i-a3"}) {
		t.Errorf("InstancesIn(asg-a, Standby) = %v, %v; want [i-a3]", got, err)
	}
	if got, err := s.Cloud.Scaling.InstancesIn(ctx, s.Session, "asg-b", "Pending"); err != nil || len(got) != 0 {
		t.Errorf("InstancesIn(asg-b, Pending) = %v, %v; want none", got, err)
	}
}

func testScalingGroups(t *testing.T, s Subject) {
	got, err := s.Cloud.Scaling.ScalingGroups(context.Background(), s.Session)
	if slices.Sort(got); err != nil || !slices.Equal(got, []string{"asg-a", "asg-b", "asg-many", "asg-mixed"}) {
		t.Errorf("ScalingGroups = %v, %v; want the four", got, err)
	}
	other := s.Session
	other.Region = "cn-beijing"
	if got, err := s.Cloud.Scaling.ScalingGroups(context.Background(), other); err != nil || len(got) != 0 {
		t.Errorf("ScalingGroups in another region = %v, %v; want none", got, err)
	}
}

var enterA = standby.Call{Action: standby.EnterStandby, ScalingGroupID: "asg-a", InstanceIDs: []string{"i-a1", "i-a2"}, ClientToken: "conformance-1"}

func testEnterAndExit(t *testing.T, s Subject) {
	ctx := context.Background()
	a, err := s.Cloud.Scaling.Standby(ctx, s.Session, enterA)
	if err != nil || a.ScalingActivityID == "" || a.ScalingGroupID != "asg-a" || !slices.Equal(a.InstanceIDs, enterA.InstanceIDs) || s.State("i-a1") != "Standby" || s.State("i-a2") != "Standby" {
		t.Fatalf("EnterStandby = %+v, %v; i-a1 is %s, i-a2 %s", a, err, s.State("i-a1"), s.State("i-a2"))
	}
	exit := standby.Call{Action: standby.ExitStandby, ScalingGroupID: "asg-a", InstanceIDs: []string{"i-a1"}, ClientToken: "conformance-2"}
	if b, err := s.Cloud.Scaling.Standby(ctx, s.Session, exit); err != nil || b.ScalingActivityID == "" || b.ScalingActivityID == a.ScalingActivityID || s.State("i-a1") != "InService" || s.State("i-a2") != "Standby" {
		t.Errorf("ExitStandby = %+v, %v; i-a1 is %s, i-a2 %s", b, err, s.State("i-a1"), s.State("i-a2"))
	}
}

// The same token and call: the same activity, nothing started.
func testSameToken(t *testing.T, s Subject) {
	ctx := context.Background()
	a, err := s.Cloud.Scaling.Standby(ctx, s.Session, enterA)
	if err != nil {
		t.Fatal(err)
	}
	s.Cloud.Scaling.Standby(ctx, s.Session, standby.Call{Action: standby.ExitStandby, ScalingGroupID: "asg-a", InstanceIDs: []string{"i-a1"}, ClientToken: "conformance-2"})
	again, err := s.Cloud.Scaling.Standby(ctx, s.Session, enterA)
	if err != nil || again.ScalingActivityID != a.ScalingActivityID || s.State("i-a1") != "InService" {
		t.Errorf("the same call again = %+v, %v, i-a1 %s; want activity %s, nothing moved", again, err, s.State("i-a1"), a.ScalingActivityID)
	}
}

// The same token for another call: refused, and nothing moved.
func testTokenMismatch(t *testing.T, s Subject) {
	ctx := context.Background()
	if _, err := s.Cloud.Scaling.Standby(ctx, s.Session, enterA); err != nil {
		t.Fatal(err)
	}
	other := standby.Call{Action: standby.EnterStandby, ScalingGroupID: "asg-b", InstanceIDs: []string{"i-b1"}, ClientToken: enterA.ClientToken}
	expectCode(t, "the token of another call", "IdempotentParameterMismatch", standby.Conflict)(s.Cloud.Scaling.Standby(ctx, s.Session, other))
	if s.State("i-b1") != "InService" {
		t.Errorf("a refused token moved i-b1 to %s", s.State("i-b1"))
	}
}

func testRefusals(t *testing.T, s Subject) {
	ctx := context.Background()
	call := func(group string, ids ...string) standby.Call {
		return standby.Call{Action: standby.EnterStandby, ScalingGroupID: group, InstanceIDs: ids}
	}
	expectCode(t, "a Pending instance", "IncorrectInstanceStatus", standby.Conflict)(s.Cloud.Scaling.Standby(ctx, s.Session, call("asg-a", "i-a4")))
	expectCode(t, "an instance in Standby", "IncorrectInstanceStatus", standby.Conflict)(s.Cloud.Scaling.Standby(ctx, s.Session, call("asg-a", "i-a3")))
	expectCode(t, "an instance of another group", "InvalidInstanceId.NotFound", standby.NotFound)(s.Cloud.Scaling.Standby(ctx, s.Session, call("asg-a", "i-b1")))
	expectCode(t, "a group that does not exist", "InvalidScalingGroupId.NotFound", standby.NotFound)(s.Cloud.Scaling.Standby(ctx, s.Session, call("asg-gone", "i-a1")))
	expectCode(t, "one of two not InService", "IncorrectInstanceStatus", standby.Conflict)(s.Cloud.Scaling.Standby(ctx, s.Session, call("asg-a", "i-a1", "i-a3")))
	if s.State("i-a1") != "InService" || s.State("i-a4") != "Pending" || s.State("i-b1") != "InService" {
		t.Errorf("a refused call changed something: i-a1 %s, i-a4 %s, i-b1 %s", s.State("i-a1"), s.State("i-a4"), s.State("i-b1"))
	}
}

func testActivityStatuses(t *testing.T, s Subject) {
	ctx := context.Background()
	a, err := s.Cloud.Scaling.Standby(ctx, s.Session, standby.Call{Action: standby.EnterStandby, ScalingGroupID: "asg-b", InstanceIDs: []string{"i-b1"}, Async: true})
	if err != nil {
		t.Fatal(err)
	}
	final := ""
	for poll := 0; poll < 5 && final != "Successful"; poll++ {
		statuses, err := s.Cloud.Scaling.ActivityStatuses(ctx, s.Session, []string{a.ScalingActivityID, "asa-nowhere"})
		if err != nil || len(statuses) != 1 || statuses[0].ScalingActivityID != a.ScalingActivityID || !slices.Contains([]string{"InProgress", "Successful"}, statuses[0].StatusCode) {
			t.Fatalf("poll %d = %+v, %v; want the activity alone, InProgress or Successful", poll, statuses, err)
		}
		final = statuses[0].StatusCode
	}
	if final != "Successful" {
		t.Errorf("the activity is %s after 5 polls", final)
	}
}

// A failure Auto Scaling answers comes back with its code, for the call it
// answered alone: it changes nothing, and the next call succeeds.
func testFailureIsOneCall(t *testing.T, s Subject) {
	ctx := context.Background()
	throttled := &standby.Error{Kind: standby.Throttled, Code: "Throttling", Message: "Request was denied due to request throttling."}
	s.SetVPC("asg-b", "vpc-b")
	s.SetAddress("i-b1", "10.0.2.1")
	for _, c := range slices.Concat(scalingCalls(ctx, s), instancesCalls(ctx, s), addressesCalls(ctx, s)) {
		s.Fail(c.method, 1, throttled)
		expectCode(t, c.method+" told to fail", throttled.Code, throttled.Kind)(nil, c.call())
		if c.method == "Standby" && s.State("i-b1") != "InService" {
			t.Errorf("a failed Standby call moved i-b1 to %s", s.State("i-b1"))
		}
		if err := c.call(); err != nil {
			t.Errorf("after one failure of %s, the next call failed: %v", c.method, err)
		}
		if c.method == "Standby" && s.State("i-b1") != "Standby" {
			t.Errorf("the Standby call after its failure left i-b1 %s", s.State("i-b1"))
		}
	}
}

// portCall is one call of a port's method, named as Subject.Fail names it.
type portCall struct {
	method string
	call   func() error
}

// scalingCalls are a call of each method of standby.AutoScaling, over the
// suite's fleet.
func scalingCalls(ctx context.Context, s Subject) []portCall {
	return []portCall{
		{"ScalingInstances", func() error {
			_, err := s.Cloud.Scaling.ScalingInstances(ctx, s.Session, "", []string{"i-a1"})
			return err
		}},
		{"CountInstances", func() error {
			_, err := s.Cloud.Scaling.CountInstances(ctx, s.Session, "asg-a", "")
			return err
		}},
		{"InstancesIn", func() error {
			_, err := s.Cloud.Scaling.InstancesIn(ctx, s.Session, "asg-a", "Standby")
			return err
		}},
		{"ScalingGroups", func() error {
			_, err := s.Cloud.Scaling.ScalingGroups(ctx, s.Session)
			return err
		}},
		{"Standby", func() error {
			_, err := s.Cloud.Scaling.Standby(ctx, s.Session, standby.Call{Action: standby.EnterStandby, ScalingGroupID: "asg-b", InstanceIDs: []string{"i-b1"}})
			return err
		}},
		{"ActivityStatuses", func() error {
			_, err := s.Cloud.Scaling.ActivityStatuses(ctx, s.Session, []string{"asa-1"})
			return err
		}},
	}
}

// instancesCalls are a call of each method of standby.Instances, on i-b1.
func instancesCalls(ctx context.Context, s Subject) []portCall {
	return []portCall{
		{"TagInstances", func() error {
			return s.Cloud.Instances.TagInstances(ctx, s.Session, []string{"i-b1"}, standby.Tags{"ess-standby:rule": "r"})
		}},
		{"UntagInstances", func() error {
			return s.Cloud.Instances.UntagInstances(ctx, s.Session, []string{"i-b1"}, []string{"ess-standby:rule"})
		}},
		{"InstanceTags", func() error {
			_, err := s.Cloud.Instances.InstanceTags(ctx, s.Session, []string{"i-b1"}, "ess-standby:")
			return err
		}},
		{"InstanceStatuses", func() error {
			_, err := s.Cloud.Instances.InstanceStatuses(ctx, s.Session, []string{"i-b1"})
			return err
		}},
	}
}

func testTagReadUntag(t *testing.T, s Subject) {
	ctx := context.Background()
	ours := standby.Tags{"ess-standby:rule": "cpu-high", "ess-standby:since": "2026-11-27T04:30:15Z"}
	if err := s.Cloud.Instances.TagInstances(ctx, s.Session, []string{"i-a1", "i-a2"}, ours); err != nil {
		t.Fatal(err)
	}
	got, err := s.Cloud.Instances.InstanceTags(ctx, s.Session, []string{"i-a1", "i-a2", "i-b1"}, "ess-standby:")
	if want := map[string]standby.Tags{"i-a1": ours, "i-a2": ours}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("InstanceTags = %v, %v; want %v (an instance without ours left out)", got, err, want)
	}
	if got, err := s.Cloud.Instances.InstanceTags(ctx, s.Session, []string{"i-a1"}, "team:"); err != nil || len(got) != 0 {
		t.Errorf("InstanceTags under another prefix = %v, %v; want none", got, err)
	}
	if err := s.Cloud.Instances.UntagInstances(ctx, s.Session, []string{"i-a1", "i-b1"}, []string{"ess-standby:rule", "ess-standby:since"}); err != nil {
		t.Errorf("UntagInstances, one instance without the keys: %v", err)
	}
	if len(s.Tags("i-a1")) != 0 || !reflect.DeepEqual(s.Tags("i-a2"), ours) {
		t.Errorf("after UntagInstances: i-a1 %v, i-a2 %v", s.Tags("i-a1"), s.Tags("i-a2"))
	}
}

func testTagsOverwrite(t *testing.T, s Subject) {
	ctx := context.Background()
	s.SetTags("i-a1", standby.Tags{"team": "web", "ess-standby:rule": "old"})
	if err := s.Cloud.Instances.TagInstances(ctx, s.Session, []string{"i-a1"}, standby.Tags{"ess-standby:rule": "new"}); err != nil {
		t.Fatal(err)
	}
	if want := (standby.Tags{"team": "web", "ess-standby:rule": "new"}); !reflect.DeepEqual(s.Tags("i-a1"), want) {
		t.Errorf("tags %v, want %v", s.Tags("i-a1"), want)
	}
}

func testTagUnknown(t *testing.T, s Subject) {
	err := s.Cloud.Instances.TagInstances(context.Background(), s.Session, []string{"i-a1", "i-nowhere"}, standby.Tags{"ess-standby:rule": "r"})
	expectCode(t, "an instance ECS does not know", "InvalidResourceId.NotFound", standby.NotFound)(nil, err)
	if len(s.Tags("i-a1")) != 0 {
		t.Errorf("a refused call tagged i-a1: %v", s.Tags("i-a1"))
	}
}

// An instance holds at most 20 tags: a call that would pass the quota on
// one instance tags none.
func testTagQuota(t *testing.T, s Subject) {
	full := standby.Tags{}
	for i := range 19 {
		full[fmt.Sprintf("team:%02d", i)] = "x"
	}
	s.SetTags("i-a2", full)
	err := s.Cloud.Instances.TagInstances(context.Background(), s.Session, []string{"i-a1", "i-a2"}, standby.Tags{"ess-standby:rule": "r", "ess-standby:event": "e"})
	expectCode(t, "past the tag quota", "OperationDenied.QuotaExceed", standby.Conflict)(nil, err)
	if len(s.Tags("i-a1")) != 0 || len(s.Tags("i-a2")) != 19 {
		t.Errorf("a refused call changed tags: i-a1 %v, i-a2 has %d", s.Tags("i-a1"), len(s.Tags("i-a2")))
	}
}

// five is the function's five tags, as a lifecycle writes them.
func five() standby.Tags {
	tags := standby.Tags{}
	for _, k := range []string{"source", "rule", "event", "since", "until"} {
		tags["ess-standby:"+k] = k
	}
	return tags
}

// The tags of a batch of instances, five each: more than one page of
// ECS's answer; and of a batch of elastic container instances, more than
// one of ECI's calls names.
func testTagsOfFifty(t *testing.T, s Subject) {
	ctx := context.Background()
	var ecs, eci []string
	for i := range standby.TagBatch {
		ecs, eci = append(ecs, fmt.Sprintf("i-many%03d", i)), append(eci, eciM(i))
	}
	for _, batch := range [][]string{ecs, eci} {
		if err := s.Cloud.Instances.TagInstances(ctx, s.Session, batch, five()); err != nil {
			t.Fatal(err)
		}
		got, err := s.Cloud.Instances.InstanceTags(ctx, s.Session, batch, "ess-standby:")
		if err != nil || len(got) != len(batch) || !reflect.DeepEqual(got[batch[len(batch)-1]], five()) {
			t.Errorf("InstanceTags of %d from %s = %d instances, %v; want each with five tags", len(batch), batch[0], len(got), err)
		}
		if err := s.Cloud.Instances.UntagInstances(ctx, s.Session, batch, slices.Collect(maps.Keys(five()))); err != nil || len(s.Tags(batch[0])) != 0 || len(s.Tags(batch[len(batch)-1])) != 0 {
			t.Errorf("UntagInstances of %d: %v; left %v", len(batch), err, s.Tags(batch[len(batch)-1]))
		}
	}
}

// A call naming more than standby.TagBatch instances is refused, as ECS
// refuses more than 50 resources, whichever service holds them, and
// changes nothing.
func testTagBatch(t *testing.T, s Subject) {
	ctx := context.Background()
	var ecs []string
	for i := range standby.TagBatch + 1 {
		ecs = append(ecs, fmt.Sprintf("i-many%03d", i))
	}
	mixed := []string{"i-m1"}
	for i := range standby.TagBatch {
		mixed = append(mixed, eciM(i))
	}
	for _, ids := range [][]string{ecs, mixed} {
		expectCode(t, "TagInstances of 51", "NumberExceed.ResourceIds", standby.Invalid)(nil, s.Cloud.Instances.TagInstances(ctx, s.Session, ids, five()))
		expectCode(t, "UntagInstances of 51", "NumberExceed.ResourceIds", standby.Invalid)(nil, s.Cloud.Instances.UntagInstances(ctx, s.Session, ids, []string{"ess-standby:rule"}))
		expectCode(t, "InstanceTags of 51", "NumberExceed.ResourceIds", standby.Invalid)(s.Cloud.Instances.InstanceTags(ctx, s.Session, ids, "ess-standby:"))
		if len(s.Tags(ids[0])) != 0 || len(s.Tags(ids[len(ids)-1])) != 0 {
			t.Errorf("a refused call tagged %s or %s", ids[0], ids[len(ids)-1])
		}
	}
}

// An elastic container instance's tags are written, read and removed
// through the same calls as an ECS instance's, beside one in the same
// call; reading them leaves out one without the function's.
func testECITags(t *testing.T, s Subject) {
	ctx := context.Background()
	ours := standby.Tags{"ess-standby:rule": "cpu-high", "ess-standby:since": "2026-11-27T04:30:15Z"}
	if err := s.Cloud.Instances.TagInstances(ctx, s.Session, []string{"i-m1", eciM(0), eciM(1)}, ours); err != nil {
		t.Fatal(err)
	}
	got, err := s.Cloud.Instances.InstanceTags(ctx, s.Session, []string{eciM(0), "i-m1", eciM(1), eciM(2)}, "ess-standby:")
	if want := map[string]standby.Tags{"i-m1": ours, eciM(0): ours, eciM(1): ours}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("InstanceTags = %v, %v; want %v", got, err, want)
	}
	if err := s.Cloud.Instances.UntagInstances(ctx, s.Session, []string{eciM(0), "i-m1", eciM(2)}, []string{"ess-standby:rule", "ess-standby:since"}); err != nil {
		t.Errorf("UntagInstances, one instance without the keys: %v", err)
	}
	if len(s.Tags(eciM(0))) != 0 || len(s.Tags("i-m1")) != 0 || !reflect.DeepEqual(s.Tags(eciM(1)), ours) {
		t.Errorf("after UntagInstances: %s %v, i-m1 %v, %s %v", eciM(0), s.Tags(eciM(0)), s.Tags("i-m1"), eciM(1), s.Tags(eciM(1)))
	}
}

func testECITagUnknown(t *testing.T, s Subject) {
	err := s.Cloud.Instances.TagInstances(context.Background(), s.Session, []string{eciM(0), "eci-nowhere"}, standby.Tags{"ess-standby:rule": "r"})
	expectCode(t, "an instance ECI does not know", "InvalidResourceId.NotFound", standby.NotFound)(nil, err)
	if len(s.Tags(eciM(0))) != 0 {
		t.Errorf("a refused call tagged %s: %v", eciM(0), s.Tags(eciM(0)))
	}
}

// An elastic container instance holds at most 20 tags too, and ECI says
// so with NumberExceed.Tags, which no retry mends: a call that would pass
// the quota on one instance tags none.
func testECITagQuota(t *testing.T, s Subject) {
	full := standby.Tags{}
	for i := range 19 {
		full[fmt.Sprintf("team:%02d", i)] = "x"
	}
	s.SetTags(eciM(1), full)
	err := s.Cloud.Instances.TagInstances(context.Background(), s.Session, []string{eciM(0), eciM(1)}, standby.Tags{"ess-standby:rule": "r", "ess-standby:event": "e"})
	expectCode(t, "past ECI's tag quota", "NumberExceed.Tags", standby.Invalid)(nil, err)
	if len(s.Tags(eciM(0))) != 0 || len(s.Tags(eciM(1))) != 19 {
		t.Errorf("a refused call changed tags: %s %v, %s has %d", eciM(0), s.Tags(eciM(0)), eciM(1), len(s.Tags(eciM(1))))
	}
}

// ECS's status of each instance named: Running until it changes; one ECS
// does not know, of another region, or an elastic container instance
// (which ECS does not hold) left out; 20 in one call.
func testInstanceStatuses(t *testing.T, s Subject) {
	ctx := context.Background()
	s.SetStatus("i-a2", "Stopped")
	got, err := s.Cloud.Instances.InstanceStatuses(ctx, s.Session, []string{"i-a1", "i-a2", "i-nowhere", eciM(0)})
	if want := map[string]string{"i-a1": "Running", "i-a2": "Stopped"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("InstanceStatuses = %v, %v; want %v", got, err, want)
	}
	elsewhere := s.Session
	elsewhere.Region = "cn-shanghai"
	if got, err := s.Cloud.Instances.InstanceStatuses(ctx, elsewhere, []string{"i-a1"}); err != nil || len(got) != 0 {
		t.Errorf("InstanceStatuses in another region = %v, %v; want none", got, err)
	}
	if got, err := s.Cloud.Instances.InstanceStatuses(ctx, s.Session, []string{eciM(0), eciM(1)}); err != nil || len(got) != 0 {
		t.Errorf("InstanceStatuses of elastic container instances alone = %v, %v; want none", got, err)
	}
	var twenty []string
	for i := range 20 {
		twenty = append(twenty, fmt.Sprintf("i-many%03d", i))
	}
	if got, err := s.Cloud.Instances.InstanceStatuses(ctx, s.Session, twenty); err != nil || len(got) != 20 {
		t.Errorf("InstanceStatuses of 20 = %d, %v; want 20", len(got), err)
	}
}

// expectCode checks that a call failed with code, of kind.
func expectCode(t *testing.T, what, code string, kind standby.Kind) func(any, error) {
	t.Helper()
	return func(_ any, err error) {
		t.Helper()
		var e *standby.Error
		if !errors.As(err, &e) || e.Code != code || e.Kind != kind {
			t.Errorf("%s: %v; want %s, kind %d", what, err, code, kind)
		}
	}
}

func sameInstances(got, want []standby.ScalingInstance) bool {
	key := func(in standby.ScalingInstance) string { return in.InstanceID }
	g, w := slices.Clone(got), slices.Clone(want)
	slices.SortFunc(g, func(a, b standby.ScalingInstance) int { return cmp.Compare(key(a), key(b)) })
	slices.SortFunc(w, func(a, b standby.ScalingInstance) int { return cmp.Compare(key(a), key(b)) })
	return slices.Equal(g, w)
}
