//go:build !fcgo1

package console

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"ess-standby/handler"
	"ess-standby/handler/esstest"
	"ess-standby/handler/fcserver"
)

// shutdownGrace bounds how long server mode waits for in-flight invocations
// after SIGTERM.
const shutdownGrace = 60 * time.Second

// Run runs mode (serve, local or invoke) with its arguments and returns the
// process's exit code; ok is false for any other mode. These modes stop
// cleanly, so they take SIGINT and SIGTERM; FC's go1 runtime mode does not.
func Run(mode string, args []string, env Env) (code int, ok bool) {
	signalled := func() (context.Context, context.CancelFunc) {
		return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	}
	settings := env.Settings
	switch mode {
	case "serve":
		log := env.Logger(env.Stdout)
		ln, err := net.Listen("tcp", ":"+strconv.Itoa(settings.ListenPort))
		if err != nil {
			fmt.Fprintln(env.Stderr, "ess-standby serve:", err)
			return 1, true
		}
		log.Info("listening", "addr", ln.Addr().String())
		ctx, force, stop := twoSignals(log)
		defer stop()
		srv := fcserver.New(handler.New(settings.Handler, env.Client, log), log, env.Stdout)
		if err := fcserver.Serve(ctx, force, ln, srv, fcserver.Options{Grace: shutdownGrace}); err != nil {
			log.Error("server stopped", "err", err.Error())
			return 1, true
		}
		log.Info("stopped")
		return 0, true
	case "local":
		flags := flag.NewFlagSet("local", flag.ContinueOnError)
		flags.SetOutput(env.Stderr)
		now := flags.String("now", esstest.SampleTime.Format(time.RFC3339), "the time events' ages are measured at (RFC 3339); default: the samples' time")
		if flags.Parse(args) != nil {
			return 2, true
		}
		clock, err := time.Parse(time.RFC3339, *now)
		if err != nil {
			fmt.Fprintln(env.Stderr, "ess-standby local: --now wants a time such as 2026-11-27T04:30:00Z")
			return 2, true
		}
		event, err := readEvent(flags.Args(), env.Stdin, env.DefaultEvent)
		if err != nil {
			fmt.Fprintln(env.Stderr, "ess-standby local:", err)
			return 2, true
		}
		ctx, stop := signalled()
		defer stop()
		// Logs go to stderr, so the report on stdout stays readable.
		return exitCode(Local(ctx, settings.Handler, clock, event, env.Stdout, env.Logger(env.Stderr))), true
	case "invoke":
		flags := flag.NewFlagSet("invoke", flag.ContinueOnError)
		flags.SetOutput(env.Stderr)
		region := flags.String("region", settings.Handler.Standby.Region, "region of the scaling group (default ALIBABA_CLOUD_REGION_ID)")
		dryRun := flags.Bool("dry-run", settings.Handler.Standby.DryRun, "decide and report, call nothing that changes state")
		timeout := flags.Duration("timeout", time.Minute, "give up after this long")
		if flags.Parse(args) != nil {
			return 2, true
		}
		event, err := readEvent(flags.Args(), env.Stdin, nil)
		if err != nil {
			fmt.Fprintln(env.Stderr, "ess-standby invoke:", err)
			return 2, true
		}
		settings.Handler.Standby.Region, settings.Handler.Standby.DryRun = *region, *dryRun
		ctx, stop := signalled()
		defer stop()
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		h := handler.New(settings.Handler, env.Client, env.Logger(env.Stderr))
		return exitCode(Invoke(ctx, h, event, env.Stdout)), true
	}
	return 0, false
}

// twoSignals: the first SIGINT or SIGTERM ends ctx (stop taking requests,
// let those in flight finish), the second ends force (stop at once).
func twoSignals(log *slog.Logger) (ctx, force context.Context, stop func()) {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	force, cancelForce := context.WithCancel(context.Background())
	go func() {
		if _, ok := <-signals; !ok {
			return
		}
		log.Info("stopping: invocations in flight may finish; signal again to stop at once")
		cancel()
		if _, ok := <-signals; ok {
			log.Warn("stopping at once")
			cancelForce()
		}
	}()
	return ctx, force, func() {
		signal.Stop(signals)
		close(signals)
		cancel()
		cancelForce()
	}
}

func exitCode(err error) int {
	if err != nil {
		return 1
	}
	return 0
}

// readEvent reads the event named by args: a file, - for stdin, or the
// fallback when there is none and one is allowed.
func readEvent(args []string, stdin io.Reader, fallback []byte) ([]byte, error) {
	switch {
	case len(args) == 0 && fallback != nil:
		return fallback, nil
	case len(args) != 1:
		return nil, fmt.Errorf("want one event: a file, or - for stdin")
	case args[0] == "-":
		return handler.ReadPayload(stdin)
	}
	f, err := os.Open(args[0])
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return handler.ReadPayload(f) // at most 1 MiB, as the function takes: `local /dev/zero` stops there
}
