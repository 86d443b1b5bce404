package essemu

import "time"

// The sample fleet: the groups and instances that the files in events/ name.
// Local mode and the tests seed the emulator with it.
const (
	SampleRegion = "cn-hangzhou"
	WebGroup     = "asg-bp1fo0dbtsbmqa9h5dl3"
	APIGroup     = "asg-bp1ggkk5dvbxmzz2wq0l"
)

// SampleTime is when the samples in events/ were sent: each is dated within
// the hour before it (the one meant to be stale, earlier). Tests and local
// mode measure events' ages at this time.
var SampleTime = time.Date(2026, 11, 27, 4, 30, 0, 0, time.UTC)

func SampleFleet() []Group {
	return []Group{
		{ID: WebGroup, Name: "web", Region: SampleRegion, Instances: []Instance{
			{ID: "i-bp1ecr7go2go9kq3m1a", LifecycleState: InService},
			{ID: "i-bp1ecr7go2go9kq3m1b", LifecycleState: InService},
			{ID: "i-bp1ecr7go2go9kq3m1c", LifecycleState: InService},
			{ID: "i-bp1ecr7go2go9kq3m1d", LifecycleState: InService},
			// Parked by an alarm a day before the samples, its lease over.
			{ID: "i-bp1ecr7go2go9kq3m1e", LifecycleState: Standby, Tags: map[string]string{
				"ess-standby:source": "cms-alarm-callback", "ess-standby:rule": "disk-full", "ess-standby:event": "cms:5d0f1c2a-7a41-4c1e-9d1b-6c1f0e2a3b4c",
				"ess-standby:since": "2026-11-26T04:00:00Z", "ess-standby:until": "2026-11-27T04:00:00Z"}},
			{ID: "i-bp1ecr7go2go9kq3m1f", LifecycleState: Pending},
		}},
		{ID: APIGroup, Name: "api", Region: SampleRegion, Instances: []Instance{
			{ID: "i-bp1hh2ka9xr7wq4t5n0a", LifecycleState: InService},
			{ID: "i-bp1hh2ka9xr7wq4t5n0b", LifecycleState: InService},
			{ID: "eci-bp1hh2ka9xr7wq4t5n0c", LifecycleState: InService},
		}},
	}
}
