package trigger

import "bytes"

// foreign is a payload of another of FC's triggers, as fc-runtime-go-sdk's
// events/ READMEs print them: it calls for nothing here, and is ignored
// with the reason, rather than refused as a request of unknown fields.
// (MNS queue, RocketMQ and Kafka deliveries are CloudEvents, which the
// CloudEvents source already ignores by their type.)
type foreign struct {
	fields []string // the fields only its payload has
	name   string
}

var foreigns = []source{
	foreign{[]string{"TopicOwner", "TopicName", "Message"}, "an MNS topic message"},
	foreign{[]string{"events"}, "an OSS event"},
	foreign{[]string{"jobName", "taskId", "cursorTime"}, "a Log Service job"},
}

func (s foreign) recognises(o object) bool {
	for _, f := range s.fields {
		if !o.has(f) {
			return false
		}
	}
	// OSS's events is a list of records: a request never has one.
	return s.fields[0] != "events" || bytes.HasPrefix(bytes.TrimSpace(o["events"]), []byte("["))
}

func (s foreign) decode(_ fields, ev *Event) {
	ev.Source = "foreign"
	ev.Ignored = s.name + " does not call for Standby: this function reads ECS and CloudMonitor events, its timer and HTTP requests"
}
