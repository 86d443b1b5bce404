package trigger

import (
	"fmt"
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
	// EndStatuses are the ends that, with EXIT_ON_EVENT_END, take back what
	// the event parked: Avoided and Canceled (nothing was done to the
	// instance), Executed (once ECS reports it Running).
	EndStatuses = []string{"Executed", "Avoided", "Canceled"}
	// StoppingStates are the StateChange states that act; OtherStates the
	// other states ECS documents, which do not (acting on Running would park
	// every new instance).
	StoppingStates = []string{"Stopping", "Stopped"}
	OtherStates    = []string{"Created", "Starting", "Running", "Deleted"}
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
	// rule is what the event parks its instance for: its type and eventId,
	// the same for every notice of one event, so that the event's end can
	// take back what it parked; or what delivered it (a subscription).
	rule string
	// endless: its end takes back nothing (a subscription's RESOLVED does).
	endless bool
	// contradiction: the notice's name and content name different events,
	// so which it is cannot be told.
	contradiction string
}

// readInstanceEvent reads the fields ECS gives an instance event's content.
func readInstanceEvent(typ string, f fields) instanceEvent {
	ie := instanceEvent{typ: typ, instance: f.instanceID("instanceId"), named: f.param("eventType"), rule: typ}
	if id := f.str("eventId"); id != "" {
		ie.rule = typ + "/" + id
	}
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
// why it is ignored. A status, state or action the documentation does not
// list is ignored with the reason, never guessed at; a notice missing the
// fields an acting event has is refused. The event's identity gains the
// notice's status (or state), so that each notice of one event (Scheduled,
// then Executing; LiveMigration started, then done) is its own.
func (ie instanceEvent) decide(ev *Event) {
	if ev.Identity != "" {
		ev.Identity += "/" + ie.typ + ":" + ie.status.Value + ie.state.Value + ie.action.Value
	}
	ev.Rule = ie.rule
	if ie.contradiction != "" {
		ev.Ignored = ie.contradiction
		return
	}
	value, documented, ok := ie.documented()
	if !ok {
		ev.Ignored = "ECS event " + standby.Quote(ie.typ) + " does not call for Standby"
		return
	}
	ie.decideOn(value, documented, ev)
}

// documentedValues are the values the documentation lists of the field
// that says what an event calls for: those that act, and the others.
type documentedValues struct{ acting, other []string }

// documented is the field that says what the event calls for (a system
// event's status, a StateChange's state, a spot interruption's action) and
// its documented values; ok is false for a type that calls for nothing.
func (ie instanceEvent) documented() (value standby.Param, documented documentedValues, ok bool) {
	switch {
	case ie.typ == "StateChange":
		return ie.state, documentedValues{acting: StoppingStates, other: OtherStates}, true
	case ie.typ == Preemptible:
		return ie.action, documentedValues{acting: []string{"delete"}}, true
	case slices.Contains(SystemEventTypes, ie.typ):
		return ie.status, documentedValues{acting: ActingStatuses, other: OverStatuses}, true
	}
	return standby.Param{}, documentedValues{}, false
}

// decideOn decides by value, the event's status, state or action.
func (ie instanceEvent) decideOn(value standby.Param, documented documentedValues, ev *Event) {
	switch {
	case value.Value == "":
		ev.Draft.Problems.Missing(value.Name, "the event has none")
		return
	case slices.Contains(documented.other, value.Value) && ie.typ == "StateChange":
		ev.Ignored = "instance state " + standby.Quote(value.Value) + " does not call for Standby"
		return
	case slices.Contains(documented.other, value.Value):
		ie.over(value.Value, ev)
		return
	case !slices.Contains(documented.acting, value.Value):
		ev.Ignored = fmt.Sprintf("%s %s is not one of %v, which the documentation lists: not acted on", ie.typ, standby.Quote(value.Value), append(slices.Clip(documented.acting), documented.other...))
		ev.Undocumented = true
		return
	}
	if ie.instance.Value == "" {
		ev.Draft.Problems.Missing(ie.instance.Name, "the event names no instance")
		return
	}
	ev.Draft.AddInstance(ie.instance.Name, ie.instance.Value)
}

// over: the event is over (status), with nothing to take out of traffic;
// an end that takes back names its instance, for EXIT_ON_EVENT_END.
func (ie instanceEvent) over(status string, ev *Event) {
	ev.Ignored = ie.typ + " is over (" + status + "): nothing to take out of traffic"
	if ie.endTakesBack(status) {
		ev.Ignored += " (EXIT_ON_EVENT_END is off)"
		ev.Ended = status
		ev.Draft.AddInstance(ie.instance.Name, ie.instance.Value)
	}
}

// endTakesBack says whether the event's end (status) may take back what it
// parked: not when it failed (what state that leaves the instance in is
// not said), nor when no eventId says which event it is, nor when it is
// endless, nor when it names no instance.
func (ie instanceEvent) endTakesBack(status string) bool {
	return slices.Contains(EndStatuses, status) && ie.rule != ie.typ && !ie.endless && ie.instance.Value != ""
}
