//go:build !fcgo1 && !fccustom

package modes

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"ess-standby/handler"
	"ess-standby/handler/ess"
	"ess-standby/handler/essemu"
	"ess-standby/handler/settings"
	"ess-standby/handler/standby"
)

func init() { modes["local"] = local }

// local runs one event against the built-in emulator, and prints what
// happened on stdout, the function's log line last, labelled: printed as
// it is written, it came before the answer, unexplained.
func local(args []string, env Env) int {
	flags := flag.NewFlagSet("local", flag.ContinueOnError)
	flags.SetOutput(env.Stderr)
	now := flags.String("now", essemu.SampleTime.Format(time.RFC3339), "the time events' ages are measured at (RFC 3339); default: the samples' time")
	if code, ok := parseFlags(flags, args); !ok {
		return code
	}
	clock, err := time.Parse(time.RFC3339, *now)
	if err != nil {
		fmt.Fprintln(env.Stderr, "ess-standby local: --now wants a time such as 2026-11-27T04:30:00Z")
		return 2
	}
	event, err := readEvent(flags.Args(), env.Stdin, env.DefaultEvent)
	if err != nil {
		fmt.Fprintln(env.Stderr, "ess-standby local:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return exitCode(Local(ctx, env.Settings, clock, event, env.Stdout, env.Logger))
}

// Local runs event against an emulator seeded with the sample fleet that
// events/ names: the whole function, real SDK signing included, with no cloud
// account and no network. It prints, each under its label, the answer, the
// calls Auto Scaling received, each instance's lifecycle state and SLB
// weight before and after, the tags that changed, and the function's log
// (made by logger), and returns the outcome's error, if any.
//
// Events' ages (MAX_EVENT_AGE) are measured at now: the samples' own time
// by default, so that they act as they would on the day they were sent.
func Local(ctx context.Context, s settings.Settings, now time.Time, event []byte, out io.Writer, logger func(io.Writer) *slog.Logger) error {
	creds := standby.Credentials{AccessKeyID: "STS.LocalEmulator", AccessKeySecret: rand.Text(), SecurityToken: "local-" + rand.Text()}
	emu := essemu.NewServer([]essemu.Key{{ID: creds.AccessKeyID, Secret: creds.AccessKeySecret, Token: creds.SecurityToken}}, essemu.SampleFleet()...)
	defer emu.Close()
	var logs lockedBuffer
	h, err := localHandler(s, now, emu.URL, logger, &logs)
	if err != nil {
		return err
	}

	before := emu.Instances()
	tagsBefore := map[string]map[string]string{}
	for _, b := range before {
		tagsBefore[b.ID] = emu.Tags(b.ID)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	inv := standby.Invocation{RequestID: "local-" + time.Now().UTC().Format("20060102T150405.000"), Region: essemu.SampleRegion, Credentials: creds}
	outcome := h.Invoke(ctx, inv, bytes.NewReader(event))

	printOutcome(out, outcome)
	printCalls(out, emu)
	printInstances(out, emu, before)
	printTags(out, emu, before, tagsBefore)
	printLog(out, logs.String())
	return failure(outcome)
}

// localHandler is the whole function, against the emulator at emuURL, its
// log written by logger to logs, the time always now.
func localHandler(s settings.Settings, now time.Time, emuURL string, logger func(io.Writer) *slog.Logger, logs io.Writer) (*handler.Handler, error) {
	endpoint, err := url.Parse(emuURL)
	if err != nil {
		return nil, err
	}
	s.Standby.Credentials = standby.Credentials{} // the invocation brings them, as in FC
	// The sample fleet is no one's news: no message reaches a real robot.
	s.Handler.NotifyURL, s.Handler.NotifySecret = "", ""
	s.Handler.Now = func() time.Time { return now }
	s.Standby.Now = s.Handler.Now // leases too are judged at now
	return handler.New(s.Handler, standby.New(s.Standby, ess.New(ess.Config{Endpoint: endpoint, ECSEndpoint: endpoint, ECIEndpoint: endpoint}).Cloud()), logger(logs)), nil
}

// printCalls prints the calls the emulator received, and whether each was
// signed as the cloud checks it.
func printCalls(out io.Writer, emu *essemu.Server) {
	fmt.Fprintf(out, "\ncalls Auto Scaling and ECS received (the emulator, at %s):\n", emu.URL)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	calls := emu.Calls()
	if len(calls) == 0 {
		fmt.Fprintln(tw, "  none")
	}
	for _, c := range calls {
		fmt.Fprintf(tw, "  %s\tHTTP %d %s\tsignature verified: %t\n", c.Action, c.Status, c.Code, c.SignatureOK)
	}
	tw.Flush()
}

// printInstances prints each instance of the fleet, its lifecycle state and
// SLB weight before and after.
func printInstances(out io.Writer, emu *essemu.Server, before []essemu.InstanceState) {
	fmt.Fprintln(out, "\ninstances of the sample fleet, before -> after:")
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  INSTANCE\tGROUP\tSTATE\tSLB WEIGHT\t")
	for _, b := range before {
		a, ok := emu.Instance(b.ID)
		if !ok {
			a.LifecycleState = "(gone)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", b.ID, b.ScalingGroupID, change(b.LifecycleState, a.LifecycleState),
			change(fmt.Sprint(b.Weight), fmt.Sprint(a.Weight)), mark(b, a))
	}
	tw.Flush()
}

// printTags prints the function's tags of each instance whose tags
// changed. Only what changed: an instance parked before, its tags as they
// were, is the fleet's, not this event's doing.
func printTags(out io.Writer, emu *essemu.Server, before []essemu.InstanceState, tagsBefore map[string]map[string]string) {
	fmt.Fprintf(out, "\ntags that changed (%s*), before -> after:\n", standby.TagPrefix)
	shown := false
	for _, b := range before {
		was, is := ourTags(tagsBefore[b.ID]), ourTags(emu.Tags(b.ID))
		if was == is {
			continue
		}
		shown = true
		fmt.Fprintf(out, "  %s\n    %s\n    -> %s\n", b.ID, cmp.Or(was, "none"), cmp.Or(is, "none"))
	}
	if !shown {
		fmt.Fprintln(out, "  none")
	}
}

// printLog prints the function's log, labelled, a line "none" when empty.
func printLog(out io.Writer, logs string) {
	label, lines := logBlock(logs)
	fmt.Fprintf(out, "\n%s (what FC would ship to Log Service):\n", label)
	for _, l := range lines {
		fmt.Fprintf(out, "  %s\n", cmp.Or(l, "none"))
	}
}

// logBlock is the log's lines, and their label: "log line" for one (or
// none, shown as one empty line), "log lines" for more.
func logBlock(logs string) (label string, lines []string) {
	lines = strings.Split(strings.TrimSuffix(logs, "\n"), "\n")
	if len(lines) > 1 {
		return "log lines", lines
	}
	return "log line", lines
}

// lockedBuffer is the function's log, kept to be printed after the report:
// whatever writes it, it is read whole.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ourTags is the function's tags among tags, key=value, in key order.
func ourTags(tags map[string]string) string {
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if name, ok := strings.CutPrefix(k, standby.TagPrefix); ok {
			kv = append(kv, name+"="+tags[k])
		}
	}
	return strings.Join(kv, " ")
}

func change(before, after string) string {
	if before == after {
		return before
	}
	return before + " -> " + after
}

func mark(before, after essemu.InstanceState) string {
	if before.LifecycleState != after.LifecycleState || before.Weight != after.Weight {
		return "<- changed"
	}
	return ""
}
