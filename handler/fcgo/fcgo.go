// Package fcgo adapts the function to FC's built-in go1 runtime, which
// fc-runtime-go-sdk's fc.Start drives: it reads the invocation's request ID,
// region and credentials from fccontext, and shapes the outcome the way FC
// expects it.
package fcgo

import (
	"bytes"
	"context"
	"encoding/json"

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
		out := h.Invoke(ctx, Invocation(ctx), bytes.NewReader(payload))
		if body, failed := out.EventReply(); !failed {
			return body, nil
		}
		return nil, messages.InvokeResponse_Error{Message: out.Err.Error(), Type: out.Err.Code}
	}
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
