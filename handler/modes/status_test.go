//go:build !fcgo1 && !fccustom

package modes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ess-standby/handler/ess"
	"ess-standby/handler/essemu"
	"ess-standby/handler/internal/fctest"
	"ess-standby/handler/settings"
	"ess-standby/handler/standby"
)

// capGroup is a group of four, two of them parked by the function: at
// the cap of MAX_STANDBY=2.
const capGroup = "asg-bp1capcapcapcapcap0"

// operatorFleet is the sample fleet (web's i-…m1e, its lease ended) with,
// in web, a running lease, someone else's Standby and tags that do not add
// up, and capGroup.
func operatorFleet() []essemu.Group {
	at := essemu.SampleTime
	lease := func(source, rule string, since, until time.Time) map[string]string {
		t := map[string]string{"ess-standby:source": source, "ess-standby:since": since.Format(time.RFC3339), "ess-standby:until": until.Format(time.RFC3339)}
		if rule != "" {
			t["ess-standby:rule"] = rule
		}
		return t
	}
	fleet := essemu.SampleFleet()
	fleet[0].Instances = append(fleet[0].Instances,
		essemu.Instance{ID: "i-bp1ecr7go2go9kq3m1g", LifecycleState: essemu.Standby, Tags: lease("http-json", "", at.Add(-2*time.Hour), at.Add(22*time.Hour))},
		essemu.Instance{ID: "i-bp1ecr7go2go9kq3m1h", LifecycleState: essemu.Standby, Tags: map[string]string{"team": "web"}},
		essemu.Instance{ID: "i-bp1ecr7go2go9kq3m1i", LifecycleState: essemu.Standby, Tags: lease("direct", "", at, at.Add(-time.Hour))},
	)
	rule := "eventbridge:ecs:Instance:SystemMaintenance.Reboot"
	return append(fleet, essemu.Group{ID: capGroup, Name: "cap", Region: essemu.SampleRegion, Instances: []essemu.Instance{
		{ID: "i-bp1cap0a", LifecycleState: essemu.InService},
		{ID: "i-bp1cap0b", LifecycleState: essemu.InService},
		{ID: "i-bp1cap0c", LifecycleState: essemu.Standby, Tags: lease(rule, "SystemMaintenance.Reboot/e-bp1aaaaaaaaaaaaaaaaa", at.Add(-time.Hour), at.Add(23*time.Hour+30*time.Minute))},
		{ID: "i-bp1cap0d", LifecycleState: essemu.Standby, Tags: lease(rule, "SystemMaintenance.Reboot/e-bp1aaaaaaaaaaaaaaaaa", at.Add(-time.Hour), at.Add(23*time.Hour+30*time.Minute))},
	}})
}

// operator is an operator's shell over an emulator: the settings the
// environment would give, an AccessKey of their own (no token).
type operator struct {
	emu      *essemu.Server
	settings settings.Settings
	client   *ess.Client
}

func newOperator(t testing.TB, fleet []essemu.Group) *operator {
	t.Helper()
	key := essemu.Key{ID: "LTAI5tOperatorStatus01", Secret: fctest.Secret("operator-status-secret")}
	emu := essemu.NewServer([]essemu.Key{key}, fleet...)
	t.Cleanup(emu.Close)
	u, err := url.Parse(emu.URL)
	if err != nil {
		t.Fatal(err)
	}
	client := ess.New(ess.Config{Endpoint: u, ECSEndpoint: u, ECIEndpoint: u})
	t.Cleanup(client.Close)
	return &operator{emu: emu, client: client, settings: settings.Settings{Standby: standby.Config{
		Credentials: standby.Credentials{AccessKeyID: key.ID, AccessKeySecret: key.Secret},
		Now:         func() time.Time { return essemu.SampleTime },
	}}}
}

// run runs a mode as main would, and returns its exit code and streams.
func (o *operator) run(mode string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code, _ = Run(mode, args, Env{Settings: o.settings, Cloud: o.client.Cloud(), Stdout: &out, Stderr: &errOut})
	if secret := o.settings.Standby.Credentials.AccessKeySecret; secret != "" && strings.Contains(out.String()+errOut.String(), secret) {
		return -1, "printed the secret", ""
	}
	return code, out.String(), errOut.String()
}

// The table over the emulator's fleet: a block per group, its counts and
// the room its guards leave (a group at its cap, one past it), a row per
// Standby instance (a running lease; an ended one; someone else's; tags
// that do not add up), each flagged for a person but the running lease,
// and why. It reads, and changes nothing.
func TestStatusTable(t *testing.T) {
	o := newOperator(t, operatorFleet())
	o.settings.Standby.MinInService = standby.Share{Count: 2}
	o.settings.Standby.MaxStandby = standby.Share{Count: 2}
	code, out, errOut := o.run("status", "--region", "cn-hangzhou")
	want := `Standby in cn-hangzhou at 2026-11-27T04:30:00Z (every group of the region: ALLOWED_SCALING_GROUP_IDS is unset)

asg-bp1capcapcapcapcap0: 2 InService, 2 in Standby, 4 in all
  room to park: 0 (MIN_IN_SERVICE=2 keeps 2 InService: 0; MAX_STANDBY=2 allows 2 in Standby: 0, at its cap)
  INSTANCE    PARKED BY                         SINCE              LEASE        NEEDS A PERSON
  i-bp1cap0c  eventbridge:ecs:Instance:System…  2026-11-27T03:30Z  23h30m left  
  i-bp1cap0d  eventbridge:ecs:Instance:System…  2026-11-27T03:30Z  23h30m left  

asg-bp1fo0dbtsbmqa9h5dl3: 4 InService, 4 in Standby, 9 in all
  room to park: 0 (MIN_IN_SERVICE=2 keeps 2 InService: 2; MAX_STANDBY=2 allows 2 in Standby: 0, at its cap)
  INSTANCE               PARKED BY                      SINCE              LEASE          NEEDS A PERSON
  i-bp1ecr7go2go9kq3m1e  cms-alarm-callback, disk-full  2026-11-26T04:00Z  ended 30m ago  lease ended
  i-bp1ecr7go2go9kq3m1g  http-json                      2026-11-27T02:30Z  22h left       
  i-bp1ecr7go2go9kq3m1h  -                              -                  none           someone else's (no tags)
  i-bp1ecr7go2go9kq3m1i  direct                         2026-11-27T04:30Z  untrue         tags do not add up
  i-bp1ecr7go2go9kq3m1h: in Standby without the function's tags: parked by someone else (or by this function in a process since gone, its tags never written: that invocation logged them untagged at ERROR), and left alone
  i-bp1ecr7go2go9kq3m1i: its lease ends (2026-11-27T03:30:00Z) before it began (2026-11-27T04:30:00Z): trusted neither way, and left alone

asg-bp1ggkk5dvbxmzz2wq0l: 3 InService, 0 in Standby, 3 in all
  room to park: 1 (MIN_IN_SERVICE=2 keeps 2 InService: 1; MAX_STANDBY=2 allows 2 in Standby: 2)
  nothing in Standby

3 need a person. Take one back: ess-standby release --region cn-hangzhou --instance i-… (--force for one the function did not park)
`
	if diff := cmp.Diff(want, out); code != 0 || errOut != "" || diff != "" {
		t.Errorf("exit %d, %s; table (-want +got):\n%s", code, errOut, diff)
	}
	for _, c := range o.emu.Calls() {
		if !strings.HasPrefix(c.Action, "Describe") && c.Action != "ListTagResources" {
			t.Errorf("status called %s", c.Action)
		}
	}
	if in, _ := o.emu.Instance("i-bp1ecr7go2go9kq3m1e"); in.LifecycleState != essemu.Standby || len(o.emu.Tags("i-bp1ecr7go2go9kq3m1e")) != 5 {
		t.Errorf("status changed i-…m1e: %s, %v", in.LifecycleState, o.emu.Tags("i-bp1ecr7go2go9kq3m1e"))
	}
}

// An instance the function parked and could not tag is its own only to
// the process that owes its tags: that process's status says untagged,
// judged from what the tags should say; any other (the command, a new
// process) sees a Standby without tags, someone else's.
func TestStatusTableSaysUntagged(t *testing.T) {
	o := newOperator(t, essemu.SampleFleet())
	o.emu.Inject(essemu.Fault{Action: "TagResources", Status: 403, Code: "NoPermission.Tag", Message: "You are not authorized to tag.", Version: "2014-05-26"})
	svc := standby.New(o.settings.Standby, o.client.Cloud())
	inv := standby.Invocation{RequestID: "r-untagged", Region: essemu.SampleRegion, Credentials: o.settings.Standby.Credentials}
	answers, _ := svc.Run(t.Context(), inv, standby.Request{Action: standby.EnterStandby, InstanceIDs: []string{"i-bp1ecr7go2go9kq3m1a"},
		Reason: standby.Reason{Source: "cms-alarm-callback", Rule: "cpu-high"}})
	if l := answers[0].Instances[0]; l.Result != "EnteredStandby" || l.TagCode != "NoPermission.Tag" {
		t.Fatalf("the parking answered %+v", l)
	}
	st, _, err := svc.Status(t.Context(), inv, standby.Request{ScalingGroupID: essemu.WebGroup})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	writeStatus(&out, st, "--group")
	row := `(?m)^  i-bp1ecr7go2go9kq3m1a  cms-alarm-callback, cpu-high +2026-11-27T04:30Z  1d left +untagged$`
	if !matches(row, out.String()) || !strings.Contains(out.String(), "i-bp1ecr7go2go9kq3m1a: parked by this function, whose tags ECS has not confirmed (NoPermission.Tag)") {
		t.Errorf("the process that parked it says:\n%s", out.String())
	}
	_, cmdOut, _ := o.run("status", "--region", "cn-hangzhou", "--group", essemu.WebGroup)
	if !matches(`(?m)^  i-bp1ecr7go2go9kq3m1a  -  +-  +none  +someone else's \(no tags\)$`, cmdOut) {
		t.Errorf("the command says:\n%s", cmdOut)
	}
}

// --output json is Status itself, for a script: every group and line,
// the bounds, the Attention flags, and nothing else on stdout.
func TestStatusJSON(t *testing.T) {
	o := newOperator(t, operatorFleet())
	o.settings.Standby.MaxStandby = standby.Share{Count: 2}
	o.settings.Standby.AllowedGroups = []string{capGroup, essemu.WebGroup}
	code, out, errOut := o.run("status", "--region", "cn-hangzhou", "--output", "json")
	var st standby.Status
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); code != 0 || errOut != "" || err != nil || dec.More() {
		t.Fatalf("exit %d, %s, %v; stdout:\n%s", code, errOut, err, out)
	}
	attention := map[string]bool{}
	for _, g := range st.Groups {
		for _, l := range g.Instances {
			attention[l.InstanceID+" "+l.Result] = l.Attention
		}
	}
	want := map[string]bool{"i-bp1cap0c Leased": false, "i-bp1cap0d Leased": false, "i-bp1ecr7go2go9kq3m1e LeaseEnded": true,
		"i-bp1ecr7go2go9kq3m1g Leased": false, "i-bp1ecr7go2go9kq3m1h NotParked": true, "i-bp1ecr7go2go9kq3m1i LeaseInvalid": true}
	if diff := cmp.Diff(want, attention); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	if len(st.Groups) != 2 || st.Groups[0].ScalingGroupID != capGroup || st.Groups[0].MinInService != nil ||
		!cmp.Equal(st.Groups[0].MaxStandby, &standby.Bound{Setting: "2", Count: 2, Room: 0}) || st.Groups[1].Total != 9 || !st.At.Equal(essemu.SampleTime) {
		t.Errorf("groups %+v", st.Groups)
	}
	if !strings.Contains(out, `"Until": "2026-11-27T04:00:00Z"`) || !strings.Contains(out, `"Rule": "disk-full"`) {
		t.Errorf("the ended lease's tags are not said:\n%s", out)
	}
}

// A group that cannot be read says so, the others are shown, and status
// fails; so does a region it cannot list.
func TestStatusFailsClearly(t *testing.T) {
	o := newOperator(t, operatorFleet())
	o.emu.Inject(essemu.Fault{Action: "DescribeScalingInstances", Group: capGroup, Status: 403, Code: "Forbidden.RAM", Message: "User not authorized to operate on the specified resource."})
	code, out, errOut := o.run("status", "--region", "cn-hangzhou")
	if code != 1 || !strings.Contains(out, capGroup+": not read: ") || !strings.Contains(out, "i-bp1ecr7go2go9kq3m1e") || !strings.Contains(errOut, "a group could not be read") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	o.emu.ClearFaults()
	o.emu.Inject(essemu.Fault{Action: "DescribeScalingGroups", Status: 403, Code: "Forbidden.RAM", Message: "User not authorized to operate on the specified resource."})
	if code, out, errOut := o.run("status", "--region", "cn-hangzhou"); code != 1 || out != "" || !strings.HasPrefix(errOut, "ess-standby status: ") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// What the command line gets wrong exits 2, every problem named at once,
// before any call.
func TestOperatorModesUsage(t *testing.T) {
	tests := []struct {
		name  string
		creds bool
		args  []string
		want  []string
	}{
		{"status without a region or credentials", false, []string{"status"}, []string{"--region: name the region", "set ALIBABA_CLOUD_ACCESS_KEY_ID"}},
		{"status with an argument and a bad output", true, []string{"status", "--region", "cn-hangzhou", "--output", "yaml", "extra"}, []string{`given "extra"`, `--output: "yaml" is neither table nor json`}},
		{"status of no group", true, []string{"status", "--region", "cn-hangzhou", "--group", "web"}, []string{`--group: "web" is not a scaling group ID`}},
		{"status --emulator elsewhere", false, []string{"status", "--emulator", "--region", "cn-beijing"}, []string{"the sample fleet is in cn-hangzhou, not cn-beijing"}},
		{"release of nothing", true, []string{"release", "--region", "cn-hangzhou"}, []string{"name the instances to take back: --instance"}},
		{"release of no instance", true, []string{"release", "--region", "cn-hangzhou", "--instance", "i-ok1,web-1"}, []string{`--instance: "web-1" is not an instance ID`}},
		{"release without credentials", false, []string{"release", "--region", "cn-hangzhou", "--instance", "i-ok1"}, []string{"deploy/operator-policy.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOperator(t, essemu.SampleFleet())
			if !tt.creds {
				o.settings.Standby.Credentials = standby.Credentials{}
			}
			code, out, errOut := o.run(tt.args[0], tt.args[1:]...)
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q: %s", w, errOut)
				}
			}
			if code != 2 || out != "" || len(o.emu.Calls()) != 0 {
				t.Errorf("exit %d, %d calls, stdout %q", code, len(o.emu.Calls()), out)
			}
		})
	}
}

// --emulator shows the sample fleet's parked instance to a user with no
// account: its lease ended half an hour before the samples' time.
func TestStatusOnTheEmulator(t *testing.T) {
	var out, errOut bytes.Buffer
	code, _ := Run("status", []string{"--emulator"}, Env{Stdout: &out, Stderr: &errOut})
	if !matches(`(?m)^  i-bp1ecr7go2go9kq3m1e  cms-alarm-callback, disk-full  2026-11-26T04:00Z  ended 30m ago  lease ended$`, out.String()) ||
		!strings.Contains(out.String(), "the calls it received: DescribeScalingGroups ×1, DescribeScalingInstances ×6, ListTagResources ×1") || code != 0 {
		t.Errorf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
}

// A group of 1,000 instances, 300 of them in Standby, through the SDK:
// the Standby list in pages of 50, two counts, the tags of 50 instances a
// call (ECS pages its answer, 50 tags a page), one group listed.
func TestStatusOfAThousandIsBounded(t *testing.T) {
	o := newOperator(t, thousand())
	o.settings.Standby.MaxStandby = standby.Share{Percent: 25}
	code, out, errOut := o.run("status", "--region", "cn-hangzhou", "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var st standby.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil || len(st.Groups[0].Instances) != 300 {
		t.Fatalf("%v, %+v", err, st.Groups)
	}
	calls := map[string]int{}
	for _, c := range o.emu.Calls() {
		calls[c.Action]++
	}
	// 300 instances of 4 tags: 6 calls of 50 instances, 200 tags, 4 pages each.
	if want := map[string]int{"DescribeScalingGroups": 1, "DescribeScalingInstances": 2 + 300/50, "ListTagResources": 6 * 4}; !cmp.Equal(calls, want) {
		t.Errorf("calls %v, want %v", calls, want)
	}
}

// thousand is one group of 1,000 instances, 300 in Standby: a third of
// them with a running lease, a third ended, a third someone else's (a tag
// of their own).
func thousand() []essemu.Group {
	g := essemu.Group{ID: "asg-bp1big0000000000000", Name: "big", Region: essemu.SampleRegion}
	at := essemu.SampleTime
	for i := range 1000 {
		in := essemu.Instance{ID: fmt.Sprintf("i-bp1big%05d", i), LifecycleState: essemu.InService}
		if i < 300 {
			in.LifecycleState = essemu.Standby
			until := at.Add(time.Hour)
			if i%3 == 1 {
				until = at.Add(-time.Hour)
			}
			in.Tags = map[string]string{"ess-standby:source": "cms-alarm-callback", "ess-standby:rule": "cpu-high",
				"ess-standby:since": until.Add(-24 * time.Hour).Format(time.RFC3339), "ess-standby:until": until.Format(time.RFC3339)}
			if i%3 == 2 {
				in.Tags = map[string]string{"a": "1", "b": "2", "c": "3", "d": "4"}
			}
		}
		g.Instances = append(g.Instances, in)
	}
	return []essemu.Group{g}
}

// BenchmarkStatusOfAThousand runs status over thousand through the SDK
// and the emulator, reporting the calls of a run; -benchmem's figures
// hold the emulator's own work too, in the same process.
func BenchmarkStatusOfAThousand(b *testing.B) {
	o := newOperator(b, thousand())
	o.settings.Standby.MaxStandby = standby.Share{Percent: 25}
	b.ReportAllocs()
	for b.Loop() {
		o.emu.Reset()
		if code, _, errOut := o.run("status", "--region", "cn-hangzhou", "--output", "json"); code != 0 {
			b.Fatal(errOut)
		}
	}
	b.ReportMetric(float64(len(o.emu.Calls())), "calls/op")
}

func matches(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
