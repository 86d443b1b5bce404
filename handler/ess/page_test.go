package ess

import (
	"encoding/json"
	"testing"
)

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
