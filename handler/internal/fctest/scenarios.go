package fctest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"ess-standby/handler/essemu"
	"ess-standby/handler/internal/samples"
)

// Scenarios run the built binary in rt through what both runtimes must do
// alike: every sample, the failures of a call, and the storms. Each is its
// own subtest, on its own process. The runtime's own suite (handler/fcgo,
// handler/fcserver) runs them, beside what only its runtime does.
func Scenarios(t *testing.T, binary string, rt Runtime) {
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) { s.run(t, binary, rt) })
	}
}

var scenarios = []struct {
	name string
	run  func(t *testing.T, binary string, rt Runtime)
}{
	{"EverySample", everySample},
	{"Failures", failures},
	{"ARetryFinishesAStorm", retryFinishesAStorm},
	{"OneEventDoesNotBlockABatch", oneEventDoesNotBlockABatch},
	{"MinInServiceHolds", minInServiceHolds},
	{"ConcurrentRedeliveriesStartOneActivity", concurrentRedeliveries},
	{"ConcurrentDuplicatesAnswerSuccess", concurrentDuplicates},
	{"ParkSaysWhyAndTheWayBackClears", parkAndTakeBack},
	{"SweepPastALease", sweepPastALease},
	{"ExitOnOKTakesBackOnlyWhatItsRuleParked", exitOnOK},
	{"TheCapHoldsUnderConcurrentAlarms", capHolds},
	{"EveryLogLineNamesTheBuild", everyLineNamesTheBuild},
	{"NotifiesWhatItDid", notifiesWhatItDid},
}

// everySample: the built binary answers every file in events/ as package
// samples says, with exactly the expected calls, signed with the
// invocation's STS credentials, and one log line each.
func everySample(t *testing.T, binary string, rt Runtime) {
	f := Start(t, binary, rt, nil)
	var ids []string
	for _, sample := range samples.All(t) {
		t.Run(sample.Name, func(t *testing.T) {
			f.Emu.Reset()
			id := "e2e-" + strings.TrimSuffix(sample.Name, ".json")
			ids = append(ids, id)
			for _, diff := range sample.Expect.Check(f.Invoke(t, Invocation{RequestID: id, Payload: sample.Payload}, Key), f.Emu, Key) {
				t.Error(diff)
			}
		})
	}
	f.Stop(t)
	checkInvocations(t, f, ids)
}

// failures: what the role, RAM and Auto Scaling may answer, each with its
// code and the calls it costs.
func failures(t *testing.T, binary string, rt Runtime) {
	f := Start(t, binary, rt, nil)
	payload := []byte(`{"ScalingGroupId":"asg-bp1fo0dbtsbmqa9h5dl3","InstanceIds":["i-bp1ecr7go2go9kq3m1a"]}`)
	tests := []struct {
		name      string
		creds     essemu.Key
		inject    func()
		wantCode  string // empty: the invocation succeeds
		wantCalls int
	}{
		{"no role attached", essemu.Key{}, nil, "MissingCredentials", 0},
		{"wrong secret", essemu.Key{ID: Key.ID, Secret: "not-the-secret", Token: Key.Token}, nil, "SignatureDoesNotMatch", 1},
		{"RAM says no: final, never retried", Key, func() { f.Emu.Fail("EnterStandby", 1, 403, "Forbidden.Unauthorized", "no") }, "Forbidden.Unauthorized", 2},
		// Read again: still InService, so the refusal stands.
		{"instance busy: final", Key, func() { f.Emu.Fail("EnterStandby", 1, 400, "IncorrectInstanceStatus", "busy") }, "IncorrectInstanceStatus", 3},
		{"throttled once, then through", Key, func() {
			f.Emu.Fail("EnterStandby", 1, 400, "Throttling", "Request was denied due to request throttling.")
		}, "", 4}, // the read, the throttled call, the call, its tags
	}
	var ids []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.Emu.Reset()
			if tt.inject != nil {
				tt.inject()
			}
			id := "e2e-fail-" + strings.ReplaceAll(strings.Fields(tt.name)[0]+"-"+strings.Fields(tt.name)[1], ":", "")
			ids = append(ids, id)
			got := f.Invoke(t, Invocation{RequestID: id, Payload: payload}, tt.creds)
			if got.Code != tt.wantCode {
				t.Errorf("answer %s, want code %q", got.Body, tt.wantCode)
			}
			if n := len(f.Emu.Calls()); n != tt.wantCalls {
				t.Errorf("%d calls reached the cloud, want %d", n, tt.wantCalls)
			}
			want := essemu.InService
			if tt.wantCode == "" {
				want = essemu.Standby
			}
			if in, _ := f.Emu.Instance("i-bp1ecr7go2go9kq3m1a"); in.LifecycleState != want {
				t.Errorf("the instance is %s, want %s", in.LifecycleState, want)
			}
		})
	}
	f.Stop(t)
	if strings.Contains(f.Logs.String(), "not-the-secret") {
		t.Error("the function printed the wrong secret it was given")
	}
	checkInvocations(t, f, ids)
}

// checkInvocations: one invocation log line for each request, no other.
func checkInvocations(t *testing.T, f *Function, requestIDs []string) {
	t.Helper()
	seen := f.Invocations()
	slices.Sort(seen)
	slices.Sort(requestIDs)
	if !slices.Equal(seen, requestIDs) {
		t.Errorf("invocation log lines for %v, want one for each of %v", seen, requestIDs)
	}
}

// wave is a group of n InService instances, and a spot interruption for
// each, as EventBridge delivers them, dated at the samples' time.
func wave(id string, n int) (essemu.Group, []string) {
	g := essemu.Group{ID: id, Region: essemu.SampleRegion}
	var events []string
	for i := range n {
		instance := fmt.Sprintf("i-%s%04d", strings.TrimPrefix(id, "asg-")[:8], i)
		g.Instances = append(g.Instances, essemu.Instance{ID: instance, LifecycleState: essemu.InService})
		events = append(events, spotEvent(fmt.Sprintf("%s-%d", id, i), instance))
	}
	return g, events
}

func spotEvent(id, instance string) string {
	return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"acs.ecs","type":"ecs:Instance:PreemptibleInstanceInterruption","time":%q,"aliyunregionid":"cn-hangzhou","data":{"instanceId":%q,"action":"delete"}}`,
		id, essemu.SampleTime.Add(-time.Minute).Format(time.RFC3339), instance)
}

// retryFinishesAStorm: a storm's batch of 40 spot interruptions, the
// second call throttled until the invocation gives up. The invocation
// fails, naming what is left; FC's retry of it finishes the job, and no
// token names two sets.
func retryFinishesAStorm(t *testing.T, binary string, rt Runtime) {
	g, events := wave("asg-bp1wave0000000001", 40)
	f := Start(t, binary, rt, []essemu.Group{g})
	f.Emu.Inject(essemu.Fault{Action: "EnterStandby", After: 1, Status: 400, Code: "Throttling.User", Message: "Request was denied due to user flow control."})
	batch := []byte("[" + strings.Join(events, ",") + "]")
	first := f.Invoke(t, Invocation{RequestID: "wave", Payload: batch, Timeout: 2 * time.Second}, Key)
	if first.Code != "Throttling.User" || !strings.Contains(string(first.Body), "20 of 40 instances are left to retry") {
		t.Fatalf("the first delivery answered %s", first.Body)
	}
	f.Emu.ClearFaults()
	retry := f.Invoke(t, Invocation{RequestID: "wave", RetryCount: 1, Payload: batch, Timeout: 10 * time.Second}, Key)
	var a struct{ InstanceIds []string }
	if json.Unmarshal(retry.Body, &a); retry.Code != "" || len(a.InstanceIds) != 40 {
		t.Fatalf("the retry answered %s", retry.Body)
	}
	tokens := map[string]string{}
	for _, c := range f.Emu.Calls() {
		if c.Action != "EnterStandby" {
			continue
		}
		set := fmt.Sprint(c.Params["InstanceId.1"], c.Params["InstanceId.20"])
		if prev, ok := tokens[c.Params.Get("ClientToken")]; ok && prev != set || c.Code == "IdempotentParameterMismatch" {
			t.Errorf("token %s named %s and %s (%s)", c.Params.Get("ClientToken"), prev, set, c.Code)
		}
		tokens[c.Params.Get("ClientToken")] = set
	}
	if standby := f.Emu.InState(essemu.Standby); standby != 40 {
		t.Errorf("%d of 40 in Standby after the retry", standby)
	}
	f.Stop(t)
}

// oneEventDoesNotBlockABatch: a batch as the ecs-events rule delivers it:
// one event for a group the function must not touch, one it does not
// read, one of an undocumented state, beside one it acts on. That one
// drains; the invocation succeeds; the log line says, at ERROR, what was
// refused (the undocumented state is ignored).
func oneEventDoesNotBlockABatch(t *testing.T, binary string, rt Runtime) {
	f := Start(t, binary, rt, nil, "ALLOWED_SCALING_GROUP_IDS="+essemu.WebGroup)
	batch := "[" + strings.Join([]string{
		spotEvent("allowed", "i-bp1ecr7go2go9kq3m1a"),
		spotEvent("not-allowed", "i-bp1hh2ka9xr7wq4t5n0a"),
		strings.Replace(strings.Replace(spotEvent("hibernating", "i-bp1ecr7go2go9kq3m1b"), "PreemptibleInstanceInterruption", "StateChange", 1), `"instanceId":"i-bp1ecr7go2go9kq3m1b","action":"delete"`, `"resourceId":"i-bp1ecr7go2go9kq3m1b","state":"Hibernating"`, 1),
		`{"InstanceIds":["i-bp1ecr7go2go9kq3m1c"]}`,
	}, ",") + "]"
	if got := f.Invoke(t, Invocation{RequestID: "mixed", Payload: []byte(batch)}, Key); got.Code != "" {
		t.Fatalf("answered %s", got.Body)
	}
	for id, want := range map[string]string{"i-bp1ecr7go2go9kq3m1a": essemu.Standby, "i-bp1hh2ka9xr7wq4t5n0a": essemu.InService, "i-bp1ecr7go2go9kq3m1b": essemu.InService, "i-bp1ecr7go2go9kq3m1c": essemu.InService} {
		if in, _ := f.Emu.Instance(id); in.LifecycleState != want {
			t.Errorf("%s is %s, want %s", id, in.LifecycleState, want)
		}
	}
	if _, err := f.Logs.Await(regexp.MustCompile(`"level":"ERROR".*"refused":2,"outcome":"partial"`), 10*time.Second); err != nil {
		t.Errorf("%v:\n%s", err, f.Logs)
	}
	f.Stop(t)
}

// minInServiceHolds: MIN_IN_SERVICE holds when invocations run at once
// (the go1 SDK's loop runs each in its own goroutine; server mode serves
// them together): six requests for six of a group of eight at 50% leave
// four InService, and four for a group of four, with each read taking
// 100 ms, leave two; the others are refused.
func minInServiceHolds(t *testing.T, binary string, rt Runtime) {
	for _, tt := range []struct {
		size, requests, left int
		slowReads            time.Duration
	}{{8, 6, 4, 0}, {4, 4, 2, 100 * time.Millisecond}} {
		t.Run(fmt.Sprintf("%d on %d", tt.requests, tt.size), func(t *testing.T) {
			g, _ := wave("asg-bp1floor000000000"+fmt.Sprint(tt.size), tt.size)
			f := Start(t, binary, rt, []essemu.Group{g}, "MIN_IN_SERVICE=50%")
			if tt.slowReads > 0 {
				f.Emu.Inject(essemu.Fault{Action: "DescribeScalingInstances", Delay: tt.slowReads})
			}
			codes := make([]string, tt.requests)
			var wg sync.WaitGroup
			for i := range tt.requests {
				wg.Go(func() {
					payload := fmt.Sprintf(`{"InstanceIds":[%q]}`, g.Instances[i].ID)
					codes[i] = f.Invoke(t, Invocation{RequestID: fmt.Sprint("floor-", i), Payload: []byte(payload)}, Key).Code
				})
			}
			wg.Wait()
			inService, refused := f.Emu.InState(essemu.InService), 0
			for _, code := range codes {
				if code == "Forbidden.MinInService" {
					refused++
				}
			}
			if inService != tt.left || refused != tt.requests-(tt.size-tt.left) {
				t.Errorf("%d left InService, answers %v; want %d left, %d refused", inService, codes, tt.left, tt.requests-(tt.size-tt.left))
			}
			f.Stop(t)
		})
	}
}

// concurrentRedeliveries: the same alarm, CloudEvent and timer event,
// delivered three times at once: one activity each, and every delivery
// answers with it.
func concurrentRedeliveries(t *testing.T, binary string, rt Runtime) {
	f := Start(t, binary, rt, nil)
	for _, name := range []string{"http-cms-alarm-alert.json", "eventbridge-ecs-statechange.json", "timer.json"} {
		t.Run(name, func(t *testing.T) {
			payload := samples.Read(t, name)
			f.Emu.Reset()
			answers := make([]string, 3)
			var wg sync.WaitGroup
			for i := range answers {
				wg.Go(func() {
					a := f.Invoke(t, Invocation{RequestID: fmt.Sprintf("%s-%d", name, i), Payload: payload}, Key)
					var parsed struct{ ScalingActivityId string }
					json.Unmarshal(a.Body, &parsed)
					answers[i] = parsed.ScalingActivityId
				})
			}
			wg.Wait()
			if n := len(f.Emu.Activities()); n != 1 {
				t.Errorf("%d activities, want 1", n)
			}
			if answers[0] == "" || answers[1] != answers[0] || answers[2] != answers[0] {
				t.Errorf("deliveries answered %v, want one activity", answers)
			}
		})
	}
	f.Stop(t)
}

// concurrentDuplicates: duplicates answer success: 50 requests at once for
// one instance, without a token, make one activity, and every one answers
// success; a batch delivered 20 times at once moves its instances once,
// and no delivery is refused by MIN_IN_SERVICE for counting them twice.
func concurrentDuplicates(t *testing.T, binary string, rt Runtime) {
	g, spots := wave("asg-bp1dup00000000001", 40)
	f := Start(t, binary, rt, []essemu.Group{g}, "MIN_IN_SERVICE=50%")
	codes := make([]string, 50)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Go(func() {
			payload := fmt.Sprintf(`{"InstanceIds":[%q]}`, g.Instances[0].ID)
			codes[i] = f.Invoke(t, Invocation{RequestID: fmt.Sprint("dup-", i), Payload: []byte(payload)}, Key).Code
		})
	}
	wg.Wait()
	if failed := slices.DeleteFunc(slices.Clone(codes), func(code string) bool { return code == "" }); len(failed) > 0 || len(f.Emu.Activities()) != 1 {
		t.Errorf("%d of 50 failed (%v), %d activities; want every one answered success, one activity", len(failed), failed, len(f.Emu.Activities()))
	}

	batch := []byte("[" + strings.Join(spots[1:20], ",") + "]")
	codes = make([]string, 20)
	for i := range codes {
		wg.Go(func() {
			codes[i] = f.Invoke(t, Invocation{RequestID: fmt.Sprint("batch-", i), Payload: batch}, Key).Code
		})
	}
	wg.Wait()
	if failed := slices.DeleteFunc(codes, func(code string) bool { return code == "" }); len(failed) > 0 {
		t.Errorf("deliveries failed with %v; want every one answered success", failed)
	}
	if standby := f.Emu.InState(essemu.Standby); standby != 20 {
		t.Errorf("%d in Standby, want the 20 named (40 in the group, 50%% kept)", standby)
	}
	f.Stop(t)
}

// parkAndTakeBack: an alarm parks an instance, which then says why in its
// ECS tags (beside a tag of another writer); the function's ExitStandby
// takes it back and removes exactly its own tags.
func parkAndTakeBack(t *testing.T, binary string, rt Runtime) {
	const id = "i-bp1ecr7go2go9kq3m1a"
	fleet := essemu.SampleFleet()
	fleet[0].Instances[0].Tags = map[string]string{"team": "web"}
	f := Start(t, binary, rt, fleet)
	if got := f.Invoke(t, Invocation{RequestID: "park", Payload: samples.Read(t, "http-cms-alarm-alert.json")}, Key); got.Code != "" {
		t.Fatalf("the alarm answered %s", got.Body)
	}
	tags := f.Emu.Tags(id)
	if tags["team"] != "web" || tags["ess-standby:source"] != "cms-alarm-callback" || tags["ess-standby:rule"] == "" || tags["ess-standby:event"] != "" ||
		tags["ess-standby:until"] <= tags["ess-standby:since"] {
		t.Errorf("parked, %s has the tags %v", id, tags)
	}
	exit := []byte(`{"Action":"ExitStandby","InstanceIds":["` + id + `"]}`)
	if got := f.Invoke(t, Invocation{RequestID: "back", Payload: exit}, Key); got.Code != "" {
		t.Fatalf("ExitStandby answered %s", got.Body)
	}
	if in, _ := f.Emu.Instance(id); in.LifecycleState != essemu.InService || !maps.Equal(f.Emu.Tags(id), map[string]string{"team": "web"}) {
		t.Errorf("taken back, %s is %s with the tags %v; want InService, the other writer's tag alone", id, in.LifecycleState, f.Emu.Tags(id))
	}
	f.Stop(t)
}

// sweepPastALease: the timer's sweep finds the sample fleet's instance
// whose lease ended a day after an alarm parked it. By default it is
// reported, at ERROR, and left parked; with LEASE_END=exit it is taken
// back, its tags with it.
func sweepPastALease(t *testing.T, binary string, rt Runtime) {
	const id = "i-bp1ecr7go2go9kq3m1e"
	sweep := samples.Read(t, "timer-sweep.json")
	f := Start(t, binary, rt, nil)
	got := f.Invoke(t, Invocation{RequestID: "sweep", Payload: sweep}, Key)
	if in, _ := f.Emu.Instance(id); got.Code != "" || !strings.Contains(string(got.Body), `"Result":"LeaseEnded"`) || in.LifecycleState != essemu.Standby {
		t.Errorf("the sweep answered %s; %s is %s", got.Body, id, in.LifecycleState)
	}
	if _, err := f.Logs.Await(regexp.MustCompile(`"level":"ERROR","msg":"lease ended".*"instance":"`+id+`"`), 10*time.Second); err != nil {
		t.Errorf("%v:\n%s", err, f.Logs)
	}
	f.Stop(t)

	f = Start(t, binary, rt, nil, "LEASE_END=exit")
	got = f.Invoke(t, Invocation{RequestID: "sweep-exit", Payload: sweep}, Key)
	if in, _ := f.Emu.Instance(id); got.Code != "" || !strings.Contains(string(got.Body), `"Result":"Returned"`) || in.LifecycleState != essemu.InService || len(f.Emu.Tags(id)) != 0 {
		t.Errorf("the sweep with LEASE_END=exit answered %s; %s is %s with the tags %v", got.Body, id, in.LifecycleState, f.Emu.Tags(id))
	}
	f.Stop(t)
}

// exitOnOK: with EXIT_ON_OK, an alarm parks an instance and its OK takes
// it back, tags and all; the same rule's OK for the sample fleet's
// instance parked for another rule (disk-full) leaves it in Standby, with
// the reason, and its tags as they were.
func exitOnOK(t *testing.T, binary string, rt Runtime) {
	const ours, theirs = "i-bp1ecr7go2go9kq3m1a", "i-bp1ecr7go2go9kq3m1e"
	alert, ok := samples.Read(t, "http-cms-alarm-alert.json"), samples.Read(t, "http-cms-alarm-ok.json")
	f := Start(t, binary, rt, nil, "EXIT_ON_OK=true")
	if got := f.Invoke(t, Invocation{RequestID: "alert", Payload: alert}, Key); got.Code != "" || f.Emu.Tags(ours)["ess-standby:rule"] == "" {
		t.Fatalf("the alarm answered %s; %s has the tags %v", got.Body, ours, f.Emu.Tags(ours))
	}
	// The OK comes after the parking, as the one that ends it does: dated
	// now, by the binary's clock. The sample's own date is days before the
	// parking (ess-standby:since), and an end older than the parking takes
	// nothing back.
	ok = bytes.Replace(ok, []byte("timestamp=1795753320000"), fmt.Appendf(nil, "timestamp=%d", time.Now().UnixMilli()), 1)
	got := f.Invoke(t, Invocation{RequestID: "ok", Payload: ok}, Key)
	if in, _ := f.Emu.Instance(ours); got.Code != "" || in.LifecycleState != essemu.InService || len(f.Emu.Tags(ours)) != 0 {
		t.Errorf("its OK answered %s; %s is %s with the tags %v; want InService, untagged", got.Body, ours, in.LifecycleState, f.Emu.Tags(ours))
	}
	before := f.Emu.Tags(theirs)
	got = f.Invoke(t, Invocation{RequestID: "ok-other", Payload: bytes.ReplaceAll(ok, []byte(ours), []byte(theirs))}, Key)
	if in, _ := f.Emu.Instance(theirs); got.Code != "" || in.LifecycleState != essemu.Standby || !strings.Contains(string(got.Body), `parked for \"disk-full\"`) || !maps.Equal(f.Emu.Tags(theirs), before) {
		t.Errorf("the OK for an instance another rule parked answered %s; %s is %s with the tags %v", got.Body, theirs, in.LifecycleState, f.Emu.Tags(theirs))
	}
	f.Stop(t)
}

// capHolds: MAX_STANDBY holds when alarms arrive at once: 18 spot
// interruptions for a group of 20 of which 2 are in Standby already (parked
// by someone else), with MAX_STANDBY=25% and each read taking 50 ms, park 3
// more and refuse 15 with Forbidden.MaxStandby, logged at ERROR.
func capHolds(t *testing.T, binary string, rt Runtime) {
	g, events := wave("asg-bp1cap0000000000001", 20)
	g.Instances[18].LifecycleState, g.Instances[19].LifecycleState = essemu.Standby, essemu.Standby
	f := Start(t, binary, rt, []essemu.Group{g}, "MAX_STANDBY=25%")
	f.Emu.Inject(essemu.Fault{Action: "DescribeScalingInstances", Delay: 50 * time.Millisecond})
	codes := make([]string, 18)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Go(func() {
			codes[i] = f.Invoke(t, Invocation{RequestID: fmt.Sprint("cap-", i), Payload: []byte(events[i])}, Key).Code
		})
	}
	wg.Wait()
	refused := 0
	for _, code := range codes {
		if code == "Forbidden.MaxStandby" {
			refused++
		}
	}
	if standby := f.Emu.InState(essemu.Standby); standby != 5 || refused != 15 {
		t.Errorf("%d in Standby, answers %v; want 5 (3 more), 15 refused", standby, codes)
	}
	if _, err := f.Logs.Await(regexp.MustCompile(`"level":"ERROR","msg":"invocation".*"guard":"MAX_STANDBY"`), 10*time.Second); err != nil {
		t.Errorf("%v:\n%s", err, f.Logs)
	}
	f.Stop(t)
}

// everyLineNamesTheBuild: each JSON line the function writes carries its
// build, and its revision is the commit the binary was built from (Go
// stamps it from the checkout).
func everyLineNamesTheBuild(t *testing.T, binary string, rt Runtime) {
	f := Start(t, binary, rt, nil)
	if got := f.Invoke(t, Invocation{RequestID: "build", Payload: samples.Read(t, "direct-request.json")}, Key); got.Code != "" {
		t.Fatalf("answered %s", got.Body)
	}
	if _, err := f.Logs.Await(regexp.MustCompile(`"request_id":"build"`), 10*time.Second); err != nil {
		t.Fatalf("%v:\n%s", err, f.Logs)
	}
	f.Stop(t)
	want := `"build":{"version":"`
	if head, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		want = `"revision":"` + strings.TrimSpace(string(head)) + `"`
	}
	lines := 0
	for line := range strings.Lines(f.Logs.String()) {
		if !strings.HasPrefix(line, "{") {
			continue // the FC runtime's own lines
		}
		lines++
		if !strings.Contains(line, want) {
			t.Errorf("a line without %s: %s", want, line)
		}
	}
	if lines == 0 {
		t.Errorf("no JSON line:\n%s", f.Logs)
	}
}

// notifiesWhatItDid: with NOTIFY_URL and NOTIFY_SECRET, an invocation that
// parks instances sends one signed message naming them and their activity;
// one that is ignored sends none.
func notifiesWhatItDid(t *testing.T, binary string, rt Runtime) {
	const secret = "e2e-notify-secret-0123"
	var mu sync.Mutex
	var got []map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(r.Header.Get("X-Ess-Standby-Timestamp") + "." + string(body)))
		var ev map[string]any
		if r.Header.Get("X-Ess-Standby-Signature") != "sha256="+hex.EncodeToString(mac.Sum(nil)) || json.Unmarshal(body, &ev) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
	}))
	defer hook.Close()
	f := Start(t, binary, rt, nil, "NOTIFY_URL="+hook.URL+"/ess-standby", "NOTIFY_SECRET="+secret)
	if a := f.Invoke(t, Invocation{RequestID: "notify", Payload: samples.Read(t, "direct-request.json")}, Key); a.Code != "" {
		t.Fatalf("answered %s", a.Body)
	}
	if a := f.Invoke(t, Invocation{RequestID: "notify-ignored", Payload: samples.Read(t, "cms-event-statechange-running.json")}, Key); a.Code != "" {
		t.Fatalf("answered %s", a.Body)
	}
	f.Stop(t)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0]["request_id"] != "notify" || got[0]["outcome"] != "standby" || !strings.Contains(fmt.Sprint(got[0]["instances"]), "asa-") {
		t.Errorf("received %v; want one message, for the request that parked, with its activity", got)
	}
}
