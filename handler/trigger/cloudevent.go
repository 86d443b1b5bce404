package trigger

import (
	"strings"
	"time"

	"ess-standby/handler/standby"
)

// cloudEvent is an EventBridge event in the CloudEvents 1.0 schema: id,
// source, specversion, type, time, aliyunregionid, ..., data. ECS instance
// events (source acs.ecs) and CloudMonitor alarms (acs.cms,
// cms:CloudMonitor:AlertWebHook) act; other types are answered as ignored.
type cloudEvent struct{}

func (cloudEvent) recognises(o object) bool { return o.has("specversion") }

func (cloudEvent) decode(f fields, ev *Event) {
	id, src, typ := f.str("id"), f.str("source"), f.str("type")
	ev.Source = "eventbridge:" + typ
	if id != "" {
		ev.Identity = "cloudevent:" + src + "/" + id
	}
	ev.Time = f.time("time", rfc3339)
	switch {
	case src == "acs.ecs" && strings.HasPrefix(typ, "ecs:Instance:"):
		ie := readInstanceEvent(strings.TrimPrefix(typ, "ecs:Instance:"), f.object("data"))
		ie.agree(standby.Param{})
		ie.decide(ev)
	case src == "acs.cms" && typ == alarmType:
		readAlarm(jsonAlarm(f.object("data")), ev)
	default:
		ev.Ignored = "event type " + standby.Quote(typ) + " from " + standby.Quote(src) + " does not call for Standby"
		return
	}
	if region := f.param("aliyunregionid"); region.Value != "" && ev.Draft.RegionID.Value == "" {
		ev.Draft.RegionID = region
	}
}

// alarmType is the EventBridge type of CloudMonitor's alarm callbacks.
const alarmType = "cms:CloudMonitor:AlertWebHook"

// timeForm is a way events write times: its name, and how to read it.
type timeForm struct {
	name  string
	parse func(string) (time.Time, error)
}

var rfc3339 = timeForm{"RFC 3339, such as 2026-11-27T04:18:26Z", func(s string) (time.Time, error) { return time.Parse(time.RFC3339, s) }}

// time reads a field holding a time; absent is the zero time (the event
// says nothing of its time), anything unreadable a problem.
func (f fields) time(field string, form timeForm) time.Time {
	s := f.text(field)
	if s == "" {
		return time.Time{}
	}
	t, err := form.parse(s)
	if err != nil {
		f.p.Invalid(f.name(field), "%s is not a time (%s)", standby.Quote(s), form.name)
	}
	return t
}
