package samples

import (
	"fmt"
	"net/url"
	"strings"
)

// MiB is the largest payload the function reads.
const MiB = 1 << 20

// fill repeats unit, joined by sep, for as long as the result with head
// and tail stays within size bytes.
func fill(size int, head, unit, sep, tail string) string {
	n := (size - len(head) - len(tail)) / (len(unit) + len(sep))
	return head + strings.Repeat(unit+sep, n-1) + unit + tail
}

// Hostile are, for each way a payload is read, the inputs of at most 1 MiB
// that cost the most to read: many tiny elements, each of which a careless
// decoder would keep, report or log. Event payloads, unless the name says
// form: an HTTP request's form body.
func Hostile() map[string][]byte {
	const half = MiB / 2 // what is quoted or escaped grows, up to twice
	dims := fill(half, "[", `{"instanceId":"i-a"}`, ",", "]")
	out := map[string]string{
		"direct: empty instance IDs":        fill(MiB, `{"InstanceIds":[`, `""`, ",", `]}`),
		"direct: instance IDs not strings":  fill(MiB, `{"InstanceIds":[`, `1`, ",", `]}`),
		"direct: nested arrays":             fill(MiB, `{"InstanceIds":[`, `[]`, ",", `]}`),
		"direct: unknown fields":            fillFields(MiB, `{`, `}`),
		"batch: empty events":               fill(MiB, "[", "{}", ",", "]"),
		"batch: nested arrays":              fill(MiB, "[", "[]", ",", "]"),
		"cloudevent: data of many fields":   fillFields(MiB, `{"specversion":"1.0","source":"acs.ecs","type":"ecs:Instance:StateChange","data":{`, `}}`),
		"subscription: raw content":         `{"subscription":{},"alert":{"source":"SYS_EVENT","alertStatus":"TRIGGERED","eventName":"Instance:StateChange","eventRawContent":` + quote(fillFields(half, `{`, `}`)) + `}}`,
		"alarm data: dimensions of objects": `{"alertState":"ALERT","dimensions":` + quote(dims) + `}`,
		"alarm data: dimensions map":        `{"alertState":"ALERT","dimensions":"` + fill(MiB-100, "{", "instanceId=i-a", ", ", "}") + `"}`,
		"http event: many headers":          fillFields(MiB, `{"version":"v1","requestContext":{},"headers":{`, `}}`),
		"http event: many query parameters": fillFields(MiB, `{"version":"v1","requestContext":{},"queryParameters":{`, `}}`),
		"form: many instance parameters":    fill(MiB, "", "InstanceId.1=", "&", ""),
		"form: alarm dimensions":            "alertState=ALERT&dimensions=" + url.QueryEscape(fill(MiB/3, "[", `{"instanceId":"i-a"}`, ",", "]")),
		"alerts: many empty alerts":         fill(MiB, `{"receiver":"r","alerts":[`, "{}", ",", "]}"),
	}
	b := map[string][]byte{}
	for name, s := range out {
		if len(s) > MiB {
			panic(fmt.Sprintf("fctest: hostile input %q is %d bytes", name, len(s)))
		}
		b[name] = []byte(s)
	}
	return b
}

// ManyLabels is a group of as many alerts as one may hold, firing, each
// with as many labels as fit in a megabyte: every alert, and its labels,
// is read. (Each alert is its own event, answered for itself: it is not
// one of Hostile's, which are refused whole.)
func ManyLabels() []byte {
	return []byte(fill(MiB, `{"receiver":"r","alerts":[`, fillFields(MiB/1000+16, `{"status":"firing","labels":{`, `}}`), ",", "]}"))
}

// fillFields is an object of as many distinct fields as fit in size
// bytes, between head and tail.
func fillFields(size int, head, tail string) string {
	var b strings.Builder
	b.WriteString(head)
	for i := 0; b.Len() < size-len(tail)-16; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"f%d":0`, i)
	}
	b.WriteString(tail)
	return b.String()
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}
