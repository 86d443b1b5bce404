package trigger

import (
	"cmp"

	"ess-standby/handler/standby"
)

// cmsSubscription is an alert of CloudMonitor's event subscription, pushed
// to a webhook or to Function Compute: {"userInfo","subscription",
// "batchId","alert":{"alertStatus","source","eventName","eventType",
// "eventContentMap","eventRawContent","dedupId","traceId","product",
// "meta":{"sysEventMeta":{"regionId","resourceId","name",…}},…},
// "severity","strategyName","userId","time"}. Only system events (source
// SYS_EVENT) are read: the shape of a threshold alert in this format is not
// documented, so such an alert is ignored, with the reason.
type cmsSubscription struct{}

func (cmsSubscription) recognises(o object) bool { return o.has("alert") && o.has("subscription") }

func (cmsSubscription) decode(f fields, ev *Event) {
	alert := f.object("alert")
	meta := alert.object("meta").object("sysEventMeta")
	name := cmp.Or(alert.str("eventName"), meta.str("name"))
	ev.Source = "cms-subscription:" + name
	ev.Time = f.time("time", epoch)
	status := alert.param("alertStatus")
	if batch := f.str("batchId"); batch != "" {
		ev.Identity = "cms-subscription:" + batch + "/" + status.Value
	}
	if source := alert.param("source"); source.Value != "SYS_EVENT" {
		ev.Ignored, ev.Undocumented = "alert source "+standby.Quote(source.Value)+": only system events (SYS_EVENT) have a documented shape in this format; for threshold alerts use the alarm callback (README)", true
		return
	}
	resource, typ, nameStatus := splitEventName(name)
	if product := cmp.Or(alert.str("product"), "ECS"); product != "ECS" || resource != "Instance" {
		ev.Ignored = "CloudMonitor event " + standby.Quote(name) + " of " + standby.Quote(product) + " is not an ECS instance event"
		return
	}
	content := alert.object("eventContentMap")
	if len(content.obj) == 0 {
		content = alert.jsonString("eventRawContent")
	}
	ie := readInstanceEvent(typ, content)
	// What a subscription parks, its RESOLVED takes back: an ECS event's
	// end within it would not be told apart from another event's.
	// Without its subscriptionUuid, an alert names no subscription: what it
	// parks no RESOLVED can tell its own.
	ie.endless, ie.rule = true, ""
	if uuid := f.object("subscription").str("subscriptionUuid"); uuid != "" {
		ie.rule = "subscription:" + uuid
	}
	ie.agree(standby.Param{Name: alert.name("eventName"), Value: nameStatus})
	if ie.instance.Value == "" {
		ie.instance = meta.instanceID("resourceId")
	}
	if region := meta.param("regionId"); region.Value != "" {
		ev.Draft.RegionID = region
	}
	switch status.Value {
	case "TRIGGERED":
		ie.decide(ev)
	case "RESOLVED":
		ev.Rule = ie.rule
		// A recovery of no instance has nothing to take out of Standby.
		ev.Ignored, ev.Recovered = "the alert is RESOLVED (EXIT_ON_OK is off)", ie.instance.Value != ""
		if ev.Recovered {
			ev.Draft.AddInstance(ie.instance.Name, ie.instance.Value)
		}
	default:
		ev.Ignored, ev.Undocumented = "alert status "+standby.Quote(status.Value)+" is not TRIGGERED or RESOLVED, which the documentation lists: not acted on", true
	}
}
