//go:build !fcgo1

package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"ess-standby/handler"
	"ess-standby/handler/standby"
)

// Invoke runs event against the real Auto Scaling API with the handler's
// settings (credentials from the environment), prints the answer, and
// returns the outcome's error, if any.
func Invoke(ctx context.Context, h *handler.Handler, event []byte, out io.Writer) error {
	inv := standby.Invocation{RequestID: "cli-" + time.Now().UTC().Format("20060102T150405.000")}
	outcome := h.Invoke(ctx, inv, event)
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
