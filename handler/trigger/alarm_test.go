package trigger

import (
	"strings"
	"testing"
)

// What each alarm state calls for: the documented ones their own, any
// other nothing, reported as undocumented.
func TestAlarmStateCall(t *testing.T) {
	tests := []struct {
		state                              string
		readsInstances, ignored, recovered bool
		undocumented                       bool
	}{
		{"ALERT", true, false, false, false},
		{"ALARM", true, false, false, false},
		{"OK", true, true, true, false},
		{"INSUFFICIENT_DATA", false, true, false, false},
		{"alert", false, true, false, true},
		{"RESOLVED", false, true, false, true},
	}
	for _, tt := range tests {
		c := alarmStateCall(tt.state)
		if c.readsInstances != tt.readsInstances || (c.ignored != "") != tt.ignored || c.recovered != tt.recovered || c.undocumented != tt.undocumented {
			t.Errorf("alarmStateCall(%q) = %+v; want reads %t, ignored %t, recovered %t, undocumented %t",
				tt.state, c, tt.readsInstances, tt.ignored, tt.recovered, tt.undocumented)
		}
		if c.undocumented && !strings.Contains(c.ignored, tt.state) {
			t.Errorf("alarmStateCall(%q) ignored %q; want the state named", tt.state, c.ignored)
		}
	}
}

// Only ECS's and ECI's instances can be parked; other products' resources
// cannot.
func TestIsInstanceID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"i-bp1a", true},
		{"eci-bp1a", true},
		{"rm-bp1a", false},
		{"I-bp1a", false},
		{"i", false},
		{"eci", false},
		{"xi-bp1a", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := isInstanceID(tt.id); got != tt.want {
			t.Errorf("isInstanceID(%q) = %t; want %t", tt.id, got, tt.want)
		}
	}
}
