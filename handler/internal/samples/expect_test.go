package samples

import "testing"

// The calls received match those wanted: the same calls other than tags,
// in any order but the read first; tag calls at most as many as wanted,
// and one at least where any is wanted.
func TestCallsMatch(t *testing.T) {
	tests := []struct {
		name          string
		actions, want []string
		match         bool
	}{
		{"the same", lookupAndEnter, lookupAndEnter, true},
		{"none of none", nil, nil, true},
		{"groups in any order", []string{"DescribeScalingInstances", "EnterStandby", "TagResources", "EnterStandby", "TagResources"}, twoGroups, true},
		{"tags sharing a call", []string{"DescribeScalingInstances", "EnterStandby", "EnterStandby", "TagResources"}, twoGroups, true},
		{"the read not first", []string{"EnterStandby", "DescribeScalingInstances", "TagResources"}, lookupAndEnter, false},
		{"a call too many", []string{"DescribeScalingInstances", "EnterStandby", "EnterStandby", "TagResources"}, lookupAndEnter, false},
		{"a call missing", []string{"DescribeScalingInstances", "TagResources"}, lookupAndEnter, false},
		{"more tag calls than wanted", []string{"DescribeScalingInstances", "EnterStandby", "TagResources", "TagResources"}, lookupAndEnter, false},
		{"no tag call", []string{"DescribeScalingInstances", "EnterStandby"}, lookupAndEnter, false},
		{"an untag call where none is wanted", []string{"DescribeScalingInstances", "UntagResources"}, []string{"DescribeScalingInstances"}, false},
		{"calls where none is wanted", []string{"DescribeScalingInstances"}, nil, false},
	}
	for _, tt := range tests {
		if got := callsMatch(tt.actions, tt.want); got != tt.match {
			t.Errorf("%s: callsMatch(%v, %v) = %t; want %t", tt.name, tt.actions, tt.want, got, tt.match)
		}
	}
}

// A response matches its expected kind and status; a failed event
// invocation has no status, only its code.
func TestStatusMatches(t *testing.T) {
	tests := []struct {
		name  string
		e     Expectation
		got   Response
		match bool
	}{
		{"HTTP 200", Expectation{HTTP: true, Status: 200}, Response{HTTP: true, Status: 200}, true},
		{"event 200", Expectation{Status: 200}, Response{Status: 200}, true},
		{"HTTP for an event", Expectation{Status: 200}, Response{HTTP: true, Status: 200}, false},
		{"an event for HTTP", Expectation{HTTP: true, Status: 200}, Response{Status: 200}, false},
		{"another status", Expectation{HTTP: true, Status: 404}, Response{HTTP: true, Status: 400}, false},
		{"a failed invocation", Expectation{Status: 404}, Response{Code: "InvalidInstanceId.NotFound"}, true},
		{"no status, no code", Expectation{Status: 404}, Response{}, false},
	}
	for _, tt := range tests {
		if got := tt.e.statusMatches(tt.got); got != tt.match {
			t.Errorf("%s: statusMatches = %t; want %t", tt.name, got, tt.match)
		}
	}
}

// The activities answered are those started, in any order, the first
// answered named on its own; none at all is no match.
func TestActivitiesMatch(t *testing.T) {
	tests := []struct {
		name              string
		first             string
		answered, started []string
		match             bool
	}{
		{"one", "asa-1", []string{"asa-1"}, []string{"asa-1"}, true},
		{"started in another order", "asa-2", []string{"asa-2", "asa-1"}, []string{"asa-1", "asa-2"}, true},
		{"none", "", nil, nil, false},
		{"none answered", "", nil, []string{"asa-1"}, false},
		{"the first not first", "asa-1", []string{"asa-2", "asa-1"}, []string{"asa-1", "asa-2"}, false},
		{"one not started", "asa-1", []string{"asa-1", "asa-3"}, []string{"asa-1", "asa-2"}, false},
		{"one not answered", "asa-1", []string{"asa-1"}, []string{"asa-1", "asa-2"}, false},
	}
	for _, tt := range tests {
		if got := activitiesMatch(tt.first, tt.answered, tt.started); got != tt.match {
			t.Errorf("%s: activitiesMatch = %t; want %t", tt.name, got, tt.match)
		}
	}
}
