package standby

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The hand-written checks accept exactly what the documented shapes allow.
func TestIDShapes(t *testing.T) {
	for s, want := range map[string]bool{
		"asg-bp1fo0dbtsbmqa9h5dl3": true, "asg-": false, "asg-a_b": false, "ASG-abc": false, "asg-" + strings.Repeat("a", 60): true, "asg-" + strings.Repeat("a", 61): false,
	} {
		if ValidGroupID(s) != want {
			t.Errorf("ValidGroupID(%q) = %t", s, !want)
		}
	}
	for s, want := range map[string]bool{
		"i-bp1ecr7go2go9kq3m1a": true, "eci-bp1hh2": true, "i-": false, "e-abc": false, "i-ab c": false, "i-ábc": false, "I-abc": false,
	} {
		if ValidInstanceID(s) != want {
			t.Errorf("ValidInstanceID(%q) = %t", s, !want)
		}
	}
	for s, want := range map[string]bool{
		"cn-hangzhou": true, "ap-southeast-1": true, "cn-shanghai-finance-1": true, "us-east-1": true, "cn": false, "c-hangzhou": false,
		"cn-": false, "cn--x": false, "Cn-hangzhou": false, "cn-hang_zhou": false, "a-b-c-d-e-f": false, "cn-hangzhou-1-2-3": true,
	} {
		if ValidRegionID(s) != want {
			t.Errorf("ValidRegionID(%q) = %t", s, !want)
		}
	}
}

// A draft naming more instances than allowed is refused on its count, with
// one problem, however many of them are malformed; and no input makes more
// than maxProblems problems, each of bounded length.
func TestProblemsAreBounded(t *testing.T) {
	var d Draft
	for i := range 5000 {
		d.AddInstanceN(i+1, "")
	}
	_, err := New(Config{}, Cloud{}).Check(&d)
	e := AsError(err)
	if e.Code != "InvalidParameter" || !strings.Contains(e.Message, "at most 100 instances per invocation (MAX_INSTANCES), got 5000") || strings.Contains(e.Message, "InstanceId.1:") {
		t.Errorf("Check = %v; want the count alone", err)
	}
	if len(d.InstanceIDs) != MaxNamed || d.Named != 5000 {
		t.Errorf("the draft kept %d IDs and counted %d, want %d and 5000", len(d.InstanceIDs), d.Named, MaxNamed)
	}

	var many Draft
	for i := range 60 {
		many.AddInstanceN(i+1, strings.Repeat("x", 10000))
	}
	_, err = New(Config{}, Cloud{}).Check(&many)
	e = AsError(err)
	if strings.Count(e.Message, "is not an instance ID") != maxProblems || !strings.Contains(e.Message, "and 40 more problems") || len(e.Message) > maxProblems*(maxProblemText+2)+40 {
		t.Errorf("message of %d bytes: %.300s…", len(e.Message), e.Message)
	}
}

func TestProblemsCodes(t *testing.T) {
	var p Problems
	if p.Err() != nil {
		t.Error("no problem is an error")
	}
	p.Missing("InstanceId", "required")
	if AsError(p.Err()).Code != "MissingParameter" {
		t.Errorf("only missing: %v", p.Err())
	}
	var q Problems
	q.Invalid("Async", "bad")
	p.Include("[1].", q)
	if e := AsError(p.Err()); e.Code != "InvalidParameter" || e.Message != "InstanceId: required; [1].Async: bad" {
		t.Errorf("mixed: %v", e)
	}
}

func TestQuoteCutsOnARuneBoundary(t *testing.T) {
	s := strings.Repeat("a", 63) + "é" + strings.Repeat("b", 10)
	if q := Quote(s); q != `"`+strings.Repeat("a", 63)+`"…` {
		t.Errorf("Quote = %s", q)
	}
}

// A sweep names no instance: it looks at every Standby instance of its
// groups; one that names instances is refused.
func TestSweepDrafts(t *testing.T) {
	svc := New(Config{}, Cloud{})
	d := Draft{Action: Param{Name: "Action", Value: "Sweep"}, ScalingGroupID: Param{Name: "ScalingGroupId", Value: "asg-bp1a"}}
	if req, err := svc.Check(&d); err != nil || req.Action != Sweep || req.ScalingGroupID != "asg-bp1a" {
		t.Errorf("a sweep: %+v, %v", req, err)
	}
	d = Draft{Action: Param{Name: "Action", Value: "Sweep"}}
	d.AddInstanceN(1, "i-bp1a")
	if _, err := svc.Check(&d); err == nil || !strings.Contains(err.Error(), "a sweep names no instances") {
		t.Errorf("a sweep naming an instance: %v", err)
	}
}

// Which instance IDs a request keeps: the first parameter naming each, in
// order; a later one is a duplicate naming the first; what is no instance
// ID is invalid, however often it is named, and keeps nothing.
func TestDistinct(t *testing.T) {
	p := func(n int, v string) Param { return Param{Name: "InstanceId." + strconv.Itoa(n), Value: v} }
	tests := []struct {
		name    string
		params  []Param
		ids     []string
		dups    []Skipped
		invalid []Param
	}{
		{"none", nil, nil, nil, nil},
		{"each once", []Param{p(1, "i-a"), p(2, "eci-b")}, []string{"i-a", "eci-b"}, nil, nil},
		{"a duplicate names the first", []Param{p(1, "i-a"), p(2, "i-b"), p(3, "i-a"), p(4, "i-a")}, []string{"i-a", "i-b"},
			[]Skipped{{InstanceID: "i-a", Reason: "duplicate of InstanceId.1"}, {InstanceID: "i-a", Reason: "duplicate of InstanceId.1"}}, nil},
		{"invalid, each time named", []Param{p(1, "x"), p(2, "i-a"), p(3, "x"), p(4, "")}, []string{"i-a"}, nil, []Param{p(1, "x"), p(3, "x"), p(4, "")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, dups, invalid := distinct(tt.params)
			if diff := cmp.Diff(tt.ids, ids); diff != "" {
				t.Errorf("kept (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.dups, dups); diff != "" {
				t.Errorf("duplicates (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.invalid, invalid); diff != "" {
				t.Errorf("invalid (-want +got):\n%s", diff)
			}
		})
	}
}

// Every problem at once, in the order of the fields, the action read as
// EnterStandby when it is none.
func TestCheckRecordsEveryProblem(t *testing.T) {
	d := Draft{Action: Param{Name: "Action", Value: "Park"}, ScalingGroupID: Param{Name: "ScalingGroupId", Value: "g"},
		ClientToken: Param{Name: "ClientToken", Value: "\x00"}, Async: Param{Name: "Async", Value: "yes"}, RegionID: Param{Name: "RegionId", Value: "x"}}
	d.AddInstanceN(1, "i-a")
	d.AddInstanceN(2, "j")
	d.AddInstanceN(3, "i-a")
	req := d.check(10)
	want := `InvalidParameter: Action: "Park" is not EnterStandby, ExitStandby or Sweep; ScalingGroupId: "g" is not a scaling group ID (asg- and letters or digits); ` +
		`InstanceId.2: "j" is not an instance ID (i- or eci- and letters or digits); ClientToken: must be printable ASCII of at most 64 characters; ` +
		`Async: "yes" is not a boolean (true or false); RegionId: "x" is not a region ID`
	if err := d.Problems.Err(); err == nil || err.Error() != want {
		t.Errorf("problems:\n%v\nwant\n%s", err, want)
	}
	if req.Action != EnterStandby || !cmp.Equal(req.InstanceIDs, []string{"i-a"}) || len(req.Duplicates) != 1 {
		t.Errorf("request %+v", req)
	}
	for action, want := range map[string]Action{"": EnterStandby, "EnterStandby": EnterStandby, "ExitStandby": ExitStandby, "Sweep": Sweep} {
		d := Draft{Action: Param{Name: "Action", Value: action}}
		if got := d.action(); got != want || !d.Problems.Empty() {
			t.Errorf("action %q = %s, %v; want %s", action, got, d.Problems.Err(), want)
		}
	}
}
