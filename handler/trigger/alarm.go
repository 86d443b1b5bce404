package trigger

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"ess-standby/handler/standby"
)

// alarmFields reads a CloudMonitor threshold alarm's fields, whether they
// came as the callback's form or as the data of an EventBridge event.
type alarmFields struct {
	get  func(field string) string // "" when absent
	name func(field string) string // the field's path, for problems
	p    *standby.Problems
}

// jsonAlarm reads an alarm's fields from JSON. dimensions may be the
// callback's string, or JSON itself (an object, or an array of objects, as
// CloudMonitor's older callback documentation prints it).
func jsonAlarm(f fields) alarmFields {
	get := func(field string) string {
		if raw := bytes.TrimSpace(f.obj[field]); len(raw) > 0 && (raw[0] == '[' || raw[0] == '{') {
			return string(raw)
		}
		return f.text(field)
	}
	return alarmFields{get: get, name: f.name, p: f.p}
}

// readAlarm reads a threshold alarm: an ALERT (ALARM in CloudMonitor's
// older documentation, whose table and JSON example both name it so) puts
// the instances of its
// dimensions into Standby; OK is a recovery (with EXIT_ON_OK, they leave
// Standby); INSUFFICIENT_DATA calls for nothing.
func readAlarm(a alarmFields, ev *Event) {
	field := func(name string) string {
		// CloudMonitor sends absent values as the literal string "null".
		if v := strings.TrimSpace(a.get(name)); v != "null" {
			return v
		}
		return ""
	}
	stamp := field("timestamp")
	ev.Alarm = &Alarm{Rule: field("ruleId"), State: field("alertState")}
	ev.Rule = ev.Alarm.Rule
	if stamp != "" {
		t, err := epoch.parse(stamp)
		if err != nil {
			a.p.Invalid(a.name("timestamp"), "%s is not a time (%s)", standby.Quote(stamp), epoch.name)
		}
		ev.Alarm.Time, ev.Time = t, t
	}
	// transId names one delivery of one alarm; older callbacks lack it.
	ev.Identity = "cms:" + cmp.Or(field("transId"), ev.Alarm.Rule+"/"+ev.Alarm.State+"/"+stamp)
	switch ev.Alarm.State {
	case "ALERT", "ALARM": // ALARM: the state's name in CloudMonitor's older pages, table and examples alike
	case "OK":
		ev.Ignored, ev.Recovered = "alarm state is OK (EXIT_ON_OK is off)", true
	case "INSUFFICIENT_DATA":
		ev.Ignored = "alarm state is INSUFFICIENT_DATA"
		return
	case "":
		a.p.Missing(a.name("alertState"), "the alarm has none")
		return
	default:
		ev.Ignored, ev.Undocumented = "alarm state "+standby.Quote(ev.Alarm.State)+" is not ALERT (ALARM), OK or INSUFFICIENT_DATA, which the documentation lists: not acted on", true
		return
	}
	if region := field("regionId"); region != "" {
		ev.Draft.RegionID = standby.Param{Name: a.name("regionId"), Value: region}
	}
	named, err := dimension(field("dimensions"), "instanceId")
	// Alarms on other products name their own resources (rm-… of RDS, …):
	// nothing there for Auto Scaling to park.
	ids := slices.DeleteFunc(slices.Clone(named), func(id string) bool { return !strings.HasPrefix(id, "i-") && !strings.HasPrefix(id, "eci-") })
	switch {
	case err != nil:
		a.p.Invalid(a.name("dimensions"), "%v", err)
	case len(ids) == 0 && len(named) > 0:
		ev.Ignored, ev.Recovered = "the alarm is on "+standby.Quote(named[0])+", not an ECS instance", false
	case len(ids) == 0 && ev.Recovered:
		ev.Recovered = false // an OK of an alarm on no instance: nothing to take out of Standby
	case len(ids) == 0:
		a.p.Missing(a.name("dimensions"), "the alarm names no instanceId; only alarms on ECS instances can act")
	}
	for _, id := range ids {
		ev.Draft.AddInstance(a.name("dimensions")+".instanceId", id)
	}
}

// dimension finds every value of key in a CloudMonitor dimensions value,
// by its exact name. The callback sends Java's Map.toString, {userId=12,
// instanceId=i-x}; older callbacks and EventBridge data may carry JSON, an
// object or an array of objects, where an alarm on several instances names
// each.
func dimension(dims, key string) ([]string, error) {
	var values []string
	add := func(v string) {
		if v = strings.TrimSpace(v); v != "" && v != "null" {
			values = append(values, v)
		}
	}
	switch {
	case strings.HasPrefix(dims, "["):
		elems, err := parseArray([]byte(dims), standby.MaxNamed)
		if err != nil {
			return nil, fmt.Errorf("a JSON array that %v", err)
		}
		var p standby.Problems
		for _, elem := range elems {
			add(readFields(elem, "", &p).str(key))
		}
		if !p.Empty() {
			return nil, errors.New("not a readable JSON array of objects")
		}
	case strings.HasPrefix(dims, `{"`):
		var p standby.Problems
		add(readFields([]byte(dims), "", &p).str(key))
		if !p.Empty() {
			return nil, errors.New("not a readable JSON object")
		}
	default:
		dims = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(dims), "{"), "}")
		for pair := range strings.SplitSeq(dims, ",") {
			if k, v, ok := strings.Cut(pair, "="); ok && strings.TrimSpace(k) == key {
				add(v)
			}
			if len(values) > standby.MaxNamed {
				return nil, fmt.Errorf("names more than %d instances", standby.MaxNamed)
			}
		}
	}
	return values, nil
}

// epoch reads a time in seconds (the callback's documented sample) or
// milliseconds (what it sends) since 1970.
var epoch = timeForm{"seconds or milliseconds since 1970", func(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil || n <= 0:
		return time.Time{}, errors.New("not a positive integer")
	case n >= 1e12:
		return time.UnixMilli(n).UTC(), nil
	default:
		return time.Unix(n, 0).UTC(), nil
	}
}}

// cmsAlarmData is a CloudMonitor alarm's fields as JSON: the data of one
// EventBridge delivers as RawData, or the callback's JSON body (as
// integrations, and CloudMonitor's older documentation, post it), named
// as the source it came from.
type cmsAlarmData struct{ name string }

var (
	rawDataAlarm = cmsAlarmData{"eventbridge-rawdata:" + alarmType}
	jsonCallback = cmsAlarmData{"cms-alarm-callback:json"}
)

func (cmsAlarmData) recognises(o object) bool { return o.has("alertState") }

func (a cmsAlarmData) decode(f fields, ev *Event) {
	ev.Source = a.name
	readAlarm(jsonAlarm(f), ev)
}
