package trigger

import (
	"fmt"
	"strings"
	"time"

	"ess-standby/handler/standby"
)

// cmsEvent is a system event CloudMonitor pushes itself, to Function
// Compute (an event alert rule's push target) or to a URL callback:
// {"ver","id","product","resourceId","level","name","userId","eventTime",
// "regionId","content"}, where name is <resource>:<event>[:<status>]
// (Instance:SystemMaintenance.Reboot:Scheduled) and content is the ECS
// event's own data. The copies an alert rule pushes add "eventType":
// "StatusNotification", serviceType, ruleName, curLevel, status,
// instanceName and groupId, which change nothing here.
type cmsEvent struct{}

func (cmsEvent) recognises(o object) bool {
	return o.has("product") && o.has("name") && o.has("content")
}

func (cmsEvent) decode(f fields, ev *Event) {
	name, product := f.str("name"), f.str("product")
	ev.Source = "cms-event:" + name
	// Taken as the time of this notification: each status of an event is
	// pushed anew.
	ev.Time = f.time("eventTime", compactTime)
	content := f.object("content")
	if id := f.str("id"); id != "" {
		ev.Identity = "cms-event:" + id
	} else if eventID := content.str("eventId"); eventID != "" {
		ev.Identity = "ecs:" + eventID
	}
	resource, typ, status := splitEventName(name)
	if product != "ECS" || resource != "Instance" {
		ev.Ignored = "CloudMonitor event " + standby.Quote(name) + " of " + standby.Quote(product) + " is not an ECS instance event"
		return
	}
	ie := readInstanceEvent(typ, content)
	ie.agree(standby.Param{Name: "name", Value: status})
	if ie.instance.Value == "" {
		ie.instance = f.instanceID("resourceId")
	}
	ie.decide(ev)
	if region := f.param("regionId"); region.Value != "" {
		ev.Draft.RegionID = region
	}
}

// splitEventName cuts a CloudMonitor event name,
// <resource>:<event>[:<status>], into its parts.
func splitEventName(name string) (resource, event, status string) {
	resource, rest, _ := strings.Cut(name, ":")
	event, status, _ = strings.Cut(rest, ":")
	return resource, event, status
}

// agree takes a system event's status from its name when its content has
// none. Where they disagree on the status, the content is the notice: ECS's
// own Avoided notice keeps the name ...:Scheduled while its content says
// Avoided. Where they disagree on the event itself, which it is cannot be
// told, and it is not acted on.
func (ie *instanceEvent) agree(fromName standby.Param) {
	if ie.named.Value != "" && ie.named.Value != ie.typ {
		ie.contradiction = fmt.Sprintf("the notice is named for %s, its content for %s: not acted on", standby.Quote(ie.typ), standby.Quote(ie.named.Value))
	}
	if fromName.Value != "" && ie.status.Value == "" && ie.typ != "StateChange" && ie.typ != Preemptible {
		ie.status = fromName
	}
}

// compactTime is how CloudMonitor's event pushes write their time:
// 20190409T121826.922+0800.
var compactTime = timeForm{"such as 20190409T121826.922+0800", func(s string) (time.Time, error) {
	return time.Parse("20060102T150405-0700", s)
}}
