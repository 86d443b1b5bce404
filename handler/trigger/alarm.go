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
	stamp := a.value("timestamp")
	ev.Alarm = &Alarm{Rule: a.value("ruleId"), State: a.value("alertState")}
	ev.Rule = ev.Alarm.Rule
	if stamp != "" {
		ev.Alarm.Time = a.time("timestamp", stamp)
		ev.Time = ev.Alarm.Time
	}
	// transId names one delivery of one alarm; older callbacks lack it.
	ev.Identity = "cms:" + cmp.Or(a.value("transId"), ev.Alarm.Rule+"/"+ev.Alarm.State+"/"+stamp)
	if ev.Alarm.State == "" {
		a.p.Missing(a.name("alertState"), "the alarm has none")
		return
	}
	call := alarmStateCall(ev.Alarm.State)
	ev.Ignored, ev.Recovered, ev.Undocumented = call.ignored, call.recovered, call.undocumented
	if !call.readsInstances {
		return
	}
	if region := a.value("regionId"); region != "" {
		ev.Draft.RegionID = standby.Param{Name: a.name("regionId"), Value: region}
	}
	a.addInstances(ev)
}

// value reads a field, trimmed; CloudMonitor sends absent values as the
// literal string "null", read as "".
func (a alarmFields) value(name string) string {
	if v := strings.TrimSpace(a.get(name)); v != "null" {
		return v
	}
	return ""
}

// time reads the alarm's stamp, recording a problem when it is none.
func (a alarmFields) time(field, stamp string) time.Time {
	t, err := epoch.parse(stamp)
	if err != nil {
		a.p.Invalid(a.name(field), "%s is not a time (%s)", standby.Quote(stamp), epoch.name)
	}
	return t
}

// alarmCall is what an alarm's state calls for.
type alarmCall struct {
	readsInstances bool   // its dimensions' instances go into the draft
	ignored        string // non-empty: it calls for nothing, and why
	recovered      bool   // back to normal: with EXIT_ON_OK, its instances leave Standby
	undocumented   bool   // a state the documentation does not list
}

// alarmStateCall is what a state (not "", which is missing) calls for:
// ALERT (ALARM: the state's name in CloudMonitor's older pages, table and
// examples alike) parks its instances, OK names them to take back,
// INSUFFICIENT_DATA calls for nothing, and a state the documentation does
// not list is not acted on, never guessed at.
func alarmStateCall(state string) alarmCall {
	switch state {
	case "ALERT", "ALARM":
		return alarmCall{readsInstances: true}
	case "OK":
		return alarmCall{readsInstances: true, ignored: "alarm state is OK (EXIT_ON_OK is off)", recovered: true}
	case "INSUFFICIENT_DATA":
		return alarmCall{ignored: "alarm state is INSUFFICIENT_DATA"}
	}
	return alarmCall{ignored: "alarm state " + standby.Quote(state) + " is not ALERT (ALARM), OK or INSUFFICIENT_DATA, which the documentation lists: not acted on", undocumented: true}
}

// addInstances puts the ECS instances of the alarm's dimensions into the
// draft; an alarm on none of them is ignored, or a problem.
func (a alarmFields) addInstances(ev *Event) {
	named, err := dimension(a.value("dimensions"), "instanceId")
	ids := slices.DeleteFunc(slices.Clone(named), func(id string) bool { return !isInstanceID(id) })
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

// isInstanceID says whether an alarm's resource is an instance Auto
// Scaling can park (ECS's i-…, ECI's eci-…): alarms on other products name
// their own resources (rm-… of RDS, …), with nothing there to park.
func isInstanceID(id string) bool {
	return strings.HasPrefix(id, "i-") || strings.HasPrefix(id, "eci-")
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
