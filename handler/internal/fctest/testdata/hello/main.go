// Command hello is the floor of the cold-start and memory measurements: an
// fc.Start function that answers at once, built as ess-standby is.
package main

import (
	"context"
	"encoding/json"

	"github.com/aliyun/fc-runtime-go-sdk/fc"
)

func main() {
	fc.Start(func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{"ok":true}`), nil
	})
}
