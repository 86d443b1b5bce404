package standby

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A sweep's exit stays only while nothing since its read outdates the
// lease: a request asking the instance in again wins over a write under
// way, and either keeps it parked.
func TestLeaseOutdated(t *testing.T) {
	for _, tt := range []struct {
		l    sinceTagsRead
		want string
	}{
		{sinceTagsRead{}, ""},
		{sinceTagsRead{askedAgain: true}, "asked into Standby again"},
		{sinceTagsRead{writing: true}, "its tags are being written again"},
		{sinceTagsRead{askedAgain: true, writing: true}, "asked into Standby again"},
	} {
		got := leaseOutdated(tt.l)
		if tt.want == "" && got != "" || !strings.HasPrefix(got, tt.want) {
			t.Errorf("%+v: %q, want %q…", tt.l, got, tt.want)
		}
	}
}

// The ends read the tags of what they name in Standby or gone, and of
// what is back InService; ECS's status only for an executed event's end;
// nothing of an instance in another state; each once.
func TestEndReads(t *testing.T) {
	state := map[string]ScalingInstance{"i-s": {LifecycleState: "Standby"}, "i-i": {LifecycleState: "InService"}, "i-p": {LifecycleState: "Pending"}}
	end := func(running bool, ids ...string) Request {
		return Request{Action: ExitStandby, IfParkedFor: "r-1", IfRunning: running, InstanceIDs: ids}
	}
	for _, tt := range []struct {
		name string
		ends []Request
		want endsToRead
	}{
		{"none", nil, endsToRead{}},
		{"by state", []Request{end(false, "i-s", "i-i", "i-p", "i-gone")}, endsToRead{parked: []string{"i-s", "i-gone"}, back: []string{"i-i"}}},
		{"running, once", []Request{end(true, "i-s", "i-i"), end(false, "i-s"), end(true, "i-s", "i-i")},
			endsToRead{parked: []string{"i-s"}, back: []string{"i-i"}, running: []string{"i-s"}}},
	} {
		if diff := cmp.Diff(tt.want, endReads(tt.ends, state), cmp.AllowUnexported(endsToRead{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

// An end takes back an instance in Standby only when its tags say its rule
// parked it, before the end, and (for an executed event's end) ECS reports
// it Running; what cannot be read fails it, for a retry; one InService or
// in another state is not judged here.
func TestJudgeEnd(t *testing.T) {
	since := time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)
	ours := Tags{TagRule: "r-1", TagSince: since.Format(time.RFC3339)}
	throttled := &Error{Kind: Throttled, Code: "Throttling", Message: "throttled"}
	standby := map[string]ScalingInstance{"i-1": {LifecycleState: "Standby"}}
	facts := func(tags Tags, status string) endFacts {
		return endFacts{group: "asg-a", state: standby, tags: map[string]Tags{"i-1": tags}, status: map[string]string{"i-1": status}}
	}
	end := Request{Action: ExitStandby, IfParkedFor: "r-1"}
	running := end
	running.IfRunning = true
	dated := func(at time.Time) Request { r := end; r.At = at; return r }
	for _, tt := range []struct {
		name string
		r    Request
		f    endFacts
		want string // Result: Reason (or Code), "" when it is kept
	}{
		{"its rule parked it", end, facts(ours, ""), ""},
		{"InService already", end, endFacts{state: map[string]ScalingInstance{"i-1": {LifecycleState: "InService"}}}, ""},
		{"in another state", end, endFacts{state: map[string]ScalingInstance{"i-1": {LifecycleState: "Pending"}}}, ""},
		{"a rule no tag holds", Request{Action: ExitStandby, IfParkedFor: "a://b"}, facts(ours, ""), `Skipped: "a://b" is not a rule a tag holds exactly`},
		{"tags unread", end, endFacts{group: "asg-a", state: standby, tagErr: throttled}, "Failed: Throttling"},
		{"gone, untagged", end, endFacts{group: "asg-a"}, `Skipped: not found in scaling group asg-a, and without the function's tags: "r-1"`},
		{"untagged", end, facts(nil, ""), "Skipped: in Standby without the function's tags"},
		{"another rule's", end, facts(Tags{TagRule: "r-2"}, ""), `Skipped: parked for "r-2" (ess-standby:rule), not for "r-1"`},
		{"no rule's", end, facts(Tags{TagSource: "http"}, ""), `Skipped: parked for no rule, by "http"`},
		{"an end before the parking", dated(since.Add(-time.Second)), facts(ours, ""), "Skipped: parked at 2026-11-27T04:00:00Z"},
		{"an end within its second", dated(since.Add(time.Second / 2)), facts(ours, ""), ""},
		{"statuses unread", running, endFacts{group: "asg-a", state: standby, tags: map[string]Tags{"i-1": ours}, statusErr: throttled}, "Failed: Throttling"},
		{"not Running", running, facts(ours, "Starting"), `Skipped: ECS reports it "Starting", not Running`},
		{"unknown to ECS", running, facts(ours, ""), "Skipped: ECS reports it unknown to ECS"},
		{"Running", running, facts(ours, "Running"), ""},
	} {
		line, drop := judgeEnd(tt.r, "i-1", tt.f)
		got := ""
		if drop {
			got = line.Result + ": " + line.Reason
			if line.Result == failed {
				got = line.Result + ": " + line.Code
			}
		}
		if tt.want == "" && got != "" || !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: %q, want %q…", tt.name, got, tt.want)
		}
	}
}

// The rules of what is back InService are known only when the tags were
// read.
func TestRulesBack(t *testing.T) {
	f := endFacts{tags: map[string]Tags{"i-1": {TagRule: "r-1"}}}
	if got := f.rulesBack([]string{"i-1", "i-2"}); !cmp.Equal(got, map[string]string{"i-1": "r-1", "i-2": ""}) {
		t.Errorf("read: %v", got)
	}
	f.tagErr = errors.New("unread")
	if got := f.rulesBack([]string{"i-1"}); got != nil {
		t.Errorf("unread: %v, want nil", got)
	}
}
