//go:build !fcgo1 && !fccustom

package modes

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"ess-standby/handler/standby"
)

// parkingCloud is a cloud in which the canary enters Standby at the first
// watch, with the tags whoever parked it wrote.
type parkingCloud struct {
	reads int
	tags  standby.Tags
}

func (c *parkingCloud) ScalingInstances(_ context.Context, _ standby.Session, group string, ids []string) ([]standby.ScalingInstance, error) {
	c.reads++
	state := "InService"
	if c.reads > 1 {
		state = "Standby"
	}
	return []standby.ScalingInstance{{InstanceID: ids[0], ScalingGroupID: "asg-c", LifecycleState: state}}, nil
}

func (c *parkingCloud) SimulateEvent(context.Context, standby.Session, string, []string, time.Time) ([]string, error) {
	return []string{"e-1"}, nil
}

func (c *parkingCloud) InstanceTags(_ context.Context, _ standby.Session, ids []string, _ string) (map[string]standby.Tags, error) {
	return map[string]standby.Tags{ids[0]: c.tags}, nil
}

// The drill's success is the function's parking for this very event, as
// the canary's tags say; a Standby someone else caused fails it, and so
// does any parking under --dry-run (the function is then not in dry run).
func TestTheDrillSucceedsOnlyForTheFunctionsParking(t *testing.T) {
	ours := standby.Tags{standby.TagRule: "SystemMaintenance.Reboot/e-1"}
	for _, tt := range []struct {
		name   string
		tags   standby.Tags
		dryRun bool
		ok     bool
		says   string
	}{
		{"parked by the function for the event", ours, false, true, "the wiring works"},
		{"parked by someone else", nil, false, false, "something else parked it"},
		{"parked for another event", standby.Tags{standby.TagRule: "SystemMaintenance.Reboot/e-0"}, false, false, "something else parked it"},
		{"parked under --dry-run", ours, true, false, "not in dry run"},
	} {
		d := canaryDrill{Instance: "i-c", EventType: "SystemMaintenance.Reboot", Ahead: time.Minute, Poll: time.Millisecond, DryRun: tt.dryRun, Now: time.Now}
		var out bytes.Buffer
		err := d.run(t.Context(), &parkingCloud{tags: tt.tags}, &out)
		if (err == nil) != tt.ok || !strings.Contains(out.String()+fmtErr(err), tt.says) {
			t.Errorf("%s: %v\n%s", tt.name, err, out.String())
		}
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
