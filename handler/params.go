package handler

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// decodeParams reads API-style parameters, as a form body or a query string
// carries them: ScalingGroupId, InstanceId.1, InstanceId.2, ..., ClientToken,
// Async, RegionId (lower-camel aliases too). Unknown parameters are rejected.
func decodeParams(values url.Values) draft {
	var d draft
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	type numbered struct {
		n int
		p param
	}
	var instances []numbered
	for _, key := range keys {
		if len(values[key]) != 1 {
			d.invalid(key, "given %d times", len(values[key]))
			continue
		}
		value := values[key][0]
		if n, ok := instanceIndex(key); ok {
			if n < 1 {
				d.invalid(key, "N in InstanceId.N counts from 1")
				continue
			}
			instances = append(instances, numbered{n, param{name: "InstanceId." + strconv.Itoa(n), value: value}})
			continue
		}
		name, ok := apiName[key]
		if !ok {
			d.invalid(strconv.Quote(key), "unknown parameter")
			continue
		}
		p := param{name: name, value: value}
		switch name {
		case "ScalingGroupId":
			d.group = p
		case "InstanceId":
			instances = append(instances, numbered{0, param{name: key, value: value}})
		case "ClientToken":
			d.token = p
		case "Async":
			d.async = p
		case "RegionId":
			d.region = p
		case "DryRun":
			d.dryRun = p
		case "Wait":
			d.wait = p
		case "Action":
			d.action = p
		}
	}
	slices.SortStableFunc(instances, func(a, b numbered) int { return cmp.Compare(a.n, b.n) })
	for i, in := range instances {
		if i > 0 && in.n == instances[i-1].n {
			d.invalid(in.p.name, "given twice")
			continue
		}
		d.instances = append(d.instances, in.p)
	}
	return d
}

// instanceIndex recognises InstanceId.N (or instanceId.N) and returns N,
// or -1 when N is not a number.
func instanceIndex(key string) (int, bool) {
	rest, ok := strings.CutPrefix(key, "InstanceId.")
	if !ok {
		rest, ok = strings.CutPrefix(key, "instanceId.")
	}
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil {
		return -1, true
	}
	return n, true
}
