package handler_test

import (
	"strings"
	"testing"

	"ess-standby/handler/standby"
)

// Tags ECS throttles are owed: the invocation fails, so that its sender
// retries it, and its line is at ERROR, naming how many, for as long as
// they stay unwritten (issue 26, case 3: they were at WARN).
func TestOwedTagsAreLoggedAtError(t *testing.T) {
	f := newFake()
	f.Fail("TagInstances", 0, &standby.Error{Kind: standby.Throttled, Code: "Throttling", Message: "throttled"})
	h, logs := newHandler(config{}, f)
	for range 2 {
		out := invokeFake(h, `{"InstanceIds":["i-a1"],"ScalingGroupId":"asg-a"}`)
		if out.Err == nil || !standby.Retryable(out.Err) {
			t.Fatalf("answered %s; want a failure its sender retries", out.Body)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if !strings.Contains(line, `"level":"ERROR"`) || !strings.Contains(line, `"tags_owed":1`) {
			t.Errorf("a line of an invocation whose tags are owed: %s", line)
		}
	}
}
