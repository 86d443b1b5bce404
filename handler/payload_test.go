package handler_test

import (
	"testing"

	"ess-standby/handler/standby"
)

// A payload that carries no request (nothing, no JSON, no object) is
// refused with its reading's problem alone, a syntax error with where it
// is: checking would add that it names no instance, which says nothing.
func TestAnUnreadablePayloadIsReportedAlone(t *testing.T) {
	tests := []struct {
		name, payload, want string
	}{
		{"empty", "", "request: is empty: send the request JSON, or an event this function reads (see README)"},
		{"blank lines", "\n\n", "request: is empty: send the request JSON, or an event this function reads (see README)"},
		{"a trailing comma", "{\n  \"InstanceIds\": [\"i-a1\"],\n}\n",
			"request: is not valid JSON: invalid character '}' looking for beginning of object key string, at line 3, column 1: send the request JSON, or an event this function reads (see README)"},
		{"cut short", "\n{\"InstanceIds\": [\"i-a1\"]\n",
			"request: is not valid JSON: unexpected end of JSON input, at line 2, column 25: send the request JSON, or an event this function reads (see README)"},
		{"two objects", `{"InstanceId":"i-a1"} {}`,
			"request: is not valid JSON: invalid character '{' after top-level value, at line 1, column 23: send the request JSON, or an event this function reads (see README)"},
		{"not an object", `"i-a1"`, "request: must be a JSON object: send the request JSON, or an event this function reads (see README)"},
		{"a batch cut short", `[{"specversion":"1.0"}`, "[0].batch: is not valid JSON: unexpected end of JSON input, at line 1, column 23"},
		{"a batch of nothing", `[]`, "[0].batch: the array holds no event"},
		{"a timer's payload", `{"triggerName":"t","triggerTime":"2026-11-27T04:29:00Z","payload":"{\"InstanceId\":}"}`,
			`payload: is not valid JSON: invalid character '}' looking for beginning of value, at line 1, column 15: want the request JSON, {"ScalingGroupId": …, "InstanceIds": […]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			h, _ := newHandler(config{}, f)
			out := invokeFake(h, tt.payload)
			if out.Err == nil || out.Err.Kind != standby.Invalid || out.Err.Message != tt.want || len(f.Calls("")) != 0 {
				t.Errorf("Invoke(%q) = %v after %d calls\nwant %s", tt.payload, out.Err, len(f.Calls("")), tt.want)
			}
		})
	}
}
