package trigger

import "ess-standby/handler/standby"

// EventBridge's RawData schema delivers an event's data alone, with no type
// and no envelope: the three kinds of ECS instance data are told apart by
// the fields each has. RawData carries no time of delivery, so MAX_EVENT_AGE
// cannot apply to it (use CloudEvents for that).

// ecsSystemEventData is a system event's data: {"eventId","publishTime",
// "notBefore","instanceId","eventType","eventStatus"}. Its publishTime is
// when the event was first published, days before a maintenance is
// Executing, so it does not date this delivery.
type ecsSystemEventData struct{}

func (ecsSystemEventData) recognises(o object) bool {
	return o.has("eventType") && o.has("eventStatus")
}

func (ecsSystemEventData) decode(f fields, ev *Event) {
	typ := f.str("eventType")
	ev.Source = "eventbridge-rawdata:ecs:Instance:" + typ
	if id := f.str("eventId"); id != "" {
		ev.Identity = "ecs:" + id
	}
	readInstanceEvent(typ, f).decide(ev)
}

// ecsStateChangeData is a state change's data: {"resourceId",
// "resourceType":"ALIYUN::ECS::Instance","state"}.
type ecsStateChangeData struct{}

func (ecsStateChangeData) recognises(o object) bool { return o.has("resourceType") && o.has("state") }

func (ecsStateChangeData) decode(f fields, ev *Event) {
	ev.Source = "eventbridge-rawdata:ecs:Instance:StateChange"
	if typ := f.str("resourceType"); typ != "ALIYUN::ECS::Instance" {
		ev.Ignored = "resource type " + standby.Quote(typ) + " is not an ECS instance"
		return
	}
	readInstanceEvent("StateChange", f).decide(ev)
}

// ecsPreemptibleData is a spot instance's interruption notice:
// {"instanceId","action":"delete"}. A direct request never has that
// action, so the two cannot be confused.
type ecsPreemptibleData struct{}

func (ecsPreemptibleData) recognises(o object) bool {
	var action string
	return o.has("instanceId") && o.has("action") && unmarshalString(o["action"], &action) && action == "delete"
}

func (ecsPreemptibleData) decode(f fields, ev *Event) {
	ev.Source = "eventbridge-rawdata:ecs:Instance:" + Preemptible
	readInstanceEvent(Preemptible, f).decide(ev)
}

// ecsNoticeData is the data of an ECS instance notice that calls for
// nothing, as RawData: each is recognised by a field its documentation
// gives it alone (ECS, "Instance event notification"), and is ignored with
// the reason, as the same notice is as a CloudEvent.
type ecsNoticeData struct {
	field string // a field only this notice has
	typ   string // its event type
	why   string
}

var ecsNotices = []source{
	ecsNoticeData{"sourceDedicatedHostId", "LiveMigrationAcrossDDH", "a live migration between dedicated hosts keeps the instance running"},
	ecsNoticeData{"creditSpecification", "PerformanceModeChange", "a burstable instance's performance mode changed"},
	ecsNoticeData{"intervalStart", "BurstablePerformanceRestricted", "a burstable instance's performance is limited for a while"},
}

func (n ecsNoticeData) recognises(o object) bool { return o.has(n.field) && o.has("instanceId") }

func (n ecsNoticeData) decode(f fields, ev *Event) {
	ev.Source = "eventbridge-rawdata:ecs:Instance:" + n.typ
	f.instanceID("instanceId")
	ev.Ignored = "ECS event " + standby.Quote(n.typ) + " does not call for Standby: " + n.why
}
