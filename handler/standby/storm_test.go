package standby_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
)

// group makes a fake with one group, asg-s, of n InService instances
// i-s000, i-s001, ...
func group(n int) (*standbytest.Fake, []string) {
	instances := map[string]string{}
	var ids []string
	for i := range n {
		id := fmt.Sprintf("i-s%03d", i)
		instances[id] = "InService"
		ids = append(ids, id)
	}
	return standbytest.NewFake("cn-hangzhou", map[string]map[string]string{"asg-s": instances}), ids
}

func enter(identity string, ids ...string) standby.Request {
	return standby.Request{Action: standby.EnterStandby, InstanceIDs: ids, Identity: identity}
}

// results counts an answer's lines by Result.
func results(answers ...standby.Result) map[string]int {
	n := map[string]int{}
	for _, a := range answers {
		for _, line := range a.Instances {
			n[line.Result]++
		}
	}
	return n
}

// oneSetPerToken fails if a ClientToken named two different sets: a call
// made again (a retry, a re-delivery) names the same set under the same
// token, and a set that differs never reuses one.
func oneSetPerToken(t *testing.T, f *standbytest.Fake) {
	t.Helper()
	sets := map[string]string{}
	for _, c := range f.Calls("Standby") {
		set := fmt.Sprint(c.Standby.Action, c.GroupID, c.Standby.Async, c.IDs)
		if prev, ok := sets[c.Standby.ClientToken]; ok && prev != set {
			t.Errorf("token %s named %s and %s", c.Standby.ClientToken, prev, set)
		}
		sets[c.Standby.ClientToken] = set
	}
}

// A storm's partial failure: 40 spot interruptions in one group, the
// second call refused until the invocation gives up. The retry (the same
// event, delivered again) finishes what is left, with a token of its own;
// no token ever names two sets.
func TestARetryFinishesWhatAPartialFailureLeft(t *testing.T) {
	failures := []*standby.Error{
		{Kind: standby.Throttled, Code: "Throttling.User", Message: "Request was denied due to user flow control."},
		{Kind: standby.Conflict, Code: "IncorrectScalingGroupStatus", Message: "The current status of the specified scaling group does not support this action."},
	}
	for _, fail := range failures {
		for _, sameProcess := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s, retried in the same process %t", fail.Code, sameProcess), func(t *testing.T) {
				f, ids := group(40)
				svc := standby.New(standby.Config{}, f.Cloud()).WithoutBackoff()
				f.FailAfter("Standby", 1, 0, fail)
				answers, _ := svc.Run(context.Background(), inv, enter("batch:spot-wave", ids...))
				if got := results(answers...); got["EnteredStandby"] != 20 || got["Failed"] != 20 {
					t.Fatalf("first delivery: %v; want 20 EnteredStandby, 20 Failed (left to retry)", got)
				}
				for _, line := range answers[0].Instances {
					if line.Result == "Failed" && (line.Code != fail.Code || !line.Left()) {
						t.Errorf("%s: %+v, want left to retry with %s", line.InstanceID, line, fail.Code)
					}
				}
				f.Heal()
				if !sameProcess {
					svc = standby.New(standby.Config{}, f.Cloud()).WithoutBackoff() // FC may retry in another instance
				}
				before := len(f.Calls("Standby"))
				retry := inv
				retry.RetryCount = 1
				answers, _ = svc.Run(context.Background(), retry, enter("batch:spot-wave", ids...))
				if got := results(answers...); got["Failed"] != 0 || got["Refused"] != 0 {
					t.Errorf("the retry: %v; want nothing failed", got)
				}
				if n := len(f.Calls("Standby")) - before; n != 1 {
					t.Errorf("the retry made %d Standby calls, want 1 for the 20 left", n)
				}
				for _, id := range ids {
					if f.State(id) != "Standby" {
						t.Errorf("%s is %s after the retry", id, f.State(id))
					}
				}
				oneSetPerToken(t, f)
			})
		}
	}
	// A timer's request over two groups whose second group's call fails:
	// the retry makes that one call, and only it.
	t.Run("two groups", func(t *testing.T) {
		f := fleet(nil)
		svc := standby.New(standby.Config{}, f.Cloud()).WithoutBackoff()
		f.FailGroup("Standby", "asg-b", 0, failures[0])
		req := enter("timer:nightly@2026-11-27T04:00:00Z", "i-a1", "i-b1")
		answers, _ := svc.Run(context.Background(), inv, req)
		if got := results(answers...); got["EnteredStandby"] != 1 || got["Failed"] != 1 {
			t.Fatalf("first delivery: %v", got)
		}
		f.Heal()
		before := len(f.Calls("Standby"))
		svc.Run(context.Background(), inv, req)
		calls := f.Calls("Standby")[before:]
		if f.State("i-a1") != "Standby" || f.State("i-b1") != "Standby" || len(calls) != 1 || calls[0].GroupID != "asg-b" {
			t.Errorf("after the retry: i-a1 %s, i-b1 %s, calls %+v; want both in Standby after one call to asg-b", f.State("i-a1"), f.State("i-b1"), calls)
		}
		oneSetPerToken(t, f)
	})
}

// One instance's refusal never stops another's action: a group outside
// ALLOWED_SCALING_GROUP_IDS, and MIN_IN_SERVICE, refuse only what they
// must, first come first.
func TestOneRefusalDoesNotStopTheOthers(t *testing.T) {
	f := fleet(nil)
	answers, st := standby.New(standby.Config{AllowedGroups: []string{"asg-a"}}, f.Cloud()).WithoutBackoff().Run(context.Background(), inv, enter("e", "i-b1", "i-a1"))
	lines := answers[0].Instances
	if lines[0].Result != "Refused" || lines[0].Code != "Forbidden.ScalingGroupNotAllowed" || lines[1].Result != "EnteredStandby" || st.Guard != "ALLOWED_SCALING_GROUP_IDS" {
		t.Errorf("lines %+v, guard %q; want i-b1 refused by the allowlist and i-a1 in Standby", lines, st.Guard)
	}
	if calls := f.Calls("Standby"); len(calls) != 1 || calls[0].GroupID != "asg-a" {
		t.Errorf("calls %+v, want one, to asg-a", calls)
	}

	g, ids := group(6)
	answers, st = standby.New(standby.Config{MinInService: standby.Share{Percent: 50}}, g.Cloud()).WithoutBackoff().Run(context.Background(), inv, enter("e", ids[:5]...))
	if got := results(answers...); got["EnteredStandby"] != 3 || got["Refused"] != 2 || st.Guard != "MIN_IN_SERVICE" {
		t.Errorf("5 of 6 at MIN_IN_SERVICE=50%%: %v, guard %q; want 3 in Standby, 2 refused", got, st.Guard)
	}
	for i, line := range answers[0].Instances {
		want := "EnteredStandby"
		if i >= 3 {
			want = "Refused"
		}
		if line.Result != want || want == "Refused" && (line.Code != "Forbidden.MinInService" || line.Left()) {
			t.Errorf("%s: %+v, want %s (first come first)", line.InstanceID, line, want)
		}
	}
	if r := answers[0].Instances[4].Reason; !strings.Contains(r, "must keep 3 of its 6 instances InService (MIN_IN_SERVICE=50%)") {
		t.Errorf("the refusal says %q; it must give the numbers", r)
	}
}

// MIN_IN_SERVICE holds under concurrency: requests at once for one group,
// each blind to the others in a check-then-act, would each see room. The
// group's plans are one at a time, or one for all: either way the floor
// holds, and the others are refused.
func TestMinInServiceHoldsUnderConcurrency(t *testing.T) {
	for _, tt := range []struct {
		size, requests, left int
	}{{8, 6, 4}, {4, 4, 2}} {
		for _, merged := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d requests on a group of %d, merged %t", tt.requests, tt.size, merged), func(t *testing.T) {
				f, ids := group(tt.size)
				svc := standby.New(standby.Config{MinInService: standby.Share{Percent: 50}}, f.Cloud()).WithoutBackoff()
				if merged {
					svc.MergeWhen(tt.requests)
				}
				answers := alarmsAtOnce(svc, ids[:tt.requests])
				inService := inState(f, ids, "InService")
				got := results(answers...)
				if inService != tt.left || got["EnteredStandby"] != tt.size-tt.left || got["Refused"] != tt.requests-(tt.size-tt.left) {
					t.Errorf("%d left InService, answers %v; want %d left, the others refused", inService, got, tt.left)
				}
				if merged && len(f.Calls("Standby")) != 1 {
					t.Errorf("%d Standby calls for one plan, want 1", len(f.Calls("Standby")))
				}
			})
		}
	}
}

// Duplicates answer success: 50 requests at once for one instance, without
// a token, make one activity and every one answers it done; the same batch
// delivered 20 times at once moves its instances once, and no delivery is
// refused by MIN_IN_SERVICE for counting them twice.
func TestConcurrentDuplicatesAnswerSuccess(t *testing.T) {
	for _, merged := range []bool{false, true} {
		t.Run(fmt.Sprintf("one instance, merged %t", merged), func(t *testing.T) {
			f, ids := group(4)
			svc := standby.New(standby.Config{}, f.Cloud()).WithoutBackoff()
			if merged {
				svc.MergeWhen(50)
			}
			answers := make([]standby.Result, 50)
			var wg sync.WaitGroup
			for i := range answers {
				wg.Go(func() {
					inv := inv
					inv.RequestID = fmt.Sprint("dup-", i)
					a, _ := svc.Run(context.Background(), inv, enter("", ids[0]))
					answers[i] = a[0]
				})
			}
			wg.Wait()
			if got := results(answers...); got["Refused"]+got["Failed"] != 0 {
				t.Errorf("answers %v: every duplicate must answer success", got)
			}
			if n := len(f.Calls("Standby")); n != 1 || f.State(ids[0]) != "Standby" {
				t.Errorf("%d Standby calls, %s is %s; want 1, Standby", n, ids[0], f.State(ids[0]))
			}
		})
		t.Run(fmt.Sprintf("a batch 20 times, merged %t", merged), func(t *testing.T) {
			f, ids := group(10)
			svc := standby.New(standby.Config{MinInService: standby.Share{Percent: 50}}, f.Cloud()).WithoutBackoff()
			if merged {
				svc.MergeWhen(20 * 5)
			}
			var batch []standby.Request
			for i, id := range ids[:5] {
				batch = append(batch, enter(fmt.Sprint("cloudevent:acs.ecs/e", i), id))
			}
			answers := make([][]standby.Result, 20)
			var wg sync.WaitGroup
			for i := range answers {
				wg.Go(func() { answers[i], _ = svc.Run(context.Background(), inv, batch...) })
			}
			wg.Wait()
			for i, a := range answers {
				if got := results(a...); got["Refused"]+got["Failed"] != 0 {
					t.Errorf("delivery %d: %v; every delivery must answer success", i, got)
				}
			}
			inService := 0
			for _, id := range ids {
				if f.State(id) == "InService" {
					inService++
				}
			}
			if inService != 5 || len(f.Calls("Standby")) != 1 {
				t.Errorf("%d left InService after %d Standby calls; want 5 after one call", inService, len(f.Calls("Standby")))
			}
		})
	}
	// Another process moves the instance between this one's read and its
	// call: Auto Scaling refuses the call, the instance is read again, and
	// it is answered done, not failed.
	t.Run("another process first", func(t *testing.T) {
		f, ids := group(4)
		f.Before("Standby", func() { f.Move(ids[0], "Standby") })
		answers, _ := standby.New(standby.Config{}, f.Cloud()).WithoutBackoff().Run(context.Background(), inv, enter("", ids[0]))
		if line := answers[0].Instances[0]; line.Result != "Skipped" || line.Reason != "already Standby" {
			t.Errorf("%+v, want skipped as already Standby", line)
		}
	})
}

// Success only for what Auto Scaling confirmed: a Standby call answered
// without an activity is not done, and is made again with its token; a
// read without what a decision needs is an error, and no call is made.
func TestNothingIsAssumed(t *testing.T) {
	t.Run("no activity", func(t *testing.T) {
		f, ids := group(4)
		f.Blank("Standby", 0)
		answers, _ := standby.New(standby.Config{}, f.Cloud()).WithoutBackoff().Run(context.Background(), inv, enter("e", ids[0]))
		line := answers[0].Instances[0]
		if line.Result != "Failed" || !line.Left() || line.Code != "ServiceUnavailable" || answers[0].ScalingActivityID != "" {
			t.Errorf("%+v, want failed, left to retry", line)
		}
		f, ids = group(4)
		f.Blank("Standby", 1)
		answers, _ = standby.New(standby.Config{}, f.Cloud()).WithoutBackoff().Run(context.Background(), inv, enter("e", ids[0]))
		calls := f.Calls("Standby")
		if answers[0].Instances[0].Result != "EnteredStandby" || len(calls) != 2 || calls[0].Standby.ClientToken != calls[1].Standby.ClientToken {
			t.Errorf("%+v after %d calls; want it done by the same call made again", answers[0].Instances[0], len(calls))
		}
	})
	t.Run("a state read without states", func(t *testing.T) {
		f, ids := group(4)
		f.Blank("ScalingInstances", 0)
		answers, _ := standby.New(standby.Config{}, f.Cloud()).WithoutBackoff().Run(context.Background(), inv, enter("e", ids[0]))
		if line := answers[0].Instances[0]; !line.Left() || len(f.Calls("Standby")) != 0 {
			t.Errorf("%+v after %d calls; want left to retry, and no call", line, len(f.Calls("Standby")))
		}
	})
	t.Run("counts of nothing", func(t *testing.T) {
		f, ids := group(4)
		f.Blank("CountInstances", 0) // a group of 0 "has nothing to keep"
		answers, _ := standby.New(standby.Config{MinInService: standby.Share{Percent: 50}}, f.Cloud()).WithoutBackoff().Run(context.Background(), inv, enter("e", ids...))
		if got := results(answers...); got["Failed"] != 4 || len(f.Calls("Standby")) != 0 {
			t.Errorf("%v after %d calls; want all left to retry, and no call", got, len(f.Calls("Standby")))
		}
	})
}

// The tokens: one per exact set of instances and roots, whatever the
// order of the roots; never the same for anything that differs.
func TestTokens(t *testing.T) {
	base := standby.Token(standby.EnterStandby, "asg-a", false, []string{"e1", "e2"}, []string{"i-1", "i-2"})
	if again := standby.Token(standby.EnterStandby, "asg-a", false, []string{"e1", "e2"}, []string{"i-1", "i-2"}); again != base {
		t.Errorf("the same call made tokens %s and %s", base, again)
	}
	if len(base) > 64 || !standby.PrintableASCII(base) {
		t.Errorf("token %q: Auto Scaling takes at most 64 ASCII characters", base)
	}
	others := map[string]string{
		"another set":        standby.Token(standby.EnterStandby, "asg-a", false, []string{"e1", "e2"}, []string{"i-1"}),
		"another action":     standby.Token(standby.ExitStandby, "asg-a", false, []string{"e1", "e2"}, []string{"i-1", "i-2"}),
		"another group":      standby.Token(standby.EnterStandby, "asg-b", false, []string{"e1", "e2"}, []string{"i-1", "i-2"}),
		"Async":              standby.Token(standby.EnterStandby, "asg-a", true, []string{"e1", "e2"}, []string{"i-1", "i-2"}),
		"another root":       standby.Token(standby.EnterStandby, "asg-a", false, []string{"e1"}, []string{"i-1", "i-2"}),
		"roots run together": standby.Token(standby.EnterStandby, "asg-a", false, []string{"e1e2"}, []string{"i-1", "i-2"}),
		"a root as an ID":    standby.Token(standby.EnterStandby, "asg-a", false, []string{"e1"}, []string{"e2", "i-1", "i-2"}),
	}
	seen := map[string]string{base: "the call"}
	for name, tok := range others {
		if prev, dup := seen[tok]; dup {
			t.Errorf("%s made the token of %s", name, prev)
		}
		seen[tok] = name
	}
}

// Whether Auto Scaling answers EnterStandby before the instances have left
// InService is undocumented. Against one that does, the counts still show
// them InService for a while: MIN_IN_SERVICE counts the instances this
// process put into Standby gone until a read shows them so, and the floor
// holds.
func TestMinInServiceCountsWhatIsLeaving(t *testing.T) {
	f, ids := group(4)
	f.Lag()
	svc := standby.New(standby.Config{MinInService: standby.Share{Percent: 50}}, f.Cloud()).WithoutBackoff()
	var got []string
	for i, id := range ids[:3] {
		inv := inv
		inv.RequestID = fmt.Sprint("lagging-", i)
		answers, _ := svc.Run(context.Background(), inv, enter("", id))
		got = append(got, answers[0].Instances[0].Result)
	}
	f.Settle()
	if want := []string{"EnteredStandby", "EnteredStandby", "Refused"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("three requests, one at a time, on a group of 4 at 50%%: %v, want %v", got, want)
	}
	inService := 0
	for _, id := range ids {
		if f.State(id) == "InService" {
			inService++
		}
	}
	if inService != 2 {
		t.Errorf("%d left InService once the activities ran, want 2", inService)
	}
	// Once a read shows them gone, they are no longer read again.
	before := len(f.Calls("ScalingInstances"))
	svc.Run(context.Background(), inv, enter("", ids[3]))
	svc.Run(context.Background(), inv, enter("", ids[3]))
	if n := len(f.Calls("ScalingInstances")) - before; n != 3 {
		t.Errorf("%d state reads for two requests, want 3: each its own, and one of those leaving", n)
	}
}

// alarmsAtOnce runs one request per instance, each its own invocation, all
// at once, and answers what became of each.
func alarmsAtOnce(svc *standby.Service, ids []string) []standby.Result {
	answers := make([]standby.Result, len(ids))
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			inv := inv
			inv.RequestID = fmt.Sprint("alarm-", i)
			a, _ := svc.Run(context.Background(), inv, enter("", ids[i]))
			answers[i] = a[0]
		})
	}
	wg.Wait()
	return answers
}

// inState counts the instances in state.
func inState(f *standbytest.Fake, ids []string, state string) int {
	n := 0
	for _, id := range ids {
		if f.State(id) == state {
			n++
		}
	}
	return n
}
