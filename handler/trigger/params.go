package trigger

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"ess-standby/handler/standby"
)

// maxParams bounds a form or a query string: InstanceId.1 to .1000 and the
// others. More are refused before any is parsed.
const maxParams = standby.MaxNamed + 100

// ParseQuery parses a query string or a form body, counting its parameters
// first: a hostile one of a million costs nothing but the count.
func ParseQuery(s string) (url.Values, error) {
	if n := strings.Count(s, "&") + 1; n > maxParams {
		return nil, fmt.Errorf("%d parameters, more than %d", n, maxParams)
	}
	return url.ParseQuery(s)
}

// readParams reads API-style parameters, as a form body or a query string
// carries them: ScalingGroupId, InstanceId.1, InstanceId.2, ..., ClientToken,
// Async, RegionId (lower-camel aliases too). Unknown parameters are refused.
func readParams(values url.Values) standby.Draft {
	var d standby.Draft
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	type numbered struct {
		n int
		p standby.Param
	}
	var instances []numbered
	for _, key := range keys {
		if len(values[key]) != 1 {
			d.Problems.Invalid(standby.Quote(key), "given %d times", len(values[key]))
			continue
		}
		value := values[key][0]
		if n, ok := instanceIndex(key); ok {
			if n < 1 {
				d.Problems.Invalid(standby.Quote(key), "N in InstanceId.N counts from 1")
				continue
			}
			instances = append(instances, numbered{n, standby.Param{Name: "InstanceId." + strconv.Itoa(n), Value: value}})
			continue
		}
		name, ok := apiName[key]
		if !ok {
			d.Problems.Invalid(standby.Quote(key), "unknown parameter")
			continue
		}
		p := standby.Param{Name: name, Value: value}
		if name == "InstanceId" {
			instances = append(instances, numbered{0, p})
		} else {
			*field(&d, name) = p
		}
	}
	slices.SortStableFunc(instances, func(a, b numbered) int { return cmp.Compare(a.n, b.n) })
	for i, in := range instances {
		if i > 0 && in.n == instances[i-1].n {
			d.Problems.Invalid(in.p.Name, "given twice")
			continue
		}
		d.AddInstance(in.p.Name, in.p.Value)
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
