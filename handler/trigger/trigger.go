// Package trigger decodes every payload ess-standby accepts into a request
// draft, with what the rest of the function needs to know of the event: an
// identity that stays the same across re-deliveries (the root of the
// ClientTokens), its own time (to ignore stale deliveries), and whether it
// calls for anything at all.
//
// Each source is one file with one small type that says how it recognises
// its payload, by field names only it carries, matched exactly, and how it
// reads it. The registry below tries them in a fixed order; a payload no
// event source recognises is read as a direct request, whose decoder says
// what is wrong with it. Nothing is guessed from what is left.
package trigger

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"

	"ess-standby/handler/standby"
)

// Event is one event as its decoder read it.
type Event struct {
	Source   string        // what delivered it, for the log and the answer: "timer", "eventbridge:ecs:Instance:StateChange", ...
	Draft    standby.Draft // the request it carries, not yet validated
	Identity string        // names the event across re-deliveries; "": it carries nothing that does
	Time     time.Time     // when it happened, by its own account; zero: it carries no time
	Ignored  string        // non-empty: it calls for nothing, and why
	// Undocumented: it is ignored for a value the documentation does not
	// list, which an operator should hear of.
	Undocumented bool
	Recovered    bool // an alarm back to normal: with EXIT_ON_OK, its instances leave Standby
	// Rule is what the event's instances are parked for, beyond its
	// source, as their tags record it; an end (a recovery, an event over)
	// takes back only what its rule parked: an alarm's rule, a
	// subscription, an ECS event's type and ID. "": none is named.
	Rule string
	// Ended is the status of an ECS event that is over (Avoided, Canceled
	// or Executed): with EXIT_ON_EVENT_END, what the event parked leaves
	// Standby (after Executed, only if it runs). "": no event's end.
	Ended string
	// SenderRetries: its sender (a CloudMonitor callback) retries what is not
	// answered 2xx, and cannot be told that a refusal is final.
	SenderRetries bool
	// RetriedOn5xx: its sender (Alertmanager) retries only what is
	// answered 5xx: a failure that a retry may mend must be answered so.
	RetriedOn5xx bool
	Alarm        *Alarm // set for CloudMonitor alarms, for the log
	// NoRequest: it carries no request to check (it is not JSON, or no
	// object, or a batch of nothing): its problems are all there is to
	// say, where checking would add that it names no instance.
	NoRequest bool
	// Address is where an alert's instance is, when that is all it says
	// (Prometheus's instance label, its port left off): the handler looks
	// the instance up there, with LOCATE_BY_ADDRESS, and names it in the
	// draft. Named by its label, for problems.
	Address standby.Param
}

// Alarm is what the log needs of a CloudMonitor alarm.
type Alarm struct {
	Rule, State string
	Time        time.Time
}

// Delivery is what one event invocation brought.
type Delivery struct {
	// HTTP is an HTTP trigger's request, which FC's go1 runtime delivers as
	// an event: authenticate it, then read it with FromHTTP.
	HTTP *HTTPRequest
	// ViaHTTP: an HTTP trigger's event that could not be read; Events says
	// why, and the answer is an HTTP response.
	ViaHTTP bool
	// Events are the event, or the events of a batch, in order.
	Events []Event
	Batch  bool
	// Source names a batch as it came, for the log: an EventBridge batch,
	// or a group of alerts (alertmanager, http:alertmanager).
	Source string
	// Truncated is how many alerts the sender left out of this group
	// (Alertmanager's truncatedAlerts, past its max_alerts): they never
	// arrive.
	Truncated int
}

// A source is one kind of event payload.
type source interface {
	// recognises says whether a payload is this source's, from its fields.
	recognises(o object) bool
	// decode reads it. f holds the payload's fields, and collects problems
	// into the event's draft.
	decode(f fields, ev *Event)
}

// sources are the event sources, in the order they are tried (an HTTP
// trigger's event is told apart before them, in Decode). Each recognises
// its payloads by field names the others never carry together; RawData,
// which has no envelope, comes last.
var sources = slices.Concat([]source{
	cloudEvent{},
	timer{},
	cmsEvent{},
	cmsSubscription{},
	ecsSystemEventData{},
	ecsStateChangeData{},
	ecsPreemptibleData{},
}, ecsNotices, []source{rawDataAlarm}, foreigns)

// Decode reads an event invocation's payload: an HTTP trigger's request, one
// event, a JSON array of events (EventBridge batches them so), or a group
// of alerts (each its own event), with the settings opts.
func Decode(payload []byte, opts Options) Delivery {
	// The payload is parsed as sent, not trimmed: a syntax error's line is
	// the caller's.
	if trimmed := bytes.TrimSpace(payload); len(trimmed) > 0 && trimmed[0] == '[' {
		return Delivery{Events: decodeBatch(payload), Batch: true, Source: "eventbridge-batch"}
	}
	o, err := parseObject(payload)
	switch {
	case err == nil && (httpEvent{}).recognises(o):
		req, ev := decodeHTTPEvent(o)
		if req == nil {
			return Delivery{ViaHTTP: true, Events: []Event{ev}}
		}
		return Delivery{HTTP: req}
	case err == nil && (alertmanager{}).recognises(o):
		return decodeAlerts(o, opts, "alertmanager")
	}
	return Delivery{Events: []Event{decodeOne(o, err, sources, direct{})}}
}

// decodeOne reads one payload already parsed as an object (or not: err) with
// the first source that recognises it, else with fallback.
func decodeOne(o object, err error, candidates []source, fallback source) Event {
	var ev Event
	if err != nil {
		ev.Source, ev.NoRequest = "direct", true
		ev.Draft.Problems.Invalid("request", "%v: send the request JSON, or an event this function reads (see README)", err)
		return ev
	}
	f := fields{obj: o, p: &ev.Draft.Problems}
	for _, s := range candidates {
		if s.recognises(o) {
			s.decode(f, &ev)
			return ev
		}
	}
	fallback.decode(f, &ev)
	return ev
}

// batchSources are those EventBridge can batch: every event source but
// the timer's, in either schema.
var batchSources = slices.DeleteFunc(slices.Clone(sources), func(s source) bool { return s == source(timer{}) })

// MaxBatch is the most events one batch may hold.
const MaxBatch = 100

// decodeBatch reads a JSON array of events, each with its own decoder. An
// element no batchable source recognises is a problem of the whole batch:
// direct requests, timer and HTTP events are never batched by the platform.
func decodeBatch(raw []byte) []Event {
	elems, err := parseArray(raw, MaxBatch)
	if err == nil && len(elems) == 0 {
		ev := Event{Source: "eventbridge-batch", NoRequest: true}
		ev.Draft.Problems.Missing("batch", "the array holds no event")
		return []Event{ev}
	}
	if err != nil {
		ev := Event{Source: "eventbridge-batch", NoRequest: true}
		ev.Draft.Problems.Invalid("batch", "%v", err) // a count says the most
		return []Event{ev}
	}
	events := make([]Event, len(elems))
	for i, elem := range elems {
		// EventBridge's Kafka deliveries batch their CloudEvents as JSON
		// strings (fc-runtime-go-sdk, README_KAFKA_EVENTBRIDGE).
		var inner string
		if bytes.HasPrefix(elem, []byte(`"`)) && json.Unmarshal(elem, &inner) == nil {
			elem = []byte(inner)
		}
		o, err := parseObject(elem)
		events[i] = decodeOne(o, err, batchSources, notBatchable{})
		if err != nil {
			events[i].Source = "eventbridge-batch"
		}
	}
	return events
}

// notBatchable is the fallback inside a batch: an element that is not an
// event this function reads.
type notBatchable struct{}

func (notBatchable) recognises(object) bool { return false }

func (notBatchable) decode(f fields, ev *Event) {
	ev.Source = "unknown"
	f.p.Invalid("event", "not an event this function reads in a batch (CloudEvents, or EventBridge RawData of ECS or CloudMonitor events); a request must be sent alone")
}
