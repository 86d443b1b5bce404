package standby_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
)

// statusFleet is leases' asg-a (one InService; in Standby an ended lease,
// a running one, one without the function's tags) with one whose tags do
// not add up, and asg-b.
func statusFleet() *standbytest.Fake {
	f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{
		"asg-a": {"i-a1": "InService", "i-a2": "InService", "i-a3": "Pending", "i-ended": "Standby", "i-leased": "Standby", "i-theirs": "Standby", "i-odd": "Standby"},
		"asg-b": {"i-b1": "InService", "i-b-ended": "Standby"},
	})
	for id, tags := range map[string]standby.Tags{
		"i-ended":   lease(parkedAt.Add(-time.Hour)),
		"i-leased":  lease(parkedAt.Add(time.Hour)),
		"i-b-ended": lease(parkedAt.Add(-time.Minute)),
		"i-theirs":  {"team": "web"},
		"i-odd":     {"ess-standby:source": "direct", "ess-standby:since": parkedAt.Format(time.RFC3339), "ess-standby:until": parkedAt.Add(-time.Hour).Format(time.RFC3339)},
	} {
		f.SetTags(id, tags)
	}
	return f
}

// lease is the tags of an instance parked by cpu-high's alarm a day
// before until.
func lease(until time.Time) standby.Tags {
	return standby.Tags{"ess-standby:source": "cms-alarm-callback", "ess-standby:rule": "cpu-high",
		"ess-standby:since": until.Add(-24 * time.Hour).Format(time.RFC3339), "ess-standby:until": until.Format(time.RFC3339)}
}

func statusResults(st standby.Status) map[string]string {
	out := map[string]string{}
	for _, g := range st.Groups {
		for _, l := range g.Instances {
			out[l.InstanceID] = fmt.Sprintf("%s attention=%t", l.Result, l.Attention)
		}
	}
	return out
}

// Status judges each Standby instance as a sweep does, flags every one
// but a running lease for a person, says what its tags say, and changes
// nothing: no call but reads, not even of owed tags.
func TestStatusJudgesEachStandbyInstance(t *testing.T) {
	f := statusFleet()
	st, _, err := tagged(standby.Config{}, f).Status(context.Background(), inv, standby.Request{})
	want := map[string]string{
		"i-ended": "LeaseEnded attention=true", "i-leased": "Leased attention=false", "i-theirs": "NotParked attention=true",
		"i-odd": "LeaseInvalid attention=true", "i-b-ended": "LeaseEnded attention=true",
	}
	if diff := cmp.Diff(want, statusResults(st)); err != nil || diff != "" {
		t.Fatalf("Status = %v (-want +got):\n%s", err, diff)
	}
	if st.Region != "cn-hangzhou" || !st.At.Equal(parkedAt) || len(st.Groups) != 2 || st.Groups[0].ScalingGroupID != "asg-a" {
		t.Errorf("status %+v", st)
	}
	ended := st.Groups[0].Instances[0]
	wantEnded := standby.StatusLine{InstanceID: "i-ended", ScalingGroupID: "asg-a", Result: "LeaseEnded", Source: "cms-alarm-callback", Rule: "cpu-high",
		Since: "2026-11-26T03:30:15Z", Until: "2026-11-27T03:30:15Z", Attention: true, Reason: "its lease ended 1h0m0s ago"}
	if diff := cmp.Diff(wantEnded, ended); diff != "" {
		t.Errorf("the ended lease's line (-want +got):\n%s", diff)
	}
	for _, c := range f.Calls("") {
		if !strings.HasPrefix(c.Method, "Count") && c.Method != "InstancesIn" && c.Method != "InstanceTags" && c.Method != "ScalingGroups" {
			t.Errorf("Status called %s", c.Method)
		}
	}
}

// Each group's counts, and the room MIN_IN_SERVICE and MAX_STANDBY leave
// as a plan would judge them: a group at its cap has none, however much
// MIN_IN_SERVICE leaves; unset guards leave the room unsaid.
func TestStatusSaysTheRoomTheGuardsLeave(t *testing.T) {
	tests := []struct {
		name         string
		min, most    standby.Share
		wantMin      *standby.Bound
		wantMax      *standby.Bound
		room         int
		roomSaid     bool
		inService, n int
	}{
		// asg-a: 7 instances, 2 InService, 4 in Standby.
		{"no guard", standby.Share{}, standby.Share{}, nil, nil, 0, false, 2, 7},
		{"at its cap", standby.Share{Count: 1}, standby.Share{Percent: 60}, &standby.Bound{Setting: "1", Count: 1, Room: 1}, &standby.Bound{Setting: "60%", Count: 4, Room: 0}, 0, true, 2, 7},
		{"past its cap", standby.Share{}, standby.Share{Count: 2}, nil, &standby.Bound{Setting: "2", Count: 2, Room: 0}, 0, true, 2, 7},
		{"room under both", standby.Share{Percent: 10}, standby.Share{Count: 6}, &standby.Bound{Setting: "10%", Count: 1, Room: 1}, &standby.Bound{Setting: "6", Count: 6, Room: 2}, 1, true, 2, 7},
		{"at its floor", standby.Share{Percent: 25}, standby.Share{Count: 6}, &standby.Bound{Setting: "25%", Count: 2, Room: 0}, &standby.Bound{Setting: "6", Count: 6, Room: 2}, 0, true, 2, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, err := tagged(standby.Config{MinInService: tt.min, MaxStandby: tt.most}, statusFleet()).Status(context.Background(), inv, standby.Request{ScalingGroupID: "asg-a"})
			if err != nil || len(st.Groups) != 1 {
				t.Fatalf("Status = %+v, %v", st, err)
			}
			g := st.Groups[0]
			if g.InService != tt.inService || g.Standby != 4 || g.Total != tt.n {
				t.Errorf("counts %d InService, %d Standby, %d in all", g.InService, g.Standby, g.Total)
			}
			if diff := cmp.Diff(tt.wantMin, g.MinInService); diff != "" {
				t.Errorf("MIN_IN_SERVICE (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantMax, g.MaxStandby); diff != "" {
				t.Errorf("MAX_STANDBY (-want +got):\n%s", diff)
			}
			if room, ok := g.Room(); room != tt.room || ok != tt.roomSaid {
				t.Errorf("Room() = %d, %t; want %d, %t", room, ok, tt.room, tt.roomSaid)
			}
		})
	}
}

// Status looks at the groups a sweep would: the one asked for (refused
// outside ALLOWED_SCALING_GROUP_IDS), else the allowed ones, else every
// group of the region. A group it cannot read says why, and the others are
// still answered.
func TestStatusGroups(t *testing.T) {
	tests := []struct {
		name    string
		allowed []string
		group   string
		want    []string
		code    string
	}{
		{"every group of the region", nil, "", []string{"asg-a", "asg-b"}, ""},
		{"the allowed", []string{"asg-b"}, "", []string{"asg-b"}, ""},
		{"the one asked for", nil, "asg-b", []string{"asg-b"}, ""},
		{"one not allowed", []string{"asg-a"}, "asg-b", nil, "Forbidden.ScalingGroupNotAllowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, err := tagged(standby.Config{AllowedGroups: tt.allowed}, statusFleet()).Status(context.Background(), inv, standby.Request{ScalingGroupID: tt.group})
			var got []string
			for _, g := range st.Groups {
				got = append(got, g.ScalingGroupID)
			}
			if !cmp.Equal(got, tt.want) || tt.code == "" && err != nil || tt.code != "" && standby.AsError(err).Code != tt.code {
				t.Errorf("groups %v, %v; want %v, %q", got, err, tt.want, tt.code)
			}
		})
	}
	f := statusFleet()
	f.FailGroup("InstancesIn", "asg-a", 0, &standby.Error{Kind: standby.Forbidden, Code: "Forbidden.RAM", Message: "no"})
	st, _, err := tagged(standby.Config{}, f).Status(context.Background(), inv, standby.Request{})
	if standby.AsError(err).Code != "Forbidden.RAM" || len(st.Groups) != 2 || st.Groups[0].Code != "Forbidden.RAM" || len(st.Groups[1].Instances) != 1 {
		t.Errorf("Status = %+v, %v; want asg-a's failure said, asg-b read", st, err)
	}
}

// Tags this process owes (ECS did not take them) are what makes a Standby
// without tags the function's own: Status says so (Untagged, judged from
// what they should say), where another process could only say NotParked,
// and writes nothing: a status is read-only.
func TestStatusShowsTagsOwedAsUntagged(t *testing.T) {
	f := fleet(nil)
	f.Fail("TagInstances", 0, &standby.Error{Kind: standby.Forbidden, Code: "NoPermission.Tag", Message: "not allowed"})
	svc := tagged(standby.Config{}, f)
	svc.Run(context.Background(), inv, alarmRequest("i-a1"))
	tagCalls := len(f.Calls("TagInstances"))
	st, _, err := svc.Status(context.Background(), inv, standby.Request{ScalingGroupID: "asg-a"})
	if err != nil || len(st.Groups) != 1 || len(st.Groups[0].Instances) != 1 {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	l := st.Groups[0].Instances[0]
	if l.Result != "Untagged" || !l.Attention || l.Rule != "cpu-high" || l.Until != parkedAt.Add(6*time.Hour).Format(time.RFC3339) || !strings.Contains(l.Reason, "NoPermission.Tag") {
		t.Errorf("the untagged instance's line %+v", l)
	}
	if n := len(f.Calls("TagInstances")); n != tagCalls {
		t.Errorf("Status wrote tags: %d tag calls, %d before", n, tagCalls)
	}
	other, _, _ := tagged(standby.Config{}, f).Status(context.Background(), inv, standby.Request{ScalingGroupID: "asg-a"})
	if r := other.Groups[0].Instances[0].Result; r != "NotParked" {
		t.Errorf("another process says %s; it cannot tell the instance the function's", r)
	}
}

func releaseLines(r standby.Result) map[string]string {
	out := map[string]string{}
	for _, l := range r.Instances {
		out[l.InstanceID] = l.Result + " " + l.Code
	}
	return out
}

// Release takes back what the function parked, its tags removed, and
// refuses an instance in Standby without them unless forced; an instance
// not in Standby is answered as any exit answers it; a dry run plans and
// changes nothing.
func TestRelease(t *testing.T) {
	ids := []string{"i-ended", "i-theirs", "i-a1", "i-odd"}
	tests := []struct {
		name    string
		cfg     standby.Config
		force   bool
		dryRun  bool
		want    map[string]string
		inState map[string]string
	}{
		{"the function's", standby.Config{}, false, false,
			map[string]string{"i-ended": "ExitedStandby ", "i-theirs": "Refused Forbidden.NotParked", "i-a1": "Skipped ", "i-odd": "ExitedStandby "},
			map[string]string{"i-ended": "InService", "i-theirs": "Standby", "i-odd": "InService"}},
		{"forced", standby.Config{}, true, false,
			map[string]string{"i-ended": "ExitedStandby ", "i-theirs": "ExitedStandby ", "i-a1": "Skipped ", "i-odd": "ExitedStandby "},
			map[string]string{"i-ended": "InService", "i-theirs": "InService", "i-odd": "InService"}},
		{"dry run", standby.Config{}, false, true,
			map[string]string{"i-ended": "Planned ", "i-theirs": "Refused Forbidden.NotParked", "i-a1": "Skipped ", "i-odd": "Planned "},
			map[string]string{"i-ended": "Standby", "i-theirs": "Standby", "i-odd": "Standby"}},
		{"DRY_RUN", standby.Config{DryRun: true}, true, false,
			map[string]string{"i-ended": "Planned ", "i-theirs": "Planned ", "i-a1": "Skipped ", "i-odd": "Planned "},
			map[string]string{"i-ended": "Standby", "i-theirs": "Standby", "i-odd": "Standby"}},
		{"a group not allowed", standby.Config{AllowedGroups: []string{"asg-b"}}, false, false,
			map[string]string{"i-ended": "Refused Forbidden.ScalingGroupNotAllowed", "i-theirs": "Refused Forbidden.ScalingGroupNotAllowed", "i-a1": "Refused Forbidden.ScalingGroupNotAllowed", "i-odd": "Refused Forbidden.ScalingGroupNotAllowed"},
			map[string]string{"i-ended": "Standby", "i-theirs": "Standby", "i-odd": "Standby"}},
		{"more than MAX_INSTANCES", standby.Config{MaxInstances: 3}, false, false,
			map[string]string{"i-ended": "Refused InvalidParameter", "i-theirs": "Refused InvalidParameter", "i-a1": "Refused InvalidParameter", "i-odd": "Refused InvalidParameter"},
			map[string]string{"i-ended": "Standby", "i-theirs": "Standby", "i-odd": "Standby"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := statusFleet()
			res, _ := tagged(tt.cfg, f).Release(context.Background(), inv, standby.Request{InstanceIDs: ids, DryRun: tt.dryRun}, tt.force)
			if diff := cmp.Diff(tt.want, releaseLines(res)); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			for i, l := range res.Instances {
				if l.InstanceID != ids[i] {
					t.Errorf("line %d is %s, want %s: lines in the order named", i, l.InstanceID, ids[i])
				}
			}
			for id, state := range tt.inState {
				if f.State(id) != state {
					t.Errorf("%s is %s, want %s", id, f.State(id), state)
				}
				if back := state == "InService"; back != (len(f.Tags(id)) == 0) && id != "i-theirs" {
					t.Errorf("%s is %s with tags %v", id, f.State(id), f.Tags(id))
				}
			}
			if f.Tags("i-theirs")["team"] != "web" {
				t.Errorf("someone else's tags were touched: %v", f.Tags("i-theirs"))
			}
			if r := res.Instances[1]; r.Code == standby.NotParkedCode && (r.Err == nil || !strings.Contains(r.Reason, "without the function's tags")) {
				t.Errorf("the refusal %+v does not say why", r)
			}
		})
	}
}

// Whether the function parked an instance is read from its tags: tags
// that cannot be read leave it Failed, and nothing is called for it.
func TestReleaseAssumesNothing(t *testing.T) {
	f := statusFleet()
	f.Fail("InstanceTags", 0, &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: "ECS is down"})
	res, _ := tagged(standby.Config{}, f).Release(context.Background(), inv, standby.Request{InstanceIDs: []string{"i-ended", "i-theirs"}}, false)
	want := map[string]string{"i-ended": "Failed ServiceUnavailable", "i-theirs": "Failed ServiceUnavailable"}
	if diff := cmp.Diff(want, releaseLines(res)); diff != "" || len(f.Calls("Standby")) != 0 {
		t.Errorf("%d Standby calls; lines (-want +got):\n%s", len(f.Calls("Standby")), diff)
	}
}

// A group of 1,000 instances, 300 of them in Standby: Status reads the
// list once (the client pages it), the counts twice, and the tags in calls
// of TagBatch, whatever the fleet holds.
func TestStatusOfAThousandIsBounded(t *testing.T) {
	f := bigGroup(1000, 300)
	st, stats, err := tagged(standby.Config{MaxStandby: standby.Share{Percent: 25}}, f).Status(context.Background(), inv, standby.Request{ScalingGroupID: "asg-big"})
	if err != nil || len(st.Groups[0].Instances) != 300 || st.Groups[0].Total != 1000 {
		t.Fatalf("Status = %v, %d lines", err, len(st.Groups[0].Instances))
	}
	calls := map[string]int{}
	for _, c := range f.Calls("") {
		calls[c.Method]++
	}
	if want := map[string]int{"CountInstances": 2, "InstancesIn": 1, "InstanceTags": 6}; !cmp.Equal(calls, want) || stats.Attempts != 9 {
		t.Errorf("calls %v (%d attempts); want %v", calls, stats.Attempts, want)
	}
}

// bigGroup is asg-big of n instances, the first standby of them in
// Standby: a third with a running lease, a third ended, a third someone
// else's.
func bigGroup(n, inStandby int) *standbytest.Fake {
	instances := map[string]string{}
	for i := range n {
		instances[fmt.Sprintf("i-big%04d", i)] = "InService"
	}
	f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-big": instances})
	for i := range inStandby {
		id := fmt.Sprintf("i-big%04d", i)
		f.Move(id, "Standby")
		switch i % 3 {
		case 0:
			f.SetTags(id, lease(parkedAt.Add(time.Hour)))
		case 1:
			f.SetTags(id, lease(parkedAt.Add(-time.Hour)))
		}
	}
	return f
}

func BenchmarkStatus(b *testing.B) {
	f := bigGroup(1000, 300)
	svc := tagged(standby.Config{MaxStandby: standby.Share{Percent: 25}}, f)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := svc.Status(context.Background(), inv, standby.Request{ScalingGroupID: "asg-big"}); err != nil {
			b.Fatal(err)
		}
	}
}
