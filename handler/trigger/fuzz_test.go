package trigger

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"ess-standby/handler/internal/samples"
	"ess-standby/handler/standby"
)

// seeds adds every sample in events/ to a fuzz corpus, through add.
func seeds(f *testing.F, add func(raw []byte)) {
	for _, s := range samples.Match(f, "*.json") {
		add(s.Payload)
	}
}

// sampleHTTP is the HTTP request recorded in an HTTP-trigger sample.
func sampleHTTP(raw []byte) (HTTPRequest, bool) {
	if d := Decode(raw, Options{}); d.HTTP != nil {
		return *d.HTTP, true
	}
	return HTTPRequest{}, false
}

// checkEvent holds for every event: a request that validates names only
// well-formed IDs, within the limit; an event that acts names an instance
// (a sweep, none);
// the problems of an invalid one are bounded.
func checkEvent(t *testing.T, ev Event) {
	t.Helper()
	if ev.Source == "" {
		t.Fatalf("an event without a source: %+v", ev)
	}
	req, err := check(&ev.Draft, 100)
	if err != nil {
		if e := standby.AsError(err); e.Kind != standby.Invalid || len(e.Message) > 8000 {
			t.Fatalf("Check = %v (%d bytes)", e, len(e.Message))
		}
		return
	}
	if req.Action == standby.Sweep != (len(req.InstanceIDs) == 0) || len(req.InstanceIDs) > 100 {
		t.Fatalf("validated %d instances for %s", len(req.InstanceIDs), req.Action) // a sweep names none, any other at least one
	}
	for _, id := range req.InstanceIDs {
		if !standby.ValidInstanceID(id) {
			t.Fatalf("validated instance ID %q", id)
		}
	}
	if req.ScalingGroupID != "" && !standby.ValidGroupID(req.ScalingGroupID) || len(req.ClientToken) > 64 || !standby.PrintableASCII(req.ClientToken) ||
		req.Action != standby.EnterStandby && req.Action != standby.ExitStandby && req.Action != standby.Sweep {
		t.Fatalf("validated %+v", req)
	}
}

// FuzzDecode feeds whole payloads: the registry, every event decoder behind
// it, and the array path of batches.
func FuzzDecode(f *testing.F) {
	seeds(f, func(raw []byte) {
		f.Add(raw)
		f.Add(append(append([]byte("["), raw...), ']')) // each sample as a batch of one
	})
	f.Fuzz(func(t *testing.T, payload []byte) {
		d := Decode(payload, Options{})
		if d.HTTP != nil {
			d = FromHTTP(*d.HTTP, Options{})
		}
		if most := MaxBatch; len(d.Events) == 0 || len(d.Events) > max(most, MaxAlerts) || !strings.HasSuffix(d.Source, "alertmanager") && len(d.Events) > most {
			t.Fatalf("%d events from %q", len(d.Events), d.Source)
		}
		for _, ev := range d.Events {
			checkEvent(t, ev)
		}
	})
}

// FuzzFromHTTP feeds HTTP-trigger requests: path, content type, query
// string and body.
func FuzzFromHTTP(f *testing.F) {
	seeds(f, func(raw []byte) {
		if r, ok := sampleHTTP(raw); ok {
			ct, _ := r.Unique("Content-Type")
			f.Add(r.Path, ct, r.Query.Encode(), string(r.Body))
		}
	})
	f.Fuzz(func(t *testing.T, path, contentType, query, body string) {
		q, _ := url.ParseQuery(query)
		for _, ev := range FromHTTP(HTTPRequest{Method: "POST", Path: path, Header: map[string][]string{"Content-Type": {contentType}}, Query: q, Body: []byte(body)}, Options{}).Events {
			checkEvent(t, ev)
		}
	})
}

func FuzzParams(f *testing.F) {
	seeds(f, func(raw []byte) {
		if r, ok := sampleHTTP(raw); ok {
			f.Add(r.Query.Encode())
			f.Add(string(r.Body))
		}
	})
	f.Add("InstanceId.1=i-a&InstanceId.20=i-b&InstanceId.x=i-c&Action=ExitStandby")
	f.Fuzz(func(t *testing.T, query string) {
		if values, err := url.ParseQuery(query); err == nil {
			checkEvent(t, Event{Source: "http-query", Draft: readParams(values)})
		}
	})
}

// FuzzAlarm feeds CloudMonitor callback forms: only an ALERT acts.
func FuzzAlarm(f *testing.F) {
	seeds(f, func(raw []byte) {
		if r, ok := sampleHTTP(raw); ok && strings.Contains(string(r.Body), "alertState") {
			f.Add(string(r.Body))
		}
	})
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil || !form.Has("alertState") {
			return
		}
		ev := fromForm([]byte(body), "http-form")
		checkEvent(t, ev)
		if _, err := check(&ev.Draft, 100); err == nil && ev.Ignored == "" && form.Get("alertState") != "ALERT" {
			t.Fatalf("a %q alarm acts", form.Get("alertState"))
		}
	})
}

func FuzzDimension(f *testing.F) {
	f.Add("{userId=1234567890123456, instanceId=i-bp1a}")
	f.Add(`[{"instanceId":"i-a"},{"instanceId":"i-b"}]`)
	f.Add(`{"instanceId":"i-a"}`)
	f.Fuzz(func(t *testing.T, dims string) {
		got, err := dimension(dims, "instanceId")
		if err != nil && got != nil {
			t.Fatalf("dimension(%q) = %q and %v", dims, got, err)
		}
		for _, id := range got {
			if id == "" || id == "null" || id != strings.TrimSpace(id) {
				t.Fatalf("dimension(%q) = %q", dims, got)
			}
			// The Map.toString form is cut, never rewritten; JSON is decoded.
			if isJSON := strings.HasPrefix(dims, "[") || strings.HasPrefix(dims, `{"`); !isJSON && !strings.Contains(dims, id) {
				t.Fatalf("dimension(%q) = %q, which it does not contain", dims, got)
			}
		}
	})
}

// FuzzSystemEvents feeds ECS system-event data through each way it comes:
// an instance acts only while its event is coming or under way.
func FuzzSystemEvents(f *testing.F) {
	for _, typ := range SystemEventTypes {
		f.Add(typ, "Scheduled", "i-a", 0)
	}
	f.Add(Preemptible, "", "i-a", 1)
	f.Add("StateChange", "Stopping", "i-a", 2)
	f.Fuzz(func(t *testing.T, typ, status, instance string, way int) {
		data := map[string]string{"instanceId": instance, "eventType": typ, "eventStatus": status}
		var payload string
		switch way % 3 {
		case 0:
			payload = cloudEventOf(typ, data)
		case 1:
			payload = subscription("TRIGGERED", "SYS_EVENT", data, way%2 == 0)
		default:
			payload = `{"product":"ECS","name":"Instance:` + typ + `","content":` + mustMarshal(data) + `}`
		}
		d := Decode([]byte(payload), Options{})
		if len(d.Events) != 1 {
			t.Fatalf("%d events", len(d.Events))
		}
		ev := d.Events[0]
		checkEvent(t, ev)
		if _, err := check(&ev.Draft, 100); err == nil && ev.Ignored == "" {
			acting := slices.Contains(SystemEventTypes, typ) && slices.Contains(ActingStatuses, status) || typ == Preemptible || typ == "StateChange"
			if !acting {
				t.Fatalf("%s %q acts", typ, status)
			}
		}
	})
}

func mustMarshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
