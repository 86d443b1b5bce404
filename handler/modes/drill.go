//go:build !fcgo1 && !fccustom

package modes

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"time"

	"ess-standby/handler/ess"
	"ess-standby/handler/standby"
)

func init() { modes["drill"] = drill }

// drillCloud is what the drill needs of the cloud: the canary's state and
// tags, a simulated event for it, and the function's log.
type drillCloud interface {
	ScalingInstances(ctx context.Context, s standby.Session, groupID string, instanceIDs []string) ([]standby.ScalingInstance, error)
	InstanceTags(ctx context.Context, s standby.Session, instanceIDs []string, prefix string) (map[string]standby.Tags, error)
	DrillCalls
}

// canaryDrill is a rehearsal, after s deploy, of what a real maintenance event
// does: ECS schedules a simulated system event for a canary instance (it
// does not happen to it), ECS's notice travels the wiring to the function,
// and the drill watches Auto Scaling until the canary is in Standby, and
// the function's log for what it decided.
type canaryDrill struct {
	Session   standby.Session
	Instance  string
	EventType string
	Ahead     time.Duration // how far ahead the simulated event is dated
	Poll      time.Duration // how often Auto Scaling and the log are read
	DryRun    bool          // the function runs with DRY_RUN: its log must say it would park the canary, which stays InService
	Logs      ess.LogStore  // where the function logs; unset, the log is not read
	Function  string        // the function's name, whose lines are read
	Now       func() time.Time
}

// run runs the drill, saying what it does on out, and returns nil once the
// function has parked the canary for the event (with DryRun, once its log
// says it would have, the canary still InService).
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
	// What the function parks for this event, its tags say, and its log
	// line names: the event's type and ID. Any other Standby is someone
	// else's doing.
	w := watch{canaryDrill: d, cloud: cloud, out: out, group: group, event: ids[0], rule: d.EventType + "/" + ids[0], start: start, seen: map[string]bool{}}
	fmt.Fprintf(out, "watching %s in Auto Scaling every %s\n", d.Instance, d.Poll)
	if d.Logs.Project != "" {
		fmt.Fprintf(out, "and the function's log in %s/%s for %s\n", d.Logs.Project, d.Logs.Name, ids[0])
	}
	for {
		if done, err := w.look(ctx); done || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return w.timedOut()
		case <-time.After(d.Poll):
		}
	}
}

// watch is one drill's watch, after its event was scheduled.
type watch struct {
	canaryDrill
	cloud        drillCloud
	out          io.Writer
	group, event string
	rule         string
	start        time.Time
	seen         map[string]bool // the decisions printed, by key
	last         *decision
	readError    string // the last failure to read, said once
	untagged     bool   // the canary was seen in Standby without the function's tags
}

// look reads Auto Scaling, then the log, once; done is the drill's success.
func (w *watch) look(ctx context.Context) (done bool, err error) {
	if parked, err := w.parked(ctx); parked || err != nil {
		return parked, err
	}
	if w.Logs.Project == "" {
		return false, nil
	}
	query := fmt.Sprintf(`__topic__:"%s" and invocation and "%s"`, topic(w.Function), w.event)
	entries, err := w.cloud.SearchLogs(ctx, w.Session, w.Logs, query, w.start.Add(-time.Minute), w.Now().Add(time.Minute))
	if err != nil {
		return false, w.failed(ctx, "the function's log in "+w.Logs.Project+"/"+w.Logs.Name, err,
			": check --log-project and --logstore (s info names them under logConfig) and the operator's log:GetLogStoreLogs (deploy/drill-policy.json)")
	}
	for _, dec := range decisions(entries, w.Function, w.rule) {
		if w.seen[dec.key()] {
			continue
		}
		w.seen[dec.key()], w.last = true, &dec
		fmt.Fprintf(w.out, "the function logged, %s after the event was scheduled: %s\n", max(0, dec.Time.Sub(w.start)).Round(time.Second), dec)
		if done, err := w.judge(dec); done || err != nil {
			return done, err
		}
	}
	return false, nil
}

// failed is what a failed read makes of the drill: its failure, when no
// retry would mend it; else nothing, and the next look reads again (the
// failure said once; at the timeout, not at all).
func (w *watch) failed(ctx context.Context, what string, err error, advice string) error {
	e := standby.AsError(err)
	switch {
	case ctx.Err() != nil:
		return nil // the timeout's, which says what it says
	case !standby.Retryable(e):
		return fmt.Errorf("reading %s: %s (%s)%s", what, e.Message, e.Code, advice)
	case e.Message != w.readError:
		fmt.Fprintf(w.out, "cannot read %s yet (%s): trying again\n", what, e.Message)
		w.readError = e.Message
	}
	return nil
}

// parked reads the canary in Auto Scaling: in Standby, it must be the
// function's doing for this event, and the function not in dry run.
func (w *watch) parked(ctx context.Context) (bool, error) {
	found, err := w.cloud.ScalingInstances(ctx, w.Session, w.group, []string{w.Instance})
	if err != nil {
		return false, w.failed(ctx, "the canary in Auto Scaling", err, "")
	}
	if len(found) != 1 || found[0].LifecycleState != "Standby" {
		w.untagged = false
		return false, nil
	}
	tags, err := w.cloud.InstanceTags(ctx, w.Session, []string{w.Instance}, standby.TagPrefix)
	if err != nil {
		return false, w.failed(ctx, "the tags of "+w.Instance+", in Standby, that tell who parked it", err, "")
	}
	rule := tags[w.Instance][standby.TagRule]
	switch {
	case w.DryRun && rule == w.rule:
		return false, fmt.Errorf("the function parked %s for %s: it is not in dry run; %s", w.Instance, w.event, w.takeBack())
	case w.DryRun:
		return false, fmt.Errorf("%s is in Standby under dry run: something else parked it, or the function is not in dry run and has yet to tag it; %s", w.Instance, w.takeBack())
	case rule == "":
		// The function tags what it parked once Auto Scaling has answered:
		// the tags may be on their way, or never come (someone else's doing).
		w.untagged = true
		return false, nil
	case rule != w.rule:
		return false, fmt.Errorf("%s is in Standby, but not parked by the function for %s (its %s tag is %q): something else parked it; %s", w.Instance, w.event, standby.TagRule, rule, w.takeBack())
	}
	fmt.Fprintf(w.out, "%s is in Standby, parked by the function for %s %s after the event was scheduled: the wiring works\n%s\n", w.Instance, w.event, w.Now().Sub(w.start).Round(time.Second), w.takeBack())
	return true, nil
}

// judge reads one of the function's decisions on the event: under dry run,
// that it would park the canary is the drill's success; a refusal or an
// ignored event is its failure either way; a failure the function's
// retries may mend is waited out.
func (w *watch) judge(dec decision) (done bool, err error) {
	switch {
	case dec.Status == 429 || dec.Status >= 500 || standby.Retryable(&standby.Error{Code: dec.Outcome}):
		return false, nil // FC retries the invocation, which may yet park it
	case dec.Status != 200:
		return false, fmt.Errorf("the function refused the event: %s", dec)
	case !dec.parks(w.Instance, w.rule):
		return false, fmt.Errorf("the function did not take %s out of traffic for the event: %s", w.Instance, dec)
	case w.DryRun && !dec.DryRun:
		return false, fmt.Errorf("the function parked %s for %s: it is not in dry run; %s", w.Instance, w.event, w.takeBack())
	case !w.DryRun && dec.DryRun:
		return false, fmt.Errorf("the function is in dry run: it would have parked %s, and did not; run the drill with --dry-run, or turn dry run off", w.Instance)
	case w.DryRun:
		fmt.Fprintf(w.out, "the function would have parked %s for %s, and %s is still InService, as it should be under dry run: the wiring works\n", w.Instance, w.event, w.Instance)
		return true, nil
	}
	return false, nil // parked: Auto Scaling says when it is done
}

// timedOut is the drill's failure at its timeout.
func (w *watch) timedOut() error {
	waited := w.Now().Sub(w.start).Round(time.Second)
	if w.untagged {
		return fmt.Errorf("%s is in Standby, but without the function's tags for %s after %s: something else parked it, or the function could not tag it (its log line says untagged); %s",
			w.Instance, w.event, waited, w.takeBack())
	}
	awaited := w.Instance + " is not in Standby"
	if w.DryRun {
		awaited = "the function's log does not say it would park " + w.Instance
	}
	if w.last != nil {
		return fmt.Errorf("%s after %s; the function's last decision on %s: %s", awaited, waited, w.event, *w.last)
	}
	if w.Logs.Project != "" {
		return fmt.Errorf("the function %s logged no decision on %s in %s/%s after %s: check the EventBridge rule (README, \"EventBridge by hand\"), --function, and that this is the function's log (s info); s logs --search '%s'",
			w.Function, w.event, w.Logs.Project, w.Logs.Name, waited, w.event)
	}
	return fmt.Errorf("%s is not in Standby after %s: check the EventBridge rule (README, \"EventBridge by hand\"), DRY_RUN, and the function's log: s logs --search '%s'", w.Instance, waited, w.event)
}

func (w *watch) takeBack() string {
	return fmt.Sprintf("take it back: s invoke -e '{\"Action\":\"ExitStandby\",\"ScalingGroupId\":\"%s\",\"InstanceIds\":[\"%s\"]}'", w.group, w.Instance)
}

// functionName is FC's rule for a function's name.
var functionName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,63}$`)

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
	flags.DurationVar(&d.Poll, "poll", 5*time.Second, "how often Auto Scaling and the log are read")
	timeout := flags.Duration("timeout", 5*time.Minute, "give up after this long")
	flags.BoolVar(&d.DryRun, "dry-run", false, "the function runs with DRY_RUN: succeed when its log says it would park the canary (needs --log-project)")
	flags.StringVar(&d.Logs.Project, "log-project", "", "the function's Log Service project, as s info names it under logConfig: read what the function decided")
	flags.StringVar(&d.Logs.Name, "logstore", "default-logs", "the function's logstore, with --log-project")
	flags.StringVar(&d.Function, "function", "ess-standby", "the function's name (s.yaml's functionName), whose log lines are read")
	if code, ok := parseFlags(flags, args); !ok {
		return code
	}
	if d.Instance == "" || *region == "" || d.DryRun && d.Logs.Project == "" || !functionName.MatchString(d.Function) || d.Poll <= 0 {
		fmt.Fprintln(env.Stderr, "ess-standby drill: want --instance i-... and --region (or ALIBABA_CLOUD_REGION_ID); --dry-run wants --log-project (s info names it); --function a function's name; --poll more than 0")
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
	cloud := struct {
		standby.AutoScaling
		standby.Instances
		DrillCalls
	}{env.Cloud.Scaling, env.Cloud.Instances, env.Drill}
	if err := d.run(ctx, cloud, env.Stdout); err != nil {
		fmt.Fprintln(env.Stderr, "ess-standby drill:", err)
		return 1
	}
	return 0
}
