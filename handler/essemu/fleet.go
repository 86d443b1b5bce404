package essemu

import "time"

// The sample fleet: the groups and instances that the files in events/ name.
// Local mode and the tests seed the emulator with it. Both groups are in
// one VPC, each instance at its private IP there: web's first at
// 10.0.80.186, the address of ARMS's documented alert.
const (
	SampleRegion = "cn-hangzhou"
	SampleVPC    = "vpc-bp15zckdt37pq72zvw3ad"
	WebGroup     = "asg-bp1fo0dbtsbmqa9h5dl3"
	APIGroup     = "asg-bp1ggkk5dvbxmzz2wq0l"
)

// SampleTime is when the samples in events/ were sent: each is dated within
// the hour before it (the one meant to be stale, earlier). Tests and local
// mode measure events' ages at this time.
var SampleTime = time.Date(2026, 11, 27, 4, 30, 0, 0, time.UTC)

func SampleFleet() []Group {
	return []Group{
		{ID: WebGroup, Name: "web", Region: SampleRegion, VpcID: SampleVPC, Instances: []Instance{
			{ID: "i-bp1ecr7go2go9kq3m1a", LifecycleState: InService, PrivateIP: "10.0.80.186"},
			{ID: "i-bp1ecr7go2go9kq3m1b", LifecycleState: InService, PrivateIP: "10.0.80.187"},
			{ID: "i-bp1ecr7go2go9kq3m1c", LifecycleState: InService, PrivateIP: "10.0.80.188"},
			{ID: "i-bp1ecr7go2go9kq3m1d", LifecycleState: InService, PrivateIP: "10.0.80.189"},
			// Parked by an alarm a day before the samples, its lease over.
			{ID: "i-bp1ecr7go2go9kq3m1e", LifecycleState: Standby, PrivateIP: "10.0.80.190", Tags: map[string]string{
				"ess-standby:source": "cms-alarm-callback", "ess-standby:rule": "disk-full", "ess-standby:event": "cms:5d0f1c2a-7a41-4c1e-9d1b-6c1f0e2a3b4c",
				"ess-standby:since": "2026-11-26T04:00:00Z", "ess-standby:until": "2026-11-27T04:00:00Z"}},
			{ID: "i-bp1ecr7go2go9kq3m1f", LifecycleState: Pending, PrivateIP: "10.0.80.191"},
		}},
		{ID: APIGroup, Name: "api", Region: SampleRegion, VpcID: SampleVPC, Instances: []Instance{
			{ID: "i-bp1hh2ka9xr7wq4t5n0a", LifecycleState: InService, PrivateIP: "10.0.81.20"},
			{ID: "i-bp1hh2ka9xr7wq4t5n0b", LifecycleState: InService, PrivateIP: "10.0.81.21"},
			{ID: "eci-bp1hh2ka9xr7wq4t5n0c", LifecycleState: InService, PrivateIP: "10.0.81.22"},
		}},
	}
}
