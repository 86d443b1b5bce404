package trigger

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"

	"ess-standby/handler/standby"
)

// direct is the request JSON itself, as `s invoke`, InvokeFunction or
// another function sends it. It is what a payload no event source
// recognises is read as, so that its problems are named.
type direct struct{}

func (direct) recognises(object) bool { return false } // the registry's fallback only

func (direct) decode(f fields, ev *Event) {
	ev.Source = "direct"
	readRequestFields(f, &ev.Draft)
}

// apiName maps each name a request may use to the API's name for it.
// Lower-camel aliases are accepted because SDKs and consoles emit them;
// names are matched exactly, so a typo such as "InstanceID" is refused, not
// read as "no instances".
var apiName = map[string]string{
	"ScalingGroupId": "ScalingGroupId", "scalingGroupId": "ScalingGroupId",
	"InstanceIds": "InstanceId", "instanceIds": "InstanceId",
	"InstanceId": "InstanceId", "instanceId": "InstanceId",
	"ClientToken": "ClientToken", "clientToken": "ClientToken",
	"Async": "Async", "async": "Async",
	"RegionId": "RegionId", "regionId": "RegionId",
	"DryRun": "DryRun", "dryRun": "DryRun",
	"Wait": "Wait", "wait": "Wait",
	"Action": "Action", "action": "Action",
}

// readRequest reads the request JSON held in raw (a timer's payload), or
// names what keeps it from being one: then none is read (noRequest).
func readRequest(raw []byte, what string) (d standby.Draft, noRequest bool) {
	o, err := parseObject(raw)
	if err != nil {
		d.Problems.Invalid(what, "%v: want the request JSON, {\"ScalingGroupId\": …, \"InstanceIds\": […]}", err)
		return d, true
	}
	readRequestFields(fields{obj: o, p: &d.Problems}, &d)
	return d, false
}

func readRequestFields(f fields, d *standby.Draft) {
	keys := make([]string, 0, len(f.obj))
	for k := range f.obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	usedAs := map[string]string{}
	for _, key := range keys {
		name, ok := apiName[key]
		if !ok {
			d.Problems.Invalid(standby.Quote(key), "unknown field")
			continue
		}
		if prev, dup := usedAs[name]; dup {
			d.Problems.Invalid(key, "given twice, also as %s", prev)
			continue
		}
		usedAs[name] = key
		if !f.has(key) {
			continue // null
		}
		switch name {
		case "InstanceId":
			readInstanceIDs(d, f.obj[key])
		case "Async", "DryRun", "Wait":
			*field(d, name) = readBool(d, name, f.obj[key])
		default:
			*field(d, name) = standby.Param{Name: name, Value: f.str(key)}
		}
	}
}

// field is the draft's parameter of an API name (InstanceId aside).
func field(d *standby.Draft, name string) *standby.Param {
	switch name {
	case "ScalingGroupId":
		return &d.ScalingGroupID
	case "ClientToken":
		return &d.ClientToken
	case "Async":
		return &d.Async
	case "RegionId":
		return &d.RegionID
	case "DryRun":
		return &d.DryRun
	case "Wait":
		return &d.Wait
	}
	return &d.Action // the one name left in apiName
}

// readInstanceIDs takes an array of strings or one string, and names each
// element as the API does: InstanceId.1, InstanceId.2, ... An array of more
// than any request may name is counted, not read: validation refuses it on
// its count, and a huge one costs no more than a small one.
func readInstanceIDs(d *standby.Draft, raw json.RawMessage) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		d.AddInstanceN(1, one)
		return
	}
	if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && trimmed[0] == '[' {
		if n := countElements(trimmed); n > standby.MaxNamed {
			d.Named += n
			return
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		d.Problems.Invalid("InstanceIds", "must be an array of instance IDs or one instance ID")
		return
	}
	for n := 1; dec.More(); n++ {
		var elem json.RawMessage
		if dec.Decode(&elem) != nil {
			d.Problems.Invalid("InstanceIds", "is not valid JSON")
			return
		}
		var id string
		if json.Unmarshal(elem, &id) != nil {
			d.Named++
			d.Problems.Invalid("InstanceId."+strconv.Itoa(n), "must be a string")
			continue
		}
		d.AddInstanceN(n, id)
	}
}

// readBool takes a JSON boolean or the strings "true" and "false";
// validation refuses any other string.
func readBool(d *standby.Draft, name string, raw json.RawMessage) standby.Param {
	p := standby.Param{Name: name}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		p.Value = "false"
		if b {
			p.Value = "true"
		}
		return p
	}
	if json.Unmarshal(raw, &p.Value) != nil {
		d.Problems.Invalid(name, "must be true or false")
	}
	return p
}
