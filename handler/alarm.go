package handler

import (
	"cmp"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// decodeAlarm reads a CloudMonitor threshold alarm, whether it came as the
// form-encoded callback or as the data of an EventBridge event. Only an
// ALERT acts; OK and INSUFFICIENT_DATA are answered as ignored.
func decodeAlarm(get func(string) string) decoded {
	field := func(name string) string {
		// CloudMonitor sends absent values as the literal string "null".
		if v := strings.TrimSpace(get(name)); v != "null" {
			return v
		}
		return ""
	}
	out := decoded{alarm: &alarmInfo{
		RuleID:  field("ruleId"),
		TransID: field("transId"),
		State:   field("alertState"),
		Time:    parseAlarmTime(field("timestamp")),
	}}
	// transId names one delivery of one alarm; older callbacks lack it.
	out.identity = "cms:" + cmp.Or(out.alarm.TransID, out.alarm.RuleID+"/"+out.alarm.State+"/"+field("timestamp"))
	switch out.alarm.State {
	case "ALERT":
	case "OK":
		out.ignored, out.recovered = "alarm state is OK (EXIT_ON_OK is off)", true
	case "INSUFFICIENT_DATA":
		out.ignored = "alarm state is INSUFFICIENT_DATA"
		return out
	default:
		out.draft.invalid("alertState", "%s is not ALERT, OK or INSUFFICIENT_DATA", quote(out.alarm.State))
		return out
	}
	if region := field("regionId"); region != "" {
		out.draft.region = param{name: "regionId", value: region}
	}
	instance := dimension(field("dimensions"), "instanceId")
	if instance == "" && out.recovered {
		out.recovered = false
		return out
	}
	if instance == "" {
		out.draft.missing("dimensions", "the alarm names no instanceId; only alarms on ECS instances can act")
		return out
	}
	out.draft.instances = []param{{name: "dimensions.instanceId", value: instance}}
	return out
}

// alarmInfo is what the log and the idempotency token need of an alarm.
type alarmInfo struct {
	RuleID, TransID, State string
	Time                   time.Time
}

// dimension finds key in a CloudMonitor dimensions value. The callback sends
// Java's Map.toString, {userId=12, instanceId=i-x}; older callbacks and
// EventBridge data may carry JSON, an object or an array of objects.
func dimension(dims, key string) string {
	if strings.HasPrefix(dims, "[") || strings.HasPrefix(dims, `{"`) {
		var objs []map[string]any
		if json.Unmarshal([]byte(dims), &objs) != nil {
			var obj map[string]any
			if json.Unmarshal([]byte(dims), &obj) != nil {
				return ""
			}
			objs = []map[string]any{obj}
		}
		for _, obj := range objs {
			for k, v := range obj {
				if s, ok := v.(string); ok && strings.EqualFold(k, key) {
					if s = strings.TrimSpace(s); s != "null" {
						return s
					}
				}
			}
		}
		return ""
	}
	dims = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(dims), "{"), "}")
	for pair := range strings.SplitSeq(dims, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if v = strings.TrimSpace(v); ok && strings.EqualFold(strings.TrimSpace(k), key) && v != "null" {
			return v
		}
	}
	return ""
}

// parseAlarmTime reads the callback's timestamp: seconds in the documented
// sample, milliseconds in real traffic. Anything else is the zero time.
func parseAlarmTime(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil || n <= 0:
		return time.Time{}
	case n >= 1e12:
		return time.UnixMilli(n).UTC()
	default:
		return time.Unix(n, 0).UTC()
	}
}
