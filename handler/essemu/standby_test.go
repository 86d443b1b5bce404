package essemu

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
)

func TestReadStandby(t *testing.T) {
	valid := func(mutate func(url.Values)) url.Values {
		v := url.Values{"RegionId": {SampleRegion}, "ScalingGroupId": {WebGroup}, "InstanceId.1": {"i-a"}, "InstanceId.2": {"i-b"}}
		mutate(v)
		return v
	}
	tests := []struct {
		name               string
		params             url.Values
		wantCode, wantName string // the refusal, and the parameter it names
	}{
		{"valid", valid(func(url.Values) {}), "", ""},
		{"no region", valid(func(v url.Values) { v.Del("RegionId") }), "MissingParameter", "RegionId"},
		{"no region, no group", valid(func(v url.Values) { v.Del("RegionId"); v.Del("ScalingGroupId") }), "MissingParameter", "RegionId"},
		{"no group", valid(func(v url.Values) { v.Del("ScalingGroupId") }), "MissingParameter", "ScalingGroupId"},
		{"no instance", valid(func(v url.Values) { v.Del("InstanceId.1"); v.Del("InstanceId.2") }), "MissingParameter", "InstanceId"},
		{"an empty ID", valid(func(v url.Values) { v.Set("InstanceId.2", "") }), "InvalidParameter", "InstanceId"},
		{"21 instances", valid(func(v url.Values) {
			for n := 3; n <= 21; n++ {
				v.Set("InstanceId."+strconv.Itoa(n), "i-x")
			}
		}), "InvalidParameter", "InstanceId"},
		{"Async true", valid(func(v url.Values) { v.Set("Async", "true") }), "", ""},
		{"Async false", valid(func(v url.Values) { v.Set("Async", "false") }), "", ""},
		{"Async yes", valid(func(v url.Values) { v.Set("Async", "yes") }), "InvalidParameter", "Async"},
		{"Async yes, no instance", valid(func(v url.Values) { v.Set("Async", "yes"); v.Del("InstanceId.1") }), "MissingParameter", "InstanceId"},
		{"64 characters' token", valid(func(v url.Values) { v.Set("ClientToken", strings.Repeat("t", 64)) }), "", ""},
		{"65 characters' token", valid(func(v url.Values) { v.Set("ClientToken", strings.Repeat("t", 65)) }), "InvalidParameter", "ClientToken"},
		{"a token with a tab", valid(func(v url.Values) { v.Set("ClientToken", "a\tb") }), "InvalidParameter", "ClientToken"},
		{"a token not ASCII", valid(func(v url.Values) { v.Set("ClientToken", "jeton-é") }), "InvalidParameter", "ClientToken"},
		{"Async yes, a bad token", valid(func(v url.Values) { v.Set("Async", "yes"); v.Set("ClientToken", "\x00") }), "InvalidParameter", "Async"},
	}
	for _, tt := range tests {
		req, err := readStandby(tt.params)
		switch {
		case tt.wantCode == "" && err != nil:
			t.Errorf("%s: refused %s %s", tt.name, err.code, err.message)
		case tt.wantCode == "" && (req.region != SampleRegion || req.groupID != WebGroup || len(req.ids) == 0):
			t.Errorf("%s: read %+v", tt.name, req)
		case tt.wantCode != "" && (err == nil || err.code != tt.wantCode || !strings.Contains(err.message, `"`+tt.wantName+`"`)):
			t.Errorf("%s: refused %+v, want %s naming %s", tt.name, err, tt.wantCode, tt.wantName)
		}
	}
}
