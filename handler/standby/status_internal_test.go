package standby

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// A release goes straight to Run, which refuses it whole as it refuses a
// caller's, when it names no instance, more than MAX_INSTANCES, or a
// group outside ALLOWED_SCALING_GROUP_IDS; otherwise its tags are read.
func TestRefusedWhole(t *testing.T) {
	s := New(Config{MaxInstances: 2, AllowedGroups: []string{"asg-a"}}, Cloud{})
	tests := []struct {
		name  string
		ids   []string
		scope string
		want  bool
	}{
		{"one, any allowed group", []string{"i-1"}, "", false},
		{"at MAX_INSTANCES, in an allowed group", []string{"i-1", "i-2"}, "asg-a", false},
		{"none", nil, "", true},
		{"more than MAX_INSTANCES", []string{"i-1", "i-2", "i-3"}, "", true},
		{"a group not allowed", []string{"i-1"}, "asg-b", true},
	}
	for _, tt := range tests {
		if got := s.refusedWhole(Request{InstanceIDs: tt.ids}, tt.scope); got != tt.want {
			t.Errorf("%s: refusedWhole = %t, want %t", tt.name, got, tt.want)
		}
	}
}

// Which instances a release must judge by their tags: those in Standby in
// a group the function may act on, by group in the order first named. One
// whose read failed is decided there, nothing assumed; any other is Run's.
func TestReleaseCandidates(t *testing.T) {
	down := &Error{Kind: Unavailable, Code: "ServiceUnavailable", Message: "down"}
	r := read{
		found: map[string]ScalingInstance{
			"i-b1":  {InstanceID: "i-b1", ScalingGroupID: "asg-b", LifecycleState: "Standby"},
			"i-a1":  {InstanceID: "i-a1", ScalingGroupID: "asg-a", LifecycleState: "Standby"},
			"i-a2":  {InstanceID: "i-a2", ScalingGroupID: "asg-a", LifecycleState: "InService"},
			"i-b2":  {InstanceID: "i-b2", ScalingGroupID: "asg-b", LifecycleState: "Standby"},
			"i-c1":  {InstanceID: "i-c1", ScalingGroupID: "asg-c", LifecycleState: "Standby"},
			"i-a3":  {InstanceID: "i-a3", ScalingGroupID: "asg-a", LifecycleState: "Standby"},
			"i-bad": {InstanceID: "i-bad", ScalingGroupID: "asg-a", LifecycleState: "Standby"},
		},
		failed: map[string]error{"i-bad": down, "i-gone": &Error{Kind: Forbidden, Code: "Forbidden.RAM", Message: "no"}},
	}
	named := []string{"i-b1", "i-a1", "i-a2", "i-none", "i-bad", "i-c1", "i-b2", "i-gone", "i-a3"}
	decided, candidates := releaseCandidates(named, r, func(group string) bool { return group != "asg-c" })
	wantCandidates := groupIDs{order: []string{"asg-b", "asg-a"}, ids: map[string][]string{"asg-b": {"i-b1", "i-b2"}, "asg-a": {"i-a1", "i-a3"}}}
	if diff := cmp.Diff(wantCandidates, candidates, cmp.AllowUnexported(groupIDs{})); diff != "" {
		t.Errorf("candidates (-want +got):\n%s", diff)
	}
	wantDecided := map[string]InstanceResult{
		"i-bad":  {InstanceID: "i-bad", Result: failed, Code: "ServiceUnavailable", Reason: "down"},
		"i-gone": {InstanceID: "i-gone", Result: refused, Code: "Forbidden.RAM", Reason: "no"},
	}
	if diff := cmp.Diff(wantDecided, decided, cmpopts.IgnoreFields(InstanceResult{}, "Err")); diff != "" {
		t.Errorf("decided (-want +got):\n%s", diff)
	}
}

// A release refuses a candidate whose tags could not be read, and one
// without the function's tags (NotParked); whatever else its tags say of
// its lease, it is taken back.
func TestReleaseRefusal(t *testing.T) {
	down := &Error{Kind: Unavailable, Code: "ServiceUnavailable", Message: "down"}
	tests := []struct {
		judged  string
		tagsErr error
		code    string // "": taken back
	}{
		{Leased, nil, ""},
		{LeaseEnded, nil, ""},
		{Untagged, nil, ""},
		{LeaseInvalid, nil, ""},
		{NotParked, nil, NotParkedCode},
		{Leased, down, "ServiceUnavailable"},
		{NotParked, down, "ServiceUnavailable"},
	}
	for _, tt := range tests {
		err := releaseRefusal(tt.tagsErr, tt.judged)
		if tt.code == "" && err != nil || tt.code != "" && (err == nil || AsError(err).Code != tt.code) {
			t.Errorf("%s, tags read: %v: refusal %v, want %q", tt.judged, tt.tagsErr, err, tt.code)
		}
	}
	if e := AsError(releaseRefusal(nil, NotParked)); e.Kind != Forbidden || Retryable(e) {
		t.Errorf("NotParked refused as %+v; want Forbidden, for good", e)
	}
}

// A release answers each named instance's line in the order named, the
// one decided before Run or else Run's, then the duplicates' lines; with
// nothing left to run, the duplicates alone are answered, Skipped.
func TestInNamedOrder(t *testing.T) {
	line := func(id, result string) InstanceResult { return InstanceResult{InstanceID: id, Result: result} }
	dups := []Skipped{{InstanceID: "i-a", Reason: "duplicate of InstanceId.1"}}
	decided := map[string]InstanceResult{"i-b": line("i-b", refused), "i-d": line("i-d", failed)}
	tests := []struct {
		name     string
		named    []string
		answered []InstanceResult
		ran      int
		want     []InstanceResult
	}{
		{"Run's between the decided", []string{"i-a", "i-b", "i-c", "i-d"},
			[]InstanceResult{line("i-c", "ExitedStandby"), line("i-a", "ExitedStandby"), line("i-a", skipped)}, 2,
			[]InstanceResult{line("i-a", "ExitedStandby"), line("i-b", refused), line("i-c", "ExitedStandby"), line("i-d", failed), line("i-a", skipped)}},
		{"every one decided", []string{"i-d", "i-b"}, duplicatesOnly(dups, false).Instances, 0,
			[]InstanceResult{line("i-d", failed), line("i-b", refused), {InstanceID: "i-a", Result: skipped, Reason: "duplicate of InstanceId.1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := inNamedOrder(tt.named, decided, tt.answered, tt.ran)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
	if out := duplicatesOnly(dups, true); !out.DryRun || !cmp.Equal(out.Skipped, dups) {
		t.Errorf("duplicatesOnly = %+v", out)
	}
}
