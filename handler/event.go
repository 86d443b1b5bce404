package handler

import (
	"encoding/json"
)

// decoded is an event after decoding: the request it carries (not yet
// validated), or why it calls for nothing.
type decoded struct {
	trigger   string // what delivered it, for the log
	draft     draft
	ignored   string     // non-empty: nothing to do, and why
	alarm     *alarmInfo // set for CloudMonitor alarms
	identity  string     // what identifies the event across re-deliveries; empty: the FC request ID
	recovered bool       // an alarm back to OK: EXIT_ON_OK takes its instance out of Standby
}

// envelope holds the fields that tell the event sources apart. Each source
// has a field the others never carry; nothing is guessed from the rest.
type envelope struct {
	Version        string          `json:"version"`        // HTTP trigger, with requestContext
	RequestContext json.RawMessage `json:"requestContext"` // HTTP trigger
	SpecVersion    string          `json:"specversion"`    // EventBridge, CloudEvents schema
	TriggerName    *string         `json:"triggerName"`    // timer, with triggerTime
	TriggerTime    *string         `json:"triggerTime"`    // timer
	ResourceType   string          `json:"resourceType"`   // EventBridge RawData: ECS state change
	EventType      string          `json:"eventType"`      // EventBridge RawData: ECS system event
	AlertState     string          `json:"alertState"`     // EventBridge RawData: CloudMonitor alert
}

type source int

const (
	sourceDirect source = iota
	sourceHTTP
	sourceCloudEvent
	sourceTimer
	sourceRawData
)

// classify names the source of an event payload. A payload that is not a
// JSON object, or whose discriminating fields have odd types, is treated as
// a direct request, whose decoder then reports what is wrong with it.
func classify(raw []byte) source {
	var env envelope
	if json.Unmarshal(raw, &env) != nil {
		return sourceDirect
	}
	switch {
	case env.Version != "" && len(env.RequestContext) > 0 && string(env.RequestContext) != "null":
		return sourceHTTP
	case env.SpecVersion != "":
		return sourceCloudEvent
	case env.TriggerName != nil && env.TriggerTime != nil:
		return sourceTimer
	case env.ResourceType != "" || env.EventType != "" || env.AlertState != "":
		return sourceRawData
	}
	return sourceDirect
}

// timerEvent is what a timer trigger delivers; its payload is the request
// JSON, configured on the trigger as a string.
type timerEvent struct {
	TriggerName string `json:"triggerName"`
	TriggerTime string `json:"triggerTime"`
	Payload     string `json:"payload"`
}

func decodeTimer(raw []byte) decoded {
	out := decoded{trigger: "timer"}
	var ev timerEvent
	if json.Unmarshal(raw, &ev) != nil {
		out.draft.invalid("timer event", "triggerName, triggerTime and payload must be strings")
		return out
	}
	if ev.Payload == "" {
		out.draft.missing("payload", "the timer trigger's payload must hold the request JSON")
		return out
	}
	out.draft = decodeDirect([]byte(ev.Payload))
	out.identity = "timer:" + ev.TriggerName + "@" + ev.TriggerTime
	return out
}
