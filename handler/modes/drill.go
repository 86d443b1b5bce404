//go:build !fcgo1 && !fccustom

package modes

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"ess-standby/handler/standby"
)

func init() { modes["drill"] = drill }

// drillCloud is what the drill needs of the cloud: the canary's state, and
// a simulated event for it.
type drillCloud interface {
	ScalingInstances(ctx context.Context, s standby.Session, groupID string, instanceIDs []string) ([]standby.ScalingInstance, error)
	SimulateEvent(ctx context.Context, s standby.Session, eventType string, instanceIDs []string, notBefore time.Time) ([]string, error)
	InstanceTags(ctx context.Context, s standby.Session, instanceIDs []string, prefix string) (map[string]standby.Tags, error)
}

// canaryDrill is a rehearsal, after s deploy, of what a real maintenance event
// does: ECS schedules a simulated system event for a canary instance (it
// does not happen to it), ECS's notice travels the wiring to the function,
// and the drill watches Auto Scaling until the canary is in Standby.
type canaryDrill struct {
	Session   standby.Session
	Instance  string
	EventType string
	Ahead     time.Duration // how far ahead the simulated event is dated
	Poll      time.Duration // how often Auto Scaling is read
	DryRun    bool          // the function runs with DRY_RUN: the canary must stay InService until the timeout
	Now       func() time.Time
}

// run runs the drill, saying what it does on out, and returns nil once the
// function has parked the canary for the event (with DryRun, once the
// timeout has passed with the canary InService).
func (d canaryDrill) run(ctx context.Context, cloud drillCloud, out io.Writer) error {
	found, err := cloud.ScalingInstances(ctx, d.Session, "", []string{d.Instance})
	if err != nil {
		return fmt.Errorf("reading the canary: %v", standby.AsError(err).Message)
	}
	if len(found) != 1 || found[0].LifecycleState != "InService" {
		return fmt.Errorf("the canary %s must be InService in a scaling group of %s, and is %v", d.Instance, d.Session.Region, found)
	}
	group := found[0].ScalingGroupID
	start := d.Now()
	ids, err := cloud.SimulateEvent(ctx, d.Session, d.EventType, []string{d.Instance}, start.Add(d.Ahead))
	if err != nil {
		return fmt.Errorf("scheduling the simulated event: %v", standby.AsError(err).Message)
	}
	fmt.Fprintf(out, "scheduled simulated %s %s for %s (group %s), not before %s\n", d.EventType, ids[0], d.Instance, group, start.Add(d.Ahead).UTC().Format(time.RFC3339))
	// What the function parks for this event, its tags say: the event's
	// type and ID. Any other Standby is someone else's doing.
	rule := d.EventType + "/" + ids[0]
	back := fmt.Sprintf("take it back: s invoke -e '{\"Action\":\"ExitStandby\",\"ScalingGroupId\":\"%s\",\"InstanceIds\":[\"%s\"]}'", group, d.Instance)
	fmt.Fprintf(out, "watching %s in Auto Scaling every %s\n", d.Instance, d.Poll)
	for {
		found, err := cloud.ScalingInstances(ctx, d.Session, group, []string{d.Instance})
		if err == nil && len(found) == 1 && found[0].LifecycleState == "Standby" {
			tags, err := cloud.InstanceTags(ctx, d.Session, []string{d.Instance}, standby.TagPrefix)
			switch {
			case err != nil:
				return fmt.Errorf("%s is in Standby, but its tags cannot be read to tell who parked it: %v", d.Instance, standby.AsError(err).Message)
			case tags[d.Instance][standby.TagRule] != rule:
				return fmt.Errorf("%s is in Standby, but not parked by the function for %s (its %s tag is %q): something else parked it; %s", d.Instance, ids[0], standby.TagRule, tags[d.Instance][standby.TagRule], back)
			case d.DryRun:
				return fmt.Errorf("the function parked %s for %s: it is not in dry run; %s", d.Instance, ids[0], back)
			}
			fmt.Fprintf(out, "%s is in Standby, parked by the function for %s %s after the event was scheduled: the wiring works\n%s\n", d.Instance, ids[0], d.Now().Sub(start).Round(time.Second), back)
			return nil
		}
		select {
		case <-ctx.Done():
			if d.DryRun {
				fmt.Fprintf(out, "%s stayed InService for %s, as it should under DRY_RUN; the function's decision is in its log:\n  s logs --search '%s'\n", d.Instance, d.Now().Sub(start).Round(time.Second), ids[0])
				return nil
			}
			return fmt.Errorf("%s is not in Standby after %s: check the EventBridge rule (README, \"EventBridge by hand\"), DRY_RUN, and the function's log: s logs --search '%s'",
				d.Instance, d.Now().Sub(start).Round(time.Second), ids[0])
		case <-time.After(d.Poll):
		}
	}
}

// drill is the mode: ess-standby drill --instance i-... [--region R].
func drill(args []string, env Env) int {
	s := env.Settings
	flags := flag.NewFlagSet("drill", flag.ContinueOnError)
	flags.SetOutput(env.Stderr)
	d := canaryDrill{Now: time.Now}
	flags.StringVar(&d.Instance, "instance", "", "the canary: an InService instance of a scaling group the function acts on")
	region := flags.String("region", s.Standby.Region, "the region of the canary and of the function (default ALIBABA_CLOUD_REGION_ID)")
	flags.StringVar(&d.EventType, "event", "SystemMaintenance.Reboot", "the simulated event: SystemMaintenance.Reboot, SystemFailure.Reboot or InstanceFailure.Reboot")
	flags.DurationVar(&d.Ahead, "ahead", 10*time.Minute, "how far ahead the simulated maintenance is dated")
	flags.DurationVar(&d.Poll, "poll", 5*time.Second, "how often Auto Scaling is read")
	timeout := flags.Duration("timeout", 5*time.Minute, "give up after this long")
	flags.BoolVar(&d.DryRun, "dry-run", false, "the function runs with DRY_RUN: check that the canary stays InService until --timeout, and say where the decision is logged")
	if flags.Parse(args) != nil || d.Instance == "" || *region == "" {
		fmt.Fprintln(env.Stderr, "ess-standby drill: want --instance i-... and --region (or ALIBABA_CLOUD_REGION_ID)")
		return 2
	}
	d.Session = standby.Session{Region: *region, Credentials: s.Standby.Credentials}
	if !d.Session.Credentials.Complete() {
		fmt.Fprintln(env.Stderr, "ess-standby drill: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (deploy/drill-policy.json)")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := d.run(ctx, env.Client, env.Stdout); err != nil {
		fmt.Fprintln(env.Stderr, "ess-standby drill:", err)
		return 1
	}
	return 0
}
