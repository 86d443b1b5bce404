package trigger

// timer is a timer trigger's event, {"triggerTime","triggerName","payload"},
// whose payload is the string configured on the trigger: here, the request
// JSON.
type timer struct{}

func (timer) recognises(o object) bool { return o.has("triggerTime") && o.has("triggerName") }

func (timer) decode(f fields, ev *Event) {
	ev.Source = "timer"
	ev.Time = f.time("triggerTime", rfc3339)
	ev.Identity = "timer:" + f.str("triggerName") + "@" + f.str("triggerTime")
	payload := f.str("payload")
	if payload == "" {
		f.p.Missing("payload", "the timer trigger's payload must hold the request JSON")
		return
	}
	envelope := ev.Draft.Problems
	ev.Draft, ev.NoRequest = readRequest([]byte(payload), "payload")
	ev.Draft.Problems.Include("", envelope)
}
