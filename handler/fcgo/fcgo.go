// Package fcgo adapts the function to FC's built-in go1 runtime, which
// fc-runtime-go-sdk's fc.Start drives: it reads the invocation's request ID,
// region and credentials from fccontext, and shapes the outcome the way FC
// expects it.
package fcgo

import (
	"context"
	"encoding/json"

	fcevents "github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fc/messages"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"ess-standby/handler"
	"ess-standby/handler/standby"
)

// Handler returns the function for fc.Start. It takes the raw payload, so
// that no event fails to unmarshal before the handler can name the problem.
// An HTTP trigger's request is answered with an HTTP response, whatever its
// status. Any other failed invocation returns the error in FC's own shape,
// with the error code as its type, so FC records it and async retries and
// failure destinations apply.
func Handler(h *handler.Handler) func(context.Context, []byte) (json.RawMessage, error) {
	return func(ctx context.Context, payload []byte) (json.RawMessage, error) {
		out := h.Invoke(ctx, Invocation(ctx), payload)
		if body, failed := EventAnswer(out); !failed {
			return body, nil
		}
		return nil, messages.InvokeResponse_Error{Message: out.Err.Error(), Type: out.Err.Code}
	}
}

// EventAnswer is what an event invocation answers, and whether it failed.
// An HTTP trigger's request, which FC delivers to the go1 runtime as an
// event, is answered with an HTTP response in FC's shape, whatever its
// status: fc-runtime-go-sdk's events.HTTPTriggerResponse has exactly FC's
// four keys.
func EventAnswer(out handler.Outcome) (body []byte, failed bool) {
	if !out.HTTP {
		return out.Body, out.Err != nil
	}
	b, err := json.Marshal(fcevents.HTTPTriggerResponse{
		StatusCode: out.Status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(out.Body),
	})
	if err != nil {
		panic("fcgo: an HTTP response does not marshal: " + err.Error()) // a struct of strings always does
	}
	return b, false
}

// Invocation reads what FC tells about the invocation from its context.
func Invocation(ctx context.Context) standby.Invocation {
	fctx, ok := fccontext.FromContext(ctx)
	if !ok {
		return standby.Invocation{}
	}
	return standby.Invocation{
		RequestID:  fctx.RequestID,
		Region:     fctx.Region,
		RetryCount: fctx.RetryCount,
		Credentials: standby.Credentials{
			AccessKeyID:     fctx.Credentials.AccessKeyId,
			AccessKeySecret: fctx.Credentials.AccessKeySecret,
			SecurityToken:   fctx.Credentials.SecurityToken,
		},
	}
}
