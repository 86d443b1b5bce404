//go:build !fcgo1 && !fccustom

package modes

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"ess-standby/handler/essemu"
	"ess-standby/handler/standby"
)

const (
	ended   = "i-bp1ecr7go2go9kq3m1e" // the sample's: parked by disk-full's alarm, its lease over
	leased  = "i-bp1ecr7go2go9kq3m1g" // parked by the function, its lease running
	theirs  = "i-bp1ecr7go2go9kq3m1h" // in Standby with no tag of the function's
	serving = "i-bp1ecr7go2go9kq3m1a" // InService
)

// ourTags is what of an instance's tags the function wrote.
func (o *operator) ourTags(id string) map[string]string {
	out := map[string]string{}
	for k, v := range o.emu.Tags(id) {
		if strings.HasPrefix(k, standby.TagPrefix) {
			out[k] = v
		}
	}
	return out
}

func (o *operator) state(id string) string {
	in, _ := o.emu.Instance(id)
	return in.LifecycleState
}

func (o *operator) actions() []string {
	var out []string
	for _, c := range o.emu.Calls() {
		out = append(out, c.Action)
	}
	return out
}

// release takes back what the function parked through its own core: the
// instance leaves Standby by one ExitStandby, its tags removed; an
// instance already InService is left as it is. Someone else's Standby is
// refused, said so with --force named, and left with its tags; --force
// takes it back, its own tags kept. Each exits as the other modes do.
func TestRelease(t *testing.T) {
	tests := []struct {
		name      string
		settings  func(*standby.Config)
		args      []string
		code      int
		rows      []string // regular expressions, each a row of the table
		inService []string
		inStandby []string
		calls     []string // the calls that change something, in order
	}{
		{"the function's", nil, []string{"--instance", ended + "," + leased, "--instance", serving}, 0,
			[]string{ended + `  asg-bp1fo0dbtsbmqa9h5dl3  Standby +ExitedStandby  by asa-\w+; its ess-standby:\* tags removed`,
				serving + `  asg-bp1fo0dbtsbmqa9h5dl3  InService +Skipped +already InService`},
			[]string{ended, leased, serving}, nil, []string{"ExitStandby", "UntagResources"}},
		{"someone else's, refused", nil, []string{"--instance", theirs, "--instance", ended}, 1,
			[]string{theirs + `  asg-bp1fo0dbtsbmqa9h5dl3  Standby +Refused +in Standby without the function's tags .* \(--force\)$`},
			[]string{ended}, []string{theirs}, []string{"ExitStandby", "UntagResources"}},
		{"someone else's, forced", nil, []string{"--instance", theirs, "--force"}, 0,
			[]string{theirs + `  asg-bp1fo0dbtsbmqa9h5dl3  Standby +ExitedStandby`},
			[]string{theirs}, nil, []string{"ExitStandby", "UntagResources"}},
		{"dry run", nil, []string{"--instance", ended + "," + theirs, "--dry-run"}, 1,
			[]string{`^dry run: nothing is changed$`, ended + `  asg-bp1fo0dbtsbmqa9h5dl3  Standby +Planned +would leave Standby, its tags removed`,
				theirs + `  .* +Refused `, `^would call ExitStandby on asg-bp1fo0dbtsbmqa9h5dl3 for ` + ended + ` \(ClientToken ess-standby-\w+\), then remove their ess-standby:\* tags$`},
			nil, []string{ended, theirs}, nil},
		{"DRY_RUN, forced", func(c *standby.Config) { c.DryRun = true }, []string{"--instance", theirs, "--force"}, 0,
			[]string{theirs + `  .* +Planned `}, nil, []string{theirs}, nil},
		{"a group not allowed", func(c *standby.Config) { c.AllowedGroups = []string{essemu.APIGroup} }, []string{"--instance", ended}, 1,
			[]string{ended + `  asg-bp1fo0dbtsbmqa9h5dl3  Standby +Refused +scaling group asg-bp1fo0dbtsbmqa9h5dl3 is not in ALLOWED_SCALING_GROUP_IDS \(Forbidden.ScalingGroupNotAllowed\)`},
			nil, []string{ended}, nil},
		{"in no group", nil, []string{"--instance", "i-bp1nowhere"}, 1,
			[]string{`i-bp1nowhere  -  +-  +Refused +in no scaling group of region cn-hangzhou \(InvalidInstanceId.NotFound\)`}, nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOperator(t, operatorFleet())
			if tt.settings != nil {
				tt.settings(&o.settings.Standby)
			}
			theirTags := o.emu.Tags(theirs)
			code, out, errOut := o.run("release", append([]string{"--region", "cn-hangzhou"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.code, out, errOut)
			}
			for _, row := range tt.rows {
				if !matches(`(?m)`+row, out) {
					t.Errorf("no row %s in\n%s", row, out)
				}
			}
			for _, id := range tt.inService {
				if o.state(id) != essemu.InService || len(o.ourTags(id)) != 0 {
					t.Errorf("%s is %s with %v; want InService without the function's tags", id, o.state(id), o.ourTags(id))
				}
			}
			for _, id := range tt.inStandby {
				if o.state(id) != essemu.Standby {
					t.Errorf("%s is %s; want it left in Standby", id, o.state(id))
				}
			}
			if id := ended; slices.Contains(tt.inStandby, id) && len(o.ourTags(id)) != 5 {
				t.Errorf("%s was left in Standby without its tags: %v", id, o.ourTags(id))
			}
			if got := o.emu.Tags(theirs)["team"]; got != theirTags["team"] {
				t.Errorf("someone else's own tag is %q, was %q", got, theirTags["team"])
			}
			changes := slices.DeleteFunc(o.actions(), func(a string) bool { return strings.HasPrefix(a, "Describe") || a == "ListTagResources" })
			if tt.calls != nil && !slices.Equal(changes, tt.calls) {
				t.Errorf("calls that change something %v, want %v", changes, tt.calls)
			}
			if tt.calls == nil && len(o.emu.Activities()) != 0 {
				t.Errorf("activities %v, want none", o.emu.Activities())
			}
		})
	}
}

// The same release again: nothing left to do, nothing started, and done.
// --output json is the core's answer, a line per instance.
func TestReleaseAgainAndJSON(t *testing.T) {
	o := newOperator(t, operatorFleet())
	if code, out, errOut := o.run("release", "--region", "cn-hangzhou", "--instance", ended); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := o.run("release", "--region", "cn-hangzhou", "--instance", ended); code != 0 || !matches(`(?m)^`+ended+`  .* InService +Skipped +already InService$`, out) {
		t.Errorf("again: exit %d\n%s%s", code, out, errOut)
	}
	// The core asks Auto Scaling whether an instance found where it is
	// going was moved by an earlier call of the same token (a replay); this
	// one was not, and Auto Scaling starts nothing.
	if n := len(o.emu.Activities()); n != 1 {
		t.Errorf("%d activities for the same release twice, want 1: %v", n, o.actions())
	}
	code, out, errOut := o.run("release", "--region", "cn-hangzhou", "--instance", ended, "--instance", theirs, "--output", "json")
	var res standby.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 || errOut != "" {
		t.Fatalf("exit %d, %v\n%s%s", code, err, out, errOut)
	}
	if len(res.Instances) != 2 || res.Instances[0].InstanceID != ended || res.Instances[0].Result != "Skipped" || res.Instances[1].Code != standby.NotParkedCode {
		t.Errorf("lines %+v", res.Instances)
	}
}

// A release waits for its tags to be removed, as long as its timeout: it
// exits with the answer, and a removal left to a process that is gone
// would never be made. One that fails is said, and fails the release.
func TestReleaseSaysTagsLeft(t *testing.T) {
	o := newOperator(t, operatorFleet())
	o.emu.Inject(essemu.Fault{Action: "UntagResources", Status: 403, Code: "NoPermission.Tag", Message: "You are not authorized to untag.", Version: "2014-05-26"})
	code, out, _ := o.run("release", "--region", "cn-hangzhou", "--instance", ended)
	if code != 1 || o.state(ended) != essemu.InService || len(o.ourTags(ended)) != 5 ||
		!matches(`(?m)^`+ended+`  .* ExitedStandby  ExitedStandby, but its tags \(ess-standby:\*\) were not written: .* \(NoPermission.Tag\)$`, out) {
		t.Errorf("exit %d, %s with %v\n%s", code, o.state(ended), o.ourTags(ended), out)
	}
}
