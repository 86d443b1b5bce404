package standby

import (
	"strings"
	"testing"
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
