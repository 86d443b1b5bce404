//go:build !fcgo1 && !fccustom

package modes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"syscall"
	"time"

	"ess-standby/handler"
	"ess-standby/handler/standby"
)

func init() { modes["invoke"] = invoke }

// invoke runs one event against the real Auto Scaling API, with the
// credentials of the environment.
func invoke(args []string, env Env) int {
	settings := env.Settings
	flags := flag.NewFlagSet("invoke", flag.ContinueOnError)
	flags.SetOutput(env.Stderr)
	region := flags.String("region", settings.Standby.Region, "region of the scaling group (default ALIBABA_CLOUD_REGION_ID)")
	dryRun := flags.Bool("dry-run", settings.Standby.DryRun, "decide and report, call nothing that changes state")
	timeout := flags.Duration("timeout", time.Minute, "give up after this long")
	if code, ok := parseFlags(flags, args); !ok {
		return code
	}
	event, err := readEvent(flags.Args(), env.Stdin, nil)
	if err != nil {
		fmt.Fprintln(env.Stderr, "ess-standby invoke:", err)
		return 2
	}
	settings.Standby.Region, settings.Standby.DryRun = *region, *dryRun
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	h := handler.New(settings.Handler, standby.New(settings.Standby, env.Cloud), env.Logger(env.Stderr))
	return exitCode(Invoke(ctx, h, event, env.Stdout))
}

func exitCode(err error) int {
	if err != nil {
		return 1
	}
	return 0
}

// readEvent reads the event named by args: a file, - for stdin, or the
// fallback when there is none and one is allowed. At most 1 MiB is read,
// as the function takes: `local /dev/zero` stops there. What cannot be
// read is named, with why, before the function sees anything: the
// function would answer only that it is no JSON.
func readEvent(args []string, stdin io.Reader, fallback []byte) ([]byte, error) {
	switch {
	case len(args) == 0 && fallback != nil:
		return fallback, nil
	case len(args) != 1:
		return nil, fmt.Errorf("want one event: a file, or - for stdin")
	case args[0] == "-":
		return readFrom("stdin", stdin)
	}
	path := args[0]
	f, err := os.Open(path)
	if err != nil {
		return nil, cannotOpen(path, err)
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.IsDir() {
		return nil, fmt.Errorf("cannot read %s: it is a directory; name an event's file, such as events/direct-request.json", path)
	}
	return readFrom(path, f)
}

// cannotOpen says why path could not be opened, in words: the open's own
// error repeats the path behind "open".
func cannotOpen(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("cannot read %s: there is no such file", path)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("cannot read %s: permission denied", path)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("cannot read %s: %v", path, err)
}

// readFrom reads an event from r, named what.
func readFrom(what string, r io.Reader) ([]byte, error) {
	b, err := handler.ReadPayload(r)
	var e *standby.Error
	switch {
	case err == nil && len(bytes.TrimSpace(b)) == 0:
		return nil, fmt.Errorf("%s is empty: want an event as the function receives it (see events/)", what)
	case err == nil:
		return b, nil
	case errors.As(err, &e) && e.Cause != nil:
		return nil, fmt.Errorf("cannot read %s: %v", what, e.Cause)
	}
	return nil, fmt.Errorf("%s: %s", what, standby.AsError(err).Message)
}

// Invoke runs event against the real Auto Scaling API with the handler's
// settings (credentials from the environment), prints the answer, and
// returns the outcome's error, if any.
func Invoke(ctx context.Context, h *handler.Handler, event []byte, out io.Writer) error {
	inv := standby.Invocation{RequestID: "cli-" + time.Now().UTC().Format("20060102T150405.000")}
	outcome := h.Invoke(ctx, inv, bytes.NewReader(event))
	printOutcome(out, outcome)
	return failure(outcome)
}

// printOutcome shows an answer the way its caller would get it.
func printOutcome(out io.Writer, outcome handler.Outcome) {
	var pretty bytes.Buffer
	if json.Indent(&pretty, outcome.Body, "", "  ") != nil {
		pretty.Write(outcome.Body)
	}
	switch {
	case outcome.HTTP:
		fmt.Fprintf(out, "answer (HTTP trigger, status %d):\n%s\n", outcome.Status, pretty.Bytes())
	case outcome.Err != nil:
		fmt.Fprintf(out, "invocation failed: %s\n%s\n", outcome.Err, pretty.Bytes())
	default:
		fmt.Fprintf(out, "answer:\n%s\n", pretty.Bytes())
	}
}

// failure is the outcome's error, or nil: a nil *handler.Error must not
// become a non-nil error.
func failure(o handler.Outcome) error {
	if o.Err == nil {
		return nil
	}
	return o.Err
}
