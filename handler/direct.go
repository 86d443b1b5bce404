package handler

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
)

// apiName maps each key a direct request may use to the API's name for it.
// Lower-camel aliases are accepted because SDKs and consoles emit them.
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

// decodeDirect reads the request JSON of a direct invocation (also the body
// of an HTTP trigger and the payload of a timer). Unknown fields are
// rejected: a typo such as "InstanceID" must not pass as "no instances".
func decodeDirect(raw []byte) draft {
	var d draft
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		d.invalid("request", "must be a JSON object with ScalingGroupId and InstanceIds")
		return d
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	usedAs := map[string]string{}
	for _, key := range keys {
		name, ok := apiName[key]
		if !ok {
			d.invalid(strconv.Quote(key), "unknown field")
			continue
		}
		if prev, dup := usedAs[name]; dup {
			d.invalid(key, "given twice, also as %s", prev)
			continue
		}
		usedAs[name] = key
		value := fields[key]
		if bytes.Equal(bytes.TrimSpace(value), []byte("null")) {
			continue
		}
		switch name {
		case "InstanceId":
			d.instances = decodeInstanceIDs(&d, value)
		case "Async":
			d.async = decodeBool(&d, name, value)
		case "DryRun":
			d.dryRun = decodeBool(&d, name, value)
		case "Wait":
			d.wait = decodeBool(&d, name, value)
		case "Action":
			d.action = decodeString(&d, name, value)
		case "ScalingGroupId":
			d.group = decodeString(&d, name, value)
		case "ClientToken":
			d.token = decodeString(&d, name, value)
		case "RegionId":
			d.region = decodeString(&d, name, value)
		}
	}
	return d
}

func decodeString(d *draft, name string, raw json.RawMessage) param {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		d.invalid(name, "must be a string")
	}
	return param{name: name, value: s}
}

// decodeInstanceIDs takes an array of strings or a single string, and names
// each element as the API does: InstanceId.1, InstanceId.2, ...
func decodeInstanceIDs(d *draft, raw json.RawMessage) []param {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []param{{name: "InstanceId.1", value: one}}
	}
	var many []json.RawMessage
	if json.Unmarshal(raw, &many) != nil {
		d.invalid("InstanceIds", "must be an array of instance IDs or one instance ID")
		return nil
	}
	ids := make([]param, len(many))
	for i, elem := range many {
		ids[i] = param{name: "InstanceId." + strconv.Itoa(i+1)}
		if json.Unmarshal(elem, &ids[i].value) != nil {
			d.invalid(ids[i].name, "must be a string")
		}
	}
	return ids
}

// decodeBool takes a JSON boolean or the strings "true" and "false";
// validate rejects any other string.
func decodeBool(d *draft, name string, raw json.RawMessage) param {
	p := param{name: name}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		p.value = strconv.FormatBool(b)
		return p
	}
	if json.Unmarshal(raw, &p.value) != nil {
		d.invalid(p.name, "must be true or false")
	}
	return p
}
