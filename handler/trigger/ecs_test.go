package trigger

import (
	"slices"
	"testing"

	"ess-standby/handler/standby"
)

// Which field says what each event type calls for, and which of its
// values act.
func TestDocumentedValues(t *testing.T) {
	ie := instanceEvent{
		status: standby.Param{Name: "eventStatus"},
		state:  standby.Param{Name: "state"},
		action: standby.Param{Name: "action"},
	}
	tests := []struct {
		typ, field string
		acting     []string
		other      []string
		ok         bool
	}{
		{"StateChange", "state", StoppingStates, OtherStates, true},
		{Preemptible, "action", []string{"delete"}, nil, true},
		{"SystemMaintenance.Reboot", "eventStatus", ActingStatuses, OverStatuses, true},
		{"InstanceFailure.Reboot", "eventStatus", ActingStatuses, OverStatuses, true},
		{"SystemMaintenance.Unknown", "", nil, nil, false},
		{"Disk:Stalled", "", nil, nil, false},
	}
	for _, tt := range tests {
		ie.typ = tt.typ
		value, documented, ok := ie.documented()
		if value.Name != tt.field || !slices.Equal(documented.acting, tt.acting) || !slices.Equal(documented.other, tt.other) || ok != tt.ok {
			t.Errorf("%s: field %q, %+v, %t; want %q, acting %v, other %v, %t",
				tt.typ, value.Name, documented, ok, tt.field, tt.acting, tt.other, tt.ok)
		}
	}
}

// An end takes back what its event parked only when it is a documented
// end of a named event (its eventId in the rule) that names its instance
// and is not endless.
func TestEndTakesBack(t *testing.T) {
	const typ = "SystemMaintenance.Reboot"
	named := instanceEvent{typ: typ, rule: typ + "/e-1", instance: standby.Param{Value: "i-a"}}
	noEventID, endless, noInstance := named, named, named
	noEventID.rule = typ
	endless.endless = true
	noInstance.instance.Value = ""
	tests := []struct {
		name   string
		ie     instanceEvent
		status string
		want   bool
	}{
		{"Executed", named, "Executed", true},
		{"Avoided", named, "Avoided", true},
		{"Canceled", named, "Canceled", true},
		{"Failed", named, "Failed", false},
		{"not over", named, "Scheduled", false},
		{"no eventId", noEventID, "Executed", false},
		{"endless", endless, "Executed", false},
		{"no instance", noInstance, "Executed", false},
	}
	for _, tt := range tests {
		if got := tt.ie.endTakesBack(tt.status); got != tt.want {
			t.Errorf("%s: endTakesBack(%q) = %t; want %t", tt.name, tt.status, got, tt.want)
		}
	}
}
