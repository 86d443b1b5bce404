// Package modes runs the command's modes besides FC's go1 runtime: serve,
// the production server that FC's custom runtime starts through bootstrap,
// and an operator's local (one event against an in-process Auto Scaling
// emulator), invoke (one event against the real API), drill (a simulated
// maintenance for a canary, watched into Standby), policy (a RAM policy
// of deploy/, filled in), status (what is in Standby, and why) and release
// (instances taken back as the function takes them). Each builds the core
// from the settings as its mode needs, and hands it to the handler (status
// and release call the core themselves).
//
// The builds for FC leave out what FC never starts: -tags fcgo1 (the go1
// function, which FC starts in runtime mode) every mode, and so the HTTP
// server; -tags fccustom (the custom runtime, which runs serve) local,
// invoke, drill, policy, status and release, and so the emulator. The
// build with no tags has every mode.
package modes

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"time"

	"ess-standby/handler/ess"
	"ess-standby/handler/settings"
	"ess-standby/handler/standby"
)

// DrillCalls are the drill's calls that only an operator makes, never the
// function: a simulated ECS event for the canary, and the search of the
// function's log. handler/ess's Client makes them.
type DrillCalls interface {
	SimulateEvent(ctx context.Context, s standby.Session, eventType string, instanceIDs []string, notBefore time.Time) ([]string, error)
	SearchLogs(ctx context.Context, s standby.Session, store ess.LogStore, query string, from, to time.Time) ([]ess.LogEntry, error)
}

// Env is what main hands the modes: the settings, parsed once, the cloud
// as the core's ports and as the drill's operator-only calls, a logger
// maker, the process's streams, and the files main embeds.
type Env struct {
	Settings       settings.Settings
	Cloud          standby.Cloud
	Drill          DrillCalls
	Logger         func(io.Writer) *slog.Logger
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	DefaultEvent   []byte // what local runs when given no file
	// Deploy holds deploy/*.json, as deploy/<name>.json, embedded by main:
	// a package below the module's root cannot embed files above it, and
	// policy prints these files, not a copy of them.
	Deploy fs.FS
}
