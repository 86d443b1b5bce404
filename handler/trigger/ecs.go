package trigger

import (
	"slices"

	"ess-standby/handler/standby"
)

// What an ECS instance event calls for, by its type and status. This is the
// table README.md's "Which events act" shows; a test holds them together.
var (
	// SystemEventTypes are the system events that put their instance into
	// Standby while the event is coming or under way: maintenance, a failure
	// of the host or of the instance.
	SystemEventTypes = []string{
		"SystemMaintenance.Reboot", "SystemMaintenance.Redeploy", "SystemMaintenance.Stop",
		"SystemMaintenance.IsolateErrorDisk", "SystemMaintenance.ReInitErrorDisk",
		"SystemMaintenance.RebootAndIsolateErrorDisk", "SystemMaintenance.RebootAndReInitErrorDisk",
		"SystemFailure.Reboot", "SystemFailure.Redeploy", "SystemFailure.Stop", "SystemFailure.Delete",
		"InstanceFailure.Reboot",
	}
	// ActingStatuses are a system event's statuses while it is coming or
	// under way; OverStatuses those once it is over, which act on nothing:
	// an instance parked after its maintenance is done would stay out of
	// traffic for no reason.
	ActingStatuses = []string{"Inquiring", "Scheduled", "Executing"}
	OverStatuses   = []string{"Executed", "Avoided", "Canceled", "Failed"}
	// StoppingStates are the StateChange states that act; OtherStates those
	// that do not (acting on Running would park every new instance).
	StoppingStates = []string{"Stopping", "Stopped"}
	OtherStates    = []string{"Pending", "Starting", "Running", "Deleted"}
)

// Preemptible is the type of a spot instance's interruption notice, the
// one event where draining traffic before the instance is reclaimed
// matters most. Its data has no status: it always acts.
const Preemptible = "PreemptibleInstanceInterruption"

// instanceEvent is an ECS instance event, however it was delivered:
// EventBridge (CloudEvents or RawData), or CloudMonitor (its event push or
// its subscription).
type instanceEvent struct {
	typ      string        // without its prefix: StateChange, SystemMaintenance.Reboot, ...
	status   standby.Param // eventStatus, of system events
	state    standby.Param // state, of StateChange
	action   standby.Param // action, of PreemptibleInstanceInterruption
	instance standby.Param
	named    standby.Param // the type the content itself names (eventType), if any
}

// readInstanceEvent reads the fields ECS gives an instance event's content.
func readInstanceEvent(typ string, f fields) instanceEvent {
	ie := instanceEvent{typ: typ, instance: f.instanceID("instanceId"), named: f.param("eventType")}
	switch {
	case typ == "StateChange":
		ie.state = f.param("state")
	case typ == Preemptible:
		ie.action = f.param("action")
	default:
		ie.status = f.param("eventStatus")
	}
	if ie.instance.Value == "" && f.has("resourceId") {
		ie.instance = f.instanceID("resourceId")
	}
	return ie
}

// decide sets what the event calls for: its instance into the draft, or
// why it is ignored. A status or state the documentation does not list is
// refused, never guessed at.
func (ie instanceEvent) decide(ev *Event) {
	p := &ev.Draft.Problems
	switch {
	case ie.typ == "StateChange":
		if slices.Contains(OtherStates, ie.state.Value) {
			ev.Ignored = "instance state " + standby.Quote(ie.state.Value) + " does not call for Standby"
			return
		}
		expect(p, ie.state, StoppingStates, OtherStates)
	case ie.typ == Preemptible:
		expect(p, ie.action, []string{"delete"}, nil)
	case slices.Contains(SystemEventTypes, ie.typ):
		if slices.Contains(OverStatuses, ie.status.Value) {
			ev.Ignored = ie.typ + " is over (" + ie.status.Value + "): nothing to take out of traffic"
			return
		}
		expect(p, ie.status, ActingStatuses, OverStatuses)
	default:
		ev.Ignored = "ECS event " + standby.Quote(ie.typ) + " does not call for Standby"
		return
	}
	if ie.instance.Value == "" {
		p.Missing(ie.instance.Name, "the event names no instance")
		return
	}
	ev.Draft.AddInstance(ie.instance.Name, ie.instance.Value)
}

// expect records a problem unless p holds one of the values that act.
func expect(problems *standby.Problems, p standby.Param, acting, ignored []string) {
	switch {
	case slices.Contains(acting, p.Value):
	case p.Value == "":
		problems.Missing(p.Name, "the event has none")
	default:
		problems.Invalid(p.Name, "%s is not one of %v: undocumented, so not acted on", standby.Quote(p.Value), append(slices.Clip(acting), ignored...))
	}
}
