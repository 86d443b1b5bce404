package handler

import (
	"cmp"
	"encoding/json"
	"strings"
)

// cloudEvent is an EventBridge event in the CloudEvents schema.
type cloudEvent struct {
	ID             string          `json:"id"`
	Source         string          `json:"source"`
	Type           string          `json:"type"`
	AliyunRegionID string          `json:"aliyunregionid"`
	Data           json.RawMessage `json:"data"`
}

// ecsData is the data of an ECS instance event: resourceId and state for a
// state change, instanceId, eventType and eventStatus for system events.
type ecsData struct {
	ResourceID   string `json:"resourceId"`
	ResourceType string `json:"resourceType"`
	State        string `json:"state"`
	InstanceID   string `json:"instanceId"`
	EventType    string `json:"eventType"`
	EventStatus  string `json:"eventStatus"`
	EventID      string `json:"eventId"`
}

func decodeCloudEvent(raw []byte) decoded {
	var ev cloudEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		out := decoded{trigger: "eventbridge"}
		out.draft.invalid("event", "malformed CloudEvent")
		return out
	}
	var out decoded
	switch {
	case ev.Source == "acs.ecs" && strings.HasPrefix(ev.Type, "ecs:Instance:"):
		out = decodeECS(strings.TrimPrefix(ev.Type, "ecs:Instance:"), ev.Data)
	case ev.Source == "acs.cms" && ev.Type == "cms:CloudMonitor:AlertWebHook":
		out = decodeAlarm(jsonFields(ev.Data))
	default:
		out.ignored = "event type " + quote(ev.Type) + " from " + quote(ev.Source) + " does not call for Standby"
	}
	out.trigger = "eventbridge:" + ev.Type
	out.identity = "cloudevent:" + ev.Source + "/" + ev.ID
	if ev.AliyunRegionID != "" && out.draft.region.value == "" {
		out.draft.region = param{name: "aliyunregionid", value: ev.AliyunRegionID}
	}
	return out
}

// decodeRawData reads an EventBridge event delivered as RawData: its data
// alone, so the fields of the data tell what kind of event it is.
func decodeRawData(raw []byte) decoded {
	var data ecsData
	var out decoded
	if json.Unmarshal(raw, &data) != nil {
		out.draft.invalid("data", "malformed event data")
	} else if data.EventType != "" {
		out = decodeECS(data.EventType, raw)
	} else if data.ResourceType == "ALIYUN::ECS::Instance" {
		out = decodeECS("StateChange", raw)
	} else {
		out = decodeAlarm(jsonFields(raw))
	}
	out.trigger = "eventbridge-rawdata"
	if data.EventID != "" && out.identity == "" {
		// RawData has no event ID; a system event's own ID and status do.
		out.identity = "ecs:" + data.EventID + "/" + data.EventStatus
	}
	return out
}

// decodeECS decides what an ECS instance event (its type without the
// "ecs:Instance:" prefix) calls for. An instance that is stopping, or that
// has a system failure or maintenance coming, goes into Standby; an instance
// that is starting, or whose maintenance was called off, does not.
func decodeECS(eventType string, raw json.RawMessage) decoded {
	var out decoded
	var data ecsData
	if json.Unmarshal(raw, &data) != nil {
		out.draft.invalid("data", "malformed ECS event data")
		return out
	}
	family, _, _ := strings.Cut(eventType, ".")
	switch {
	case eventType == "StateChange":
		if data.State != "Stopping" && data.State != "Stopped" {
			out.ignored = "instance state " + quote(data.State) + " does not call for Standby"
			return out
		}
	case family == "SystemMaintenance" || family == "SystemFailure":
		if data.EventStatus == "Canceled" || data.EventStatus == "Avoided" {
			out.ignored = eventType + " was " + data.EventStatus
			return out
		}
	default:
		out.ignored = "ECS event " + quote(eventType) + " does not call for Standby"
		return out
	}
	instance := param{name: "data.instanceId", value: data.InstanceID}
	if instance.value == "" {
		// resourceId is the instance ID in EventBridge data, an ARN elsewhere.
		_, id, _ := strings.Cut(data.ResourceID, "instance/")
		instance = param{name: "data.resourceId", value: cmp.Or(id, data.ResourceID)}
	}
	if instance.value == "" {
		out.draft.missing("data", "the event names no instance")
		return out
	}
	out.draft.instances = []param{instance}
	return out
}

// jsonFields gives access to the string (or number) fields of a JSON object;
// nested values come back as their JSON text.
func jsonFields(raw json.RawMessage) func(string) string {
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(raw, &fields) // a malformed object has no fields; decodeAlarm reports what is missing
	return func(name string) string {
		v := fields[name]
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
		return string(v)
	}
}
