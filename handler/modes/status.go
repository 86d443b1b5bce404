//go:build !fcgo1 && !fccustom

package modes

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"ess-standby/handler/ess"
	"ess-standby/handler/essemu"
	"ess-standby/handler/settings"
	"ess-standby/handler/standby"
)

func init() { modes["status"] = status }

// status is the mode: ess-standby status --region R [--group G] [--output
// table|json] [--emulator] says what is in Standby in the groups the
// function may act on, why, since and until when, what needs a person, and
// the room each group's guards leave. It reads, and changes nothing.
func status(args []string, env Env) int {
	s := env.Settings
	flags := flag.NewFlagSet("status", flag.ContinueOnError)
	flags.SetOutput(env.Stderr)
	var o operatorFlags
	o.register(flags, s)
	group := flags.String("group", "", "one scaling group, asg-... (default: ALLOWED_SCALING_GROUP_IDS, else every group of the region)")
	if code, ok := parseFlags(flags, args); !ok {
		return code
	}
	problems := o.check(flags)
	if *group != "" && !standby.ValidGroupID(*group) {
		problems = append(problems, fmt.Sprintf("--group: %q is not a scaling group ID: asg- and lower-case letters or digits", *group))
	}
	cloud, problems := o.open(env, s, problems, 0)
	if len(problems) > 0 {
		fmt.Fprintf(env.Stderr, "ess-standby status: %s\n", strings.Join(problems, "; "))
		return 2
	}
	defer cloud.close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	st, _, err := cloud.svc.Status(ctx, cloud.inv, standby.Request{ScalingGroupID: *group})
	if err != nil && len(st.Groups) == 0 {
		fmt.Fprintln(env.Stderr, "ess-standby status:", standby.AsError(err).Message)
		return 1
	}
	if o.output == "json" {
		writeJSON(env.Stdout, st)
	} else {
		writeStatus(env.Stdout, st, scopeOf(*group, s.Standby.AllowedGroups))
		cloud.showCalls(env.Stdout)
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "ess-standby status: a group could not be read:", standby.AsError(err).Message)
		return 1
	}
	return 0
}

// operatorFlags are the flags status and release share.
type operatorFlags struct {
	region   string
	output   string
	emulator bool
	timeout  time.Duration
}

func (o *operatorFlags) register(flags *flag.FlagSet, s settings.Settings) {
	flags.StringVar(&o.region, "region", s.Standby.Region, "the region of the groups (default ALIBABA_CLOUD_REGION_ID)")
	flags.StringVar(&o.output, "output", "table", "table, for a person, or json, for a script")
	flags.BoolVar(&o.emulator, "emulator", false, "run against the built-in emulator's sample fleet, at the samples' time: no account, nothing real")
	flags.DurationVar(&o.timeout, "timeout", time.Minute, "give up after this long")
}

// check names what is wrong with the shared flags, and with arguments
// that no flag took.
func (o *operatorFlags) check(flags *flag.FlagSet) []string {
	var problems []string
	if flags.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("it takes no argument, and was given %q", flags.Arg(0)))
	}
	if o.output != "table" && o.output != "json" {
		problems = append(problems, fmt.Sprintf("--output: %q is neither table nor json", o.output))
	}
	if o.timeout <= 0 {
		problems = append(problems, "--timeout: more than 0")
	}
	return problems
}

// operatorCloud is where an operator's mode reads and acts: the account
// whose AccessKey the environment holds, or the built-in emulator.
type operatorCloud struct {
	svc   *standby.Service
	inv   standby.Invocation
	emu   *essemu.Server // with --emulator
	close func()
}

// open builds the core an operator's mode runs: on the environment's
// settings and credentials (never flags: they show in ps), or with
// --emulator on the sample fleet at the samples' time, as local runs it.
// tagWait, when set, is how long an answer waits for its tags: a command
// that exits once it answers must see them written, not leave them to a
// process that is gone. It returns the problems of the flags so far and
// its own; the cloud is usable only when there is none.
func (o *operatorFlags) open(env Env, s settings.Settings, problems []string, tagWait time.Duration) (*operatorCloud, []string) {
	if tagWait > 0 {
		s.Standby.TagWait = tagWait
	}
	inv := standby.Invocation{RequestID: "cli-" + time.Now().UTC().Format("20060102T150405.000")}
	if o.emulator {
		switch {
		case o.region == "":
			o.region = essemu.SampleRegion
		case o.region != essemu.SampleRegion:
			problems = append(problems, fmt.Sprintf("--emulator: the sample fleet is in %s, not %s", essemu.SampleRegion, o.region))
		}
		if len(problems) > 0 {
			return nil, problems
		}
		creds := standby.Credentials{AccessKeyID: "STS.OperatorEmulator", AccessKeySecret: rand.Text(), SecurityToken: "operator-" + rand.Text()}
		emu := essemu.NewServer([]essemu.Key{{ID: creds.AccessKeyID, Secret: creds.AccessKeySecret, Token: creds.SecurityToken}}, essemu.SampleFleet()...)
		endpoint, err := url.Parse(emu.URL)
		if err != nil {
			emu.Close()
			return nil, []string{err.Error()}
		}
		client := ess.New(ess.Config{Endpoint: endpoint, ECSEndpoint: endpoint, ECIEndpoint: endpoint})
		s.Standby.Now = func() time.Time { return essemu.SampleTime }
		s.Standby.Region, s.Standby.Credentials = o.region, standby.Credentials{}
		inv.Region, inv.Credentials = o.region, creds
		return &operatorCloud{svc: standby.New(s.Standby, client.Cloud()), inv: inv, emu: emu, close: func() { client.Close(); emu.Close() }}, nil
	}
	if o.region == "" {
		problems = append(problems, "--region: name the region (or set ALIBABA_CLOUD_REGION_ID)")
	} else if !standby.ValidRegionID(o.region) {
		problems = append(problems, fmt.Sprintf("--region: %q is not a region ID, such as cn-hangzhou", o.region))
	}
	if !s.Standby.Credentials.Complete() {
		problems = append(problems, "set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (and _SECURITY_TOKEN for an STS token), an operator's, allowed what deploy/operator-policy.json grants; or try --emulator")
	}
	if len(problems) > 0 {
		return nil, problems
	}
	s.Standby.Region = o.region
	inv.Region, inv.Credentials = o.region, s.Standby.Credentials
	return &operatorCloud{svc: standby.New(s.Standby, env.Cloud), inv: inv, close: func() {}}, nil
}

// showCalls says, for the emulator, which calls it received and how many:
// what a run costs, and that status only reads.
func (c *operatorCloud) showCalls(out io.Writer) {
	if c.emu == nil {
		return
	}
	count := map[string]int{}
	var order []string
	for _, call := range c.emu.Calls() {
		if count[call.Action] == 0 {
			order = append(order, call.Action)
		}
		count[call.Action]++
	}
	var said []string
	for _, a := range order {
		said = append(said, fmt.Sprintf("%s ×%d", a, count[a]))
	}
	fmt.Fprintf(out, "\nthe built-in emulator's sample fleet, at the samples' time (%s); the calls it received: %s\n",
		essemu.SampleTime.Format(time.RFC3339), cmp.Or(strings.Join(said, ", "), "none"))
}

// scopeOf says which groups status looked at, and why those.
func scopeOf(group string, allowed []string) string {
	switch {
	case group != "":
		return "--group"
	case len(allowed) > 0:
		return "ALLOWED_SCALING_GROUP_IDS"
	}
	return "every group of the region: ALLOWED_SCALING_GROUP_IDS is unset"
}

func writeJSON(out io.Writer, v any) {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(v) // of the core's own types, which always encode
}

// Widths a row keeps to, so that the table fits a terminal: what parked an
// instance is cut past parkedByWidth.
const parkedByWidth = 32

// writeStatus writes st as a person reads it: a block per group, its
// counts and the room its guards leave, then a row per Standby instance,
// then why each that needs a person does.
func writeStatus(out io.Writer, st standby.Status, scope string) {
	fmt.Fprintf(out, "Standby in %s at %s (%s)\n", st.Region, st.At.Format(time.RFC3339), scope)
	if len(st.Groups) == 0 {
		fmt.Fprintln(out, "\nno scaling group")
	}
	attention := 0
	for _, g := range st.Groups {
		fmt.Fprintf(out, "\n%s: ", g.ScalingGroupID)
		if g.Code != "" {
			fmt.Fprintf(out, "not read: %s (%s)\n", g.Message, g.Code)
			continue
		}
		fmt.Fprintf(out, "%d InService, %d in Standby, %d in all\n", g.InService, g.Standby, g.Total)
		fmt.Fprintf(out, "  room to park: %s\n", room(g))
		if len(g.Instances) == 0 {
			fmt.Fprintln(out, "  nothing in Standby")
			continue
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  INSTANCE\tPARKED BY\tSINCE\tLEASE\tNEEDS A PERSON")
		for _, l := range g.Instances {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", l.InstanceID, parkedBy(l), since(l.Since), leaseLeft(l, st.At), needs(l))
		}
		tw.Flush()
		for _, l := range g.Instances {
			if !l.Attention {
				continue
			}
			attention++
			if l.Result != standby.LeaseEnded { // its row says all there is
				fmt.Fprintf(out, "  %s: %s\n", l.InstanceID, l.Reason)
			}
		}
	}
	if attention > 0 {
		verb := "need"
		if attention == 1 {
			verb = "needs"
		}
		fmt.Fprintf(out, "\n%d %s a person. Take one back: ess-standby release --region %s --instance i-… (--force for one the function did not park)\n", attention, verb, st.Region)
	}
}

// room says how many more of a group the guards let the function park,
// and each guard's figures.
func room(g standby.GroupStatus) string {
	n, ok := g.Room()
	if !ok {
		return "no guard (MIN_IN_SERVICE and MAX_STANDBY unset)"
	}
	var parts []string
	if b := g.MinInService; b != nil {
		parts = append(parts, fmt.Sprintf("MIN_IN_SERVICE=%s keeps %d InService: %d", b.Setting, b.Count, b.Room))
	}
	if b := g.MaxStandby; b != nil {
		p := fmt.Sprintf("MAX_STANDBY=%s allows %d in Standby: %d", b.Setting, b.Count, b.Room)
		if b.Room == 0 {
			p += ", at its cap"
		}
		parts = append(parts, p)
	}
	return fmt.Sprintf("%d (%s)", n, strings.Join(parts, "; "))
}

func parkedBy(l standby.StatusLine) string {
	by := strings.Join(slices.DeleteFunc([]string{l.Source, l.Rule}, func(s string) bool { return s == "" }), ", ")
	if by == "" {
		return "-"
	}
	if r := []rune(by); len(r) > parkedByWidth {
		by = string(r[:parkedByWidth-1]) + "…"
	}
	return by
}

// since is when an instance was parked, to the minute, or its tag as
// written (cut) when that is no time.
func since(tag string) string {
	if tag == "" {
		return "-"
	}
	t, err := time.Parse(time.RFC3339, tag)
	if err != nil {
		return standby.Quote(tag)
	}
	return t.UTC().Format("2006-01-02T15:04Z")
}

// leaseLeft says how long an instance's lease has left at now, or how
// long ago it ended, or that it has none a person can trust.
func leaseLeft(l standby.StatusLine, now time.Time) string {
	switch l.Result {
	case standby.NotParked:
		return "none"
	case standby.LeaseInvalid:
		return "untrue"
	}
	until, err := time.Parse(time.RFC3339, l.Until)
	switch {
	case err != nil:
		return "none"
	case now.Before(until):
		return span(until.Sub(now)) + " left"
	}
	return "ended " + span(now.Sub(until)) + " ago"
}

// needs says what a person must look at, "" when nothing.
func needs(l standby.StatusLine) string {
	switch l.Result {
	case standby.LeaseEnded:
		return "lease ended"
	case standby.Untagged:
		return "untagged"
	case standby.LeaseInvalid:
		return "tags do not add up"
	case standby.NotParked:
		return "someone else's (no tags)"
	}
	return ""
}

// span is a duration as a row has room for: 45s, 30m, 5h30m, 2d 3h.
func span(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		if m := int(d%time.Hour) / int(time.Minute); m > 0 {
			return fmt.Sprintf("%dh%02dm", int(d/time.Hour), m)
		}
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if hours == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd %dh", days, hours)
}
