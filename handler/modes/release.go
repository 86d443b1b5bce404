//go:build !fcgo1 && !fccustom

package modes

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"ess-standby/handler/standby"
)

func init() { modes["release"] = release }

// release is the mode: ess-standby release --region R --instance I
// [--instance J ...] [--dry-run] [--force] takes instances back out of
// Standby through the function's own core (its guards, tokens and the
// removal of its tags), refusing those the function did not park unless
// --force is given.
func release(args []string, env Env) int {
	s := env.Settings
	flags := flag.NewFlagSet("release", flag.ContinueOnError)
	flags.SetOutput(env.Stderr)
	var o operatorFlags
	o.register(flags, s)
	var ids []string
	flags.Var((*groupList)(&ids), "instance", "an instance to take back, i-... or eci-...: repeat it, or separate IDs by commas")
	dryRun := flags.Bool("dry-run", s.Standby.DryRun, "say what it would do, and change nothing (default DRY_RUN)")
	force := flags.Bool("force", false, "take back also what the function did not park (in Standby without its ess-standby: tags)")
	if code, ok := parseFlags(flags, args); !ok {
		return code
	}
	problems := o.check(flags)
	s.Standby.DryRun = *dryRun
	cloud, problems := o.open(env, s, problems, o.timeout)
	var req standby.Request
	if cloud != nil {
		defer cloud.close()
		d := standby.Draft{Action: standby.Param{Name: "Action", Value: string(standby.ExitStandby)}}
		for _, id := range ids {
			d.AddInstance("--instance", id)
		}
		var err error
		if req, err = cloud.svc.Check(&d); len(ids) > 0 && err != nil {
			problems = append(problems, standby.AsError(err).Message)
		}
	}
	if len(ids) == 0 {
		problems = append(problems, "name the instances to take back: --instance i-... (repeated, or comma-separated)")
	}
	if len(problems) > 0 {
		fmt.Fprintf(env.Stderr, "ess-standby release: %s\n", strings.Join(problems, "; "))
		return 2
	}
	req.Reason = standby.Reason{Source: "release"}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	res, _ := cloud.svc.Release(ctx, cloud.inv, req, *force)
	if o.output == "json" {
		writeJSON(env.Stdout, res)
	} else {
		writeRelease(env.Stdout, res)
		cloud.showCalls(env.Stdout)
	}
	if !released(res) {
		return 1
	}
	return 0
}

// released says whether every instance named is out of Standby (or, in a
// dry run, would be), or was never in it, with its tags gone: anything
// refused, failed or with its tags left is for the operator to see to.
func released(res standby.Result) bool {
	for _, l := range res.Instances {
		if l.Refusal() || l.Left() || l.TagCode != "" {
			return false
		}
	}
	return true
}

// writeRelease writes what became of each instance, a row each, then the
// calls a dry run would make.
func writeRelease(out io.Writer, res standby.Result) {
	if res.DryRun {
		fmt.Fprintln(out, "dry run: nothing is changed")
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTANCE\tGROUP\tWAS\tRESULT\tWHY")
	for _, l := range res.Instances {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.InstanceID, dash(l.ScalingGroupID), dash(l.LifecycleState), l.Result, why(l, res.DryRun))
	}
	tw.Flush()
	for _, c := range res.Planned {
		fmt.Fprintf(out, "would call %s on %s for %s (ClientToken %s), then remove their %s* tags\n", c.Action, c.ScalingGroupID, strings.Join(c.InstanceIDs, ", "), c.ClientToken, standby.TagPrefix)
	}
}

// why says what a row's result means for the instance.
func why(l standby.InstanceResult, dryRun bool) string {
	switch {
	case l.Code == standby.NotParkedCode:
		return l.Reason + " (--force)"
	case l.Err != nil:
		return l.Err.Message + " (" + l.Err.Code + ")"
	case l.Result == "ExitedStandby" && l.Reason != "":
		return l.Reason
	case l.Result == "ExitedStandby":
		return "by " + l.ScalingActivityID + "; its " + standby.TagPrefix + "* tags removed"
	case dryRun && l.Result == "Planned":
		return "would leave Standby, its tags removed"
	}
	return l.Reason
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
