// Package console runs the modes an operator starts: serve (what FC's
// custom runtime starts), local (one event against an in-process Auto
// Scaling emulator) and invoke (one event against the real API).
//
// Built with -tags fcgo1, as s.yaml builds the function for FC's go1
// runtime, it leaves them out: FC only ever starts that binary in runtime
// mode, and without them it carries no HTTP server and no emulator.
package console

import (
	"io"
	"log/slog"

	"ess-standby/handler/ess"
	"ess-standby/handler/settings"
)

// Env is what main hands the modes: the settings, parsed once, the Auto
// Scaling client, a logger maker and the process's streams.
type Env struct {
	Settings       settings.Settings
	Client         *ess.Client
	Logger         func(io.Writer) *slog.Logger
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	DefaultEvent   []byte // what local runs when given no file
}
