package deploytest_test

import (
	"bytes"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"ess-standby/handler/ess"
	"ess-standby/handler/essemu"
	"ess-standby/handler/modes"
	"ess-standby/handler/settings"
	"ess-standby/handler/standby"
)

// The operator's policy is one of deploy/'s, whose actions
// docs/permissions.md's table must hold (TestPermissionTableIsThePolicies).
func init() { policyFiles["operator"] = "operator-policy.json" }

// productOf names the RAM product of an API version the emulator serves:
// ECI's tag actions have ECS's names, and only their version tells them.
var productOf = map[string]string{"2014-08-28": "ess", "2014-05-26": "ecs", "2018-08-08": "eci"}

// operatorCalls runs status and release, as an operator would, in every
// way that calls something more (every group of a region or one; an ECS
// and an elastic container instance taken back; a dry run; --force; WAIT)
// against the emulator with the real SDK, and returns the RAM actions of
// the calls it received: status's alone, and the two commands'.
func operatorRuns(t *testing.T) (status, both []string) {
	t.Helper()
	key := essemu.Key{ID: "LTAI5tOperatorPolicy01", Secret: "operator-policy-secret"}
	at := essemu.SampleTime
	parked := map[string]string{"ess-standby:source": "cms-alarm-callback", "ess-standby:rule": "cpu-high",
		"ess-standby:since": at.Add(-time.Hour).Format(time.RFC3339), "ess-standby:until": at.Add(time.Hour).Format(time.RFC3339)}
	fleet := essemu.SampleFleet()
	fleet[1].Instances = append(fleet[1].Instances,
		essemu.Instance{ID: "eci-bp1hh2ka9xr7wq4t5n0d", LifecycleState: essemu.Standby, Tags: parked},
		essemu.Instance{ID: "i-bp1hh2ka9xr7wq4t5n0e", LifecycleState: essemu.Standby, Tags: map[string]string{"team": "api"}})
	emu := essemu.NewServer([]essemu.Key{key}, fleet...)
	defer emu.Close()
	u, err := url.Parse(emu.URL)
	if err != nil {
		t.Fatal(err)
	}
	client := ess.New(ess.Config{Endpoint: u, ECSEndpoint: u, ECIEndpoint: u})
	defer client.Close()
	cfg := standby.Config{Region: essemu.SampleRegion, Credentials: standby.Credentials{AccessKeyID: key.ID, AccessKeySecret: key.Secret},
		Now: func() time.Time { return at }, MinInService: standby.Share{Count: 1}, MaxStandby: standby.Share{Percent: 50}}
	actions := func() []string {
		var out []string
		for _, c := range emu.Calls() {
			out = append(out, productOf[c.Version]+":"+c.Action)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	runs := []struct {
		args []string
		wait bool
		code int
	}{
		{[]string{"status"}, false, 0},
		{[]string{"status", "--group", essemu.APIGroup, "--output", "json"}, false, 0},
		{[]string{"release", "--instance", "i-bp1hh2ka9xr7wq4t5n0e", "--dry-run", "--force"}, false, 0},
		{[]string{"release", "--instance", "i-bp1hh2ka9xr7wq4t5n0e,eci-bp1hh2ka9xr7wq4t5n0d"}, false, 1},
		{[]string{"release", "--instance", "i-bp1ecr7go2go9kq3m1e"}, true, 0},
		{[]string{"release", "--instance", "i-bp1hh2ka9xr7wq4t5n0e", "--force"}, false, 0},
	}
	for i, r := range runs {
		if i == 2 {
			status = actions()
		}
		c := cfg
		c.Wait = r.wait
		var out, errOut bytes.Buffer
		code, _ := modes.Run(r.args[0], r.args[1:], modes.Env{Settings: settings.Settings{Standby: c}, Cloud: client.Cloud(), Drill: client, Stdout: &out, Stderr: &errOut})
		if code != r.code {
			t.Fatalf("%v: exit %d, want %d\n%s%s", r.args, code, r.code, out.String(), errOut.String())
		}
	}
	if in, _ := emu.Instance("eci-bp1hh2ka9xr7wq4t5n0d"); in.LifecycleState != essemu.InService {
		t.Fatalf("the elastic container instance is %s: the runs did not take it back", in.LifecycleState)
	}
	return status, actions()
}

// The operator's policy grants exactly what status and release call, and
// its reads are what status needs alone, so that its first statement is a
// read-only operator's whole policy. What changes state is scoped as the
// function's role scopes it: the exit to the groups, the removal of tags
// to the region's instances and container groups. Nothing in it parks.
func TestOperatorPolicyIsTheCommandsCalls(t *testing.T) {
	p := loadPolicy(t, "../../../deploy/operator-policy.json")
	g := grants(p)
	status, both := operatorRuns(t)
	granted := slices.Sorted(maps.Keys(g))
	if !slices.Equal(granted, both) {
		t.Errorf("the operator's policy grants %v; status and release call %v", granted, both)
	}
	reads := list(p.Statement[0].Action)
	slices.Sort(reads)
	for _, a := range status {
		if !slices.Contains(reads, a) {
			t.Errorf("status calls %s, which the policy's first statement, the reads, does not grant", a)
		}
	}
	for _, a := range reads {
		if _, name, _ := strings.Cut(a, ":"); !strings.HasPrefix(name, "Describe") && !strings.HasPrefix(name, "List") {
			t.Errorf("the reads grant %s, which is no read", a)
		}
	}
	scoped := map[string]string{
		"ess:ExitStandby":    "acs:ess:<region>:<account-id>:scalinggroup/<scaling-group-id>",
		"ecs:UntagResources": "acs:ecs:<region>:<account-id>:instance/*",
		"eci:UntagResources": "acs:eci:<region>:<account-id>:containergroup/*",
	}
	for a, resources := range g {
		want, ok := scoped[a]
		if !ok && !slices.Contains(reads, a) {
			t.Errorf("%s is granted, and is neither a read nor scoped", a)
		}
		if ok && !slices.Equal(resources, []string{want}) {
			t.Errorf("%s is granted on %v; scope it to %s", a, resources, want)
		}
	}
}
