//go:build !fcgo1

package console

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"text/tabwriter"
	"time"

	"ess-standby/handler"
	"ess-standby/handler/ess"
	"ess-standby/handler/esstest"
	"ess-standby/handler/standby"
)

// Local runs event against an emulator seeded with the sample fleet that
// events/ names: the whole function, real SDK signing included, with no cloud
// account and no network. It prints the answer, the calls Auto Scaling
// received, and each instance's lifecycle state and SLB weight before and
// after, and returns the outcome's error, if any.
//
// Events' ages (MAX_EVENT_AGE) are measured at now: the samples' own time
// by default, so that they act as they would on the day they were sent.
func Local(ctx context.Context, cfg handler.Config, now time.Time, event []byte, out io.Writer, log *slog.Logger) error {
	creds := standby.Credentials{AccessKeyID: "STS.LocalEmulator", AccessKeySecret: rand.Text(), SecurityToken: "local-" + rand.Text()}
	emu := esstest.NewServer([]esstest.Key{{ID: creds.AccessKeyID, Secret: creds.AccessKeySecret, Token: creds.SecurityToken}}, esstest.SampleFleet()...)
	defer emu.Close()
	endpoint, err := url.Parse(emu.URL)
	if err != nil {
		return err
	}
	cfg.Standby.Credentials = standby.Credentials{} // the invocation brings them, as in FC
	cfg.Now = func() time.Time { return now }
	h := handler.New(cfg, ess.New(ess.Config{Endpoint: endpoint}), log)

	before := emu.Instances()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	inv := standby.Invocation{RequestID: "local-" + time.Now().UTC().Format("20060102T150405.000"), Region: esstest.SampleRegion, Credentials: creds}
	outcome := h.Invoke(ctx, inv, event)

	printOutcome(out, outcome)

	fmt.Fprintf(out, "\ncalls Auto Scaling received (%s):\n", emu.URL)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	calls := emu.Calls()
	if len(calls) == 0 {
		fmt.Fprintln(tw, "  none")
	}
	for _, c := range calls {
		fmt.Fprintf(tw, "  %s\tHTTP %d %s\tsignature verified: %t\n", c.Action, c.Status, c.Code, c.SignatureOK)
	}
	tw.Flush()

	fmt.Fprintln(out, "\ninstances of the sample fleet:")
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
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
	return failure(outcome)
}

func change(before, after string) string {
	if before == after {
		return before
	}
	return before + " -> " + after
}

func mark(before, after esstest.InstanceState) string {
	if before.LifecycleState != after.LifecycleState || before.Weight != after.Weight {
		return "<- changed"
	}
	return ""
}
