package trigger

import (
	"net/http"
	"testing"

	"ess-standby/handler/standby"
)

// What is not JSON is refused with where it stops being JSON, as an editor
// counts (line and column from 1, in characters), and marked as carrying
// no request, so that nothing is added to it; what is nothing says so.
func TestSyntaxErrorsSayWhere(t *testing.T) {
	const hint = ": send the request JSON, or an event this function reads (see README)"
	tests := []struct {
		name, payload, want string
	}{
		{"empty", "", "request: is empty" + hint},
		{"spaces", " \t\r\n", "request: is empty" + hint},
		{"a word", "InstanceId=i-a", "request: is not valid JSON: invalid character 'I' looking for beginning of value, at line 1, column 1" + hint},
		{"a trailing comma, after leading lines", "\n\n{\n  \"InstanceIds\": [\"i-a\"],\n}", "request: is not valid JSON: invalid character '}' looking for beginning of object key string, at line 5, column 1" + hint},
		{"columns count characters", `{"Reason":"naïve", "InstanceId" "i-a"}`, "request: is not valid JSON: invalid character '\"' after object key, at line 1, column 33" + hint},
		{"cut short", "{\"InstanceIds\": [\"i-a\"\n\n", "request: is not valid JSON: unexpected end of JSON input, at line 1, column 23" + hint},
		{"data after the object", `{"InstanceId":"i-a"} x`, "request: is not valid JSON: invalid character 'x' after top-level value, at line 1, column 22" + hint},
		{"a batch cut short", `["i-a"`, "batch: is not valid JSON: unexpected end of JSON input, at line 1, column 7"},
		{"a string", `"i-a"`, "request: must be a JSON object" + hint},
		{"null", `null`, "request: must be a JSON object" + hint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decode([]byte(tt.payload), Options{})
			if len(d.Events) != 1 || !d.Events[0].NoRequest {
				t.Fatalf("Decode(%q) = %+v, want one event that carries no request", tt.payload, d)
			}
			if got := d.Events[0].Draft.Problems.Err(); got == nil || got.Error() != "InvalidParameter: "+tt.want {
				t.Errorf("Decode(%q): %v\nwant InvalidParameter: %s", tt.payload, got, tt.want)
			}
		})
	}
	// An HTTP body says where too; a field that holds JSON in a string
	// (CloudMonitor's eventRawContent) counts from that string.
	ev := fromHTTP(HTTPRequest{Method: "POST", Path: "/", Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte("{\"InstanceIds\":[\"i-a\"]\n,}")})
	if got := ev.Draft.Problems.Err(); !ev.NoRequest || got == nil || got.Error() != "InvalidParameter: request: is not valid JSON: invalid character '}' looking for beginning of object key string, at line 2, column 2"+hint {
		t.Errorf("HTTP body: %v (NoRequest %t)", got, ev.NoRequest)
	}
	var p standby.Problems
	readFields([]byte(`{"a":1 "b":2}`), "alert.eventRawContent", &p)
	if got := p.Err(); got == nil || got.Error() != "InvalidParameter: alert.eventRawContent: is not valid JSON: invalid character '\"' after object key:value pair, at line 1, column 8" {
		t.Errorf("a nested object: %v", got)
	}
}
