// Command ess-standby puts Auto Scaling instances into Standby when an HTTP
// call, a timer or a CloudMonitor / ECS event asks for it. It only wires:
// the settings are parsed once, then the mode picks the runtime adapter.
package main

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/aliyun/fc-runtime-go-sdk/fc"

	"ess-standby/handler"
	"ess-standby/handler/ess"
	"ess-standby/handler/fcgo"
	"ess-standby/handler/local"
)

// defaultEvent is what `local` runs when given no file: a CloudMonitor alarm.
//
//go:embed events/http-cms-alarm-alert.json
var defaultEvent []byte

const usage = `ess-standby: puts Auto Scaling (ESS) instances into Standby.

Modes:
  (FC_RUNTIME_API set)   FC go1 runtime: serve invocations with fc.Start
  ess-standby local [FILE|-]
                         run one event (a file, - for stdin, default: a
                         CloudMonitor alarm sample) against a built-in Auto
                         Scaling emulator; needs no account and no network
  ess-standby help       this text

Settings (environment variables, read once at start):
  ESS_ENDPOINT              Auto Scaling endpoint, scheme://host[:port]
                            (default: the SDK's endpoint for the region, HTTPS)
  ALIBABA_CLOUD_REGION_ID   region for invocations that name none
                            (default: FC's region, FC_REGION)
  SCALING_GROUP_ID          group for events that name none
                            (default: look each instance's group up)
  LOG_LEVEL                 debug, info, warn or error (default info)
  ALIBABA_CLOUD_ACCESS_KEY_ID, _SECRET, _SECURITY_TOKEN
                            credentials when the invocation brings none
`

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	settings, err := handler.LoadSettings(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "ess-standby: cannot start, fix these settings:\n%v\n", err)
		return 2
	}
	newLogger := func(w io.Writer) *slog.Logger {
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: settings.LogLevel}))
	}
	mode := ""
	if len(args) > 0 {
		mode = args[0]
	}
	switch {
	case mode == "local":
		event, err := readEvent(args[1:], stdin)
		if err != nil {
			fmt.Fprintln(stderr, "ess-standby local:", err)
			return 2
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		// Logs go to stderr, so the report on stdout stays readable.
		if err := local.Run(ctx, settings.Handler, event, stdout, newLogger(stderr)); err != nil {
			return 1
		}
		return 0
	case mode == "help" || mode == "-h" || mode == "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case mode == "" && getenv("FC_RUNTIME_API") != "":
		// FC ships stdout to Log Service: one JSON line per invocation.
		h := handler.New(settings.Handler, ess.New(ess.Config{Endpoint: settings.ESSEndpoint}), newLogger(stdout))
		fc.Start(fcgo.Handler(h)) // never returns
		return 0
	}
	fmt.Fprint(stderr, usage)
	return 2
}

func readEvent(args []string, stdin io.Reader) ([]byte, error) {
	switch {
	case len(args) == 0:
		return defaultEvent, nil
	case len(args) > 1:
		return nil, fmt.Errorf("one event file at most, got %d", len(args))
	case args[0] == "-":
		return io.ReadAll(io.LimitReader(stdin, 1<<20))
	}
	return os.ReadFile(args[0])
}
