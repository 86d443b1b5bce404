package trigger

import (
	"strings"
	"testing"

	"ess-standby/handler/internal/samples"
)

// Each event says what it parks for (the rule its instances' tags
// record), and an ECS event's end says so, naming its instance: an
// alarm's rule, a subscription, an ECS event's type and ID; every notice
// of one event names the same rule, so that its end can find what it
// parked.
func TestRulesAndEnds(t *testing.T) {
	tests := []struct {
		sample, rule, ended string
	}{
		{"eventbridge-cms-alert.json", "applyTemplateee147e59-664f-4033-a1be-e95957461234", ""},
		{"cms-subscription-alert.json", "subscription:4f1b9a6e-2c7d-4e8f-9a0b-1c2d3e4f5a6b", ""},
		{"cms-subscription-resolved.json", "subscription:4f1b9a6e-2c7d-4e8f-9a0b-1c2d3e4f5a6b", ""},
		{"eventbridge-ecs-maintenance.json", "SystemMaintenance.Reboot/e-bp11trd5x2ma8pqum2", ""},
		{"eventbridge-ecs-maintenance-executed.json", "SystemMaintenance.Reboot/e-bp11trd5x2ma8pqum2", "Executed"},
		{"cms-event-maintenance-avoided.json", "SystemMaintenance.Reboot/e-bp11trd5x2ma8pqum3", "Avoided"},
		{"cms-event-maintenance.json", "SystemMaintenance.Reboot/e-bp11trd5x2ma8pqum3", ""},
		{"eventbridge-ecs-statechange.json", "StateChange", ""},
		{"eventbridge-ecs-preemptible.json", Preemptible, ""},
		{"direct-request.json", "", ""},
	}
	for _, tt := range tests {
		ev := decodeOnly(t, string(samples.Read(t, tt.sample)))
		if ev.Rule != tt.rule || ev.Ended != tt.ended {
			t.Errorf("%s: rule %q, ended %q; want %q, %q", tt.sample, ev.Rule, ev.Ended, tt.rule, tt.ended)
		}
		if tt.ended != "" && (ev.Draft.Named != 1 || !strings.Contains(ev.Ignored, "EXIT_ON_EVENT_END is off")) {
			t.Errorf("%s: an end names %d instances, ignored %q; want its one, ignored unless EXIT_ON_EVENT_END", tt.sample, ev.Draft.Named, ev.Ignored)
		}
	}
	// A subscription's alert without its subscriptionUuid names no rule,
	// rather than the event's.
	noUUID := strings.Replace(string(samples.Read(t, "cms-subscription-resolved.json")), `"subscriptionUuid"`, `"otherField"`, 1)
	if ev := decodeOnly(t, noUUID); ev.Rule != "" || !ev.Recovered {
		t.Errorf("a RESOLVED without subscriptionUuid: rule %q, recovered %t; want no rule", ev.Rule, ev.Recovered)
	}
	// A Failed event leaves the instance in a state no notice tells; an end
	// without eventId cannot say which event it ends; a subscription's
	// notices end by RESOLVED: none of them is an end that takes back.
	for name, payload := range map[string]string{
		"Failed":         cloudEventOf("SystemMaintenance.Reboot", map[string]string{"eventId": "e-1", "instanceId": "i-a", "eventStatus": "Failed"}),
		"no eventId":     cloudEventOf("SystemMaintenance.Reboot", map[string]string{"instanceId": "i-a", "eventStatus": "Canceled"}),
		"a subscription": subscription("TRIGGERED", "SYS_EVENT", map[string]string{"eventId": "e-1", "instanceId": "i-a", "eventType": "SystemFailure.Reboot", "eventStatus": "Executed"}, false),
	} {
		if ev := decodeOnly(t, payload); ev.Ended != "" || ev.Draft.Named != 0 || ev.Ignored == "" {
			t.Errorf("%s: ended %q, %d instances, ignored %q; want no end, ignored", name, ev.Ended, ev.Draft.Named, ev.Ignored)
		}
	}
}
