// Command ess-standby puts Auto Scaling instances into Standby when an HTTP
// call, a timer or a CloudMonitor / ECS event asks for it. It only wires:
// the settings are parsed once, then the mode picks the runtime adapter.
package main

import (
	"context"
	_ "embed"
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

	"github.com/aliyun/fc-runtime-go-sdk/fc"

	"ess-standby/handler"
	"ess-standby/handler/console"
	"ess-standby/handler/ess"
	"ess-standby/handler/fcgo"
	"ess-standby/handler/fcserver"
)

// defaultEvent is what `local` runs when given no file: a CloudMonitor alarm.
//
//go:embed events/http-cms-alarm-alert.json
var defaultEvent []byte

const usage = `ess-standby puts Auto Scaling (ESS) instances into Standby.

Modes:
  (FC_RUNTIME_API set)  FC go1 runtime: serve invocations with fc.Start
  main serve            FC custom runtime (what bootstrap runs): HTTP server on
                        FC_CUSTOM_LISTEN_PORT, else FC_SERVER_PORT, else 9000
  main local [FILE|-]   run one event against a built-in Auto Scaling emulator
                        (no account, no network); default: a CloudMonitor alarm
  main invoke [--region R] [--dry-run] [--timeout D] [FILE|-]
                        run one event against the real Auto Scaling API, with
                        the credentials of ALIBABA_CLOUD_ACCESS_KEY_ID, _SECRET
                        and _SECURITY_TOKEN (never flags: they show in ps)
  main help             this text

FILE is an event as the function receives it (see events/); - reads stdin.

Settings (environment variables, read once at start):
  ESS_ENDPOINT             Auto Scaling endpoint, scheme://host[:port]; plain
                           http only to loopback (default: the SDK's endpoint
                           for the region, over HTTPS)
  ALIBABA_CLOUD_REGION_ID  region for invocations that name none
                           (default: FC's region, FC_REGION)
  SCALING_GROUP_ID         group for events that name none
                           (default: look each instance's group up)
  ALLOWED_SCALING_GROUP_IDS  comma-separated groups it may act on (default: any)
  AUTH_TOKEN               HTTP-trigger callers must present it, as
                           Authorization: Bearer <token> or ?token=<token>
  DRY_RUN                  true: decide and report, change nothing (false)
  MAX_INSTANCES            most instances one invocation may name (100)
  MIN_IN_SERVICE           InService instances a group must keep: a count (2)
                           or a percentage (50%) (default: none)
  WAIT                     true: wait for each activity to finish (false)
  EXIT_ON_OK               true: an alarm back to OK takes its instance out
                           of Standby (false)
  LOG_LEVEL                debug, info, warn or error (info)
  FC_CUSTOM_LISTEN_PORT, FC_SERVER_PORT
                           server mode's port (9000); 0 picks a free one
  ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET,
  ALIBABA_CLOUD_SECURITY_TOKEN
                           credentials when an invocation brings none
`

// shutdownGrace bounds how long server mode waits for in-flight invocations
// after SIGTERM.
const shutdownGrace = 60 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	mode := ""
	if len(args) > 0 {
		mode, args = args[0], args[1:]
	}
	if mode == "help" || mode == "-h" || mode == "--help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	settings, err := handler.LoadSettings(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "ess-standby: cannot start, fix these settings:\n%v\n", err)
		return 2
	}
	logger := func(w io.Writer) *slog.Logger {
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: settings.LogLevel}))
	}
	// Only the modes that can stop cleanly take the signals: under the go1
	// runtime, FC's SIGTERM must end the process as it ends any other.
	signalled := func() (context.Context, context.CancelFunc) {
		return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	}
	client := ess.New(ess.Config{Endpoint: settings.ESSEndpoint})
	defer client.Close()

	switch mode {
	case "":
		if getenv("FC_RUNTIME_API") == "" {
			break
		}
		// FC ships stdout to Log Service: one JSON line per invocation.
		fc.Start(fcgo.Handler(handler.New(settings.Handler, client, logger(stdout)))) // never returns
	case "serve":
		log := logger(stdout)
		ln, err := net.Listen("tcp", ":"+strconv.Itoa(settings.ListenPort))
		if err != nil {
			fmt.Fprintln(stderr, "ess-standby serve:", err)
			return 1
		}
		log.Info("listening", "addr", ln.Addr().String())
		ctx, stop := signalled()
		defer stop()
		srv := fcserver.New(handler.New(settings.Handler, client, log), log, stdout)
		if err := fcserver.Serve(ctx, ln, srv, shutdownGrace); err != nil {
			log.Error("server stopped", "err", err.Error())
			return 1
		}
		log.Info("stopped")
		return 0
	case "local":
		event, err := readEvent(args, stdin, defaultEvent)
		if err != nil {
			fmt.Fprintln(stderr, "ess-standby local:", err)
			return 2
		}
		ctx, stop := signalled()
		defer stop()
		// Logs go to stderr, so the report on stdout stays readable.
		return exitCode(console.Local(ctx, settings.Handler, event, stdout, logger(stderr)))
	case "invoke":
		flags := flag.NewFlagSet("invoke", flag.ContinueOnError)
		flags.SetOutput(stderr)
		region := flags.String("region", settings.Handler.Region, "region of the scaling group (default ALIBABA_CLOUD_REGION_ID)")
		dryRun := flags.Bool("dry-run", settings.Handler.DryRun, "decide and report, call nothing that changes state")
		timeout := flags.Duration("timeout", time.Minute, "give up after this long")
		if flags.Parse(args) != nil {
			return 2
		}
		event, err := readEvent(flags.Args(), stdin, nil)
		if err != nil {
			fmt.Fprintln(stderr, "ess-standby invoke:", err)
			return 2
		}
		settings.Handler.Region, settings.Handler.DryRun = *region, *dryRun
		ctx, stop := signalled()
		defer stop()
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		h := handler.New(settings.Handler, client, logger(stderr))
		return exitCode(console.Invoke(ctx, h, event, stdout))
	}
	fmt.Fprint(stderr, usage)
	return 2
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
		return io.ReadAll(io.LimitReader(stdin, handler.MaxPayload+1))
	}
	return os.ReadFile(args[0])
}
