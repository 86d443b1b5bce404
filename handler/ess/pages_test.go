package ess

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"ess-standby/handler/essemu"
	"ess-standby/handler/standby"
)

// A paged read is done once it holds the count its answer gives, or a
// page lists nothing; not before.
func TestPageTallyDone(t *testing.T) {
	tests := []struct {
		tally pageTally
		want  bool
	}{
		{pageTally{total: 2, listed: 2, held: 2}, true},
		{pageTally{total: 2, listed: 1, held: 3}, true},
		{pageTally{total: 0, listed: 0, held: 0}, true},
		{pageTally{total: 5, listed: 0, held: 2}, true}, // an empty page: no more to read
		{pageTally{total: 3, listed: 2, held: 2}, false},
		{pageTally{total: 3, listed: 2, held: 1}, false}, // listed again: held counts each once
	}
	for _, tt := range tests {
		if got := tt.tally.done(); got != tt.want {
			t.Errorf("%+v done = %t; want %t", tt.tally, got, tt.want)
		}
	}
}

// A page without its count or its list says nothing of what is there: the
// count is missed first, then the list, by its name.
func TestPageLacks(t *testing.T) {
	zero := flexInt(0)
	tests := []struct {
		total *flexInt
		given bool
		want  string
	}{
		{&zero, true, ""},
		{&zero, false, "its Instances list"},
		{nil, true, "TotalCount"},
		{nil, false, "TotalCount"},
	}
	for _, tt := range tests {
		if got := pageLacks(tt.total, tt.given, "Instances"); got != tt.want {
			t.Errorf("pageLacks(count given %t, list given %t) = %q; want %q", tt.total != nil, tt.given, got, tt.want)
		}
	}
}

// An instance holds those of the addresses asked it shows, on itself or
// its network interfaces, each once.
func TestHolding(t *testing.T) {
	type ip = struct{ PrivateIpAddress string }
	in := ecsInstance{InstanceId: "i-a"}
	in.VpcAttributes = &struct {
		VpcId            string
		PrivateIpAddress struct{ IpAddress []string }
	}{VpcId: "vpc-a"}
	in.VpcAttributes.PrivateIpAddress.IpAddress = []string{"10.0.0.1", "10.0.0.2"}
	in.NetworkInterfaces.NetworkInterface = append(in.NetworkInterfaces.NetworkInterface, struct {
		PrimaryIpAddress string
		PrivateIpSets    struct{ PrivateIpSet []ip }
	}{PrimaryIpAddress: "10.0.0.1"})
	in.NetworkInterfaces.NetworkInterface[0].PrivateIpSets.PrivateIpSet = []ip{{"10.0.0.3"}, {"10.0.0.4"}}
	tests := []struct {
		asked, want []string
	}{
		{[]string{"10.0.0.1"}, []string{"10.0.0.1"}},
		{[]string{"10.0.0.4", "10.0.0.2"}, []string{"10.0.0.2", "10.0.0.4"}},
		{[]string{"10.0.0.1", "10.0.0.3"}, []string{"10.0.0.1", "10.0.0.3"}},
		{[]string{"10.0.0.9"}, nil},
		{nil, nil},
	}
	for _, tt := range tests {
		if got := in.holding(tt.asked); !slices.Equal(got, tt.want) {
			t.Errorf("holding(%q) = %q; want %q", tt.asked, got, tt.want)
		}
	}
	if got := (ecsInstance{}).holding([]string{"10.0.0.1"}); got != nil {
		t.Errorf("an instance showing no address holds %q", got)
	}
}

// Each paged read stops at maxPages when the answers count more than they
// ever list, and reads nothing from them.
func TestPagedReadsAreBounded(t *testing.T) {
	key := essemu.Key{ID: "STS.NTestAccessKeyId0001", Secret: "test-secret", Token: "test-token"}
	s := standby.Session{Region: essemu.SampleRegion, Credentials: standby.Credentials{AccessKeyID: key.ID, AccessKeySecret: key.Secret, SecurityToken: key.Token}}
	tests := []struct {
		name, action string
		answer       map[string]any
		read         func(*Client) error
		message      string
	}{
		{"InstancesIn", "DescribeScalingInstances",
			map[string]any{"TotalCount": 100000, "ScalingInstances": map[string]any{"ScalingInstance": []any{
				map[string]any{"InstanceId": "i-a", "ScalingGroupId": essemu.WebGroup, "LifecycleState": "InService"}}}},
			func(c *Client) error { _, err := c.InstancesIn(t.Context(), s, essemu.WebGroup, ""); return err },
			"Auto Scaling answered DescribeScalingInstances with more pages than a group holds"},
		{"ScalingGroups", "DescribeScalingGroups",
			map[string]any{"TotalCount": 100000, "ScalingGroups": map[string]any{"ScalingGroup": []any{
				map[string]any{"ScalingGroupId": essemu.WebGroup}}}},
			func(c *Client) error { _, err := c.ScalingGroups(t.Context(), s); return err },
			"Auto Scaling answered DescribeScalingGroups with more pages than a region holds"},
		{"InstancesByPrivateIP", "DescribeInstances",
			map[string]any{"TotalCount": 100000, "Instances": map[string]any{"Instance": []any{
				map[string]any{"InstanceId": "i-a", "VpcAttributes": map[string]any{"VpcId": essemu.SampleVPC,
					"PrivateIpAddress": map[string]any{"IpAddress": []string{"10.0.80.186"}}}}}}},
			func(c *Client) error {
				_, err := c.InstancesByPrivateIP(t.Context(), s, essemu.SampleVPC, []string{"10.0.80.186"})
				return err
			},
			"ECS answered DescribeInstances with more pages than its addresses hold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu := essemu.NewServer([]essemu.Key{key}, essemu.SampleFleet()...)
			defer emu.Close()
			u, err := url.Parse(emu.URL)
			if err != nil {
				t.Fatal(err)
			}
			emu.Inject(essemu.Fault{Action: tt.action, Answer: tt.answer})
			err = tt.read(New(Config{Endpoint: u, ECSEndpoint: u, ECIEndpoint: u}))
			var se *standby.Error
			if !errors.As(err, &se) || se.Code != "ServiceUnavailable" || !strings.HasPrefix(se.Message, tt.message) {
				t.Errorf("err = %v; want ServiceUnavailable, %q", err, tt.message)
			}
			calls := 0
			for _, c := range emu.Calls() {
				if c.Action == tt.action {
					calls++
				}
			}
			if calls != maxPages {
				t.Errorf("%d calls; want %d", calls, maxPages)
			}
		})
	}
}

// The answer's counts may come as numbers or as numbers in strings; the
// SDK's own decoder takes both, so this one does too.
func TestInstancesPageDecodes(t *testing.T) {
	for _, body := range []string{
		`{"TotalCount":2,"PageSize":50,"ScalingInstances":{"ScalingInstance":[{"InstanceId":"i-a","ScalingGroupId":"asg-a","LifecycleState":"InService","LoadBalancerWeight":50},{"InstanceId":"i-b","ScalingGroupId":"asg-a","LifecycleState":"Standby"}]}}`,
		`{"TotalCount":"2","ScalingInstances":{"ScalingInstance":[{"InstanceId":"i-a","ScalingGroupId":"asg-a","LifecycleState":"InService"},{"InstanceId":"i-b","ScalingGroupId":"asg-a","LifecycleState":"Standby"}]}}`,
	} {
		var p instancesPage
		if err := json.Unmarshal([]byte(body), &p); err != nil || p.TotalCount == nil || *p.TotalCount != 2 || len(p.ScalingInstances.ScalingInstance.items) != 2 || p.ScalingInstances.ScalingInstance.items[1].LifecycleState != "Standby" {
			t.Errorf("%s decoded to %+v, %v", body, p, err)
		}
	}
	var p instancesPage
	if err := json.Unmarshal([]byte(`{"TotalCount":"many"}`), &p); err == nil {
		t.Error("a count that is no number was accepted")
	}
	// An answer without the count says nothing of it: not zero.
	p = instancesPage{}
	if err := json.Unmarshal([]byte(`{"ScalingInstances":{"ScalingInstance":[]}}`), &p); err != nil || p.TotalCount != nil {
		t.Errorf("an answer without TotalCount decoded to %v, %v", p.TotalCount, err)
	}
}

// An answer names its list even when empty; one that leaves it out says
// nothing of the instances, and is no answer (issue 26, case 11).
func TestInstancesPageLacks(t *testing.T) {
	for body, want := range map[string]string{
		`{"TotalCount":0,"ScalingInstances":{"ScalingInstance":[]}}`:   "",
		`{"TotalCount":0,"ScalingInstances":{"ScalingInstance":null}}`: "",
		`{"TotalCount":0}`:                            "its ScalingInstances list",
		`{"TotalCount":0,"ScalingInstances":{}}`:      "its ScalingInstances list",
		`{"ScalingInstances":{"ScalingInstance":[]}}`: "TotalCount",
		`{"TotalCount":1,"ScalingInstances":{"ScalingInstance":[{"ScalingGroupId":"asg-a","LifecycleState":"InService"}]}}`: "an instance's InstanceId",
	} {
		var p instancesPage
		if err := json.Unmarshal([]byte(body), &p); err != nil || p.lacks() != want {
			t.Errorf("%s lacks %q, %v; want %q", body, p.lacks(), err, want)
		}
	}
}
