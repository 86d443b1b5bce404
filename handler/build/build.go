// Package build says which build is running: the module's version and the
// VCS revision Go stamped into the binary, so that every log line names
// what acted and a rollback can be checked by its lines.
package build

import (
	"log/slog"
	"runtime/debug"
)

// Info is a build's identity.
type Info struct {
	Version  string `json:"version"`            // the module's: a tag, a pseudo-version, or (devel)
	Revision string `json:"revision,omitempty"` // the commit it was built from, when Go stamped one
	Time     string `json:"time,omitempty"`     // the commit's time
	Modified bool   `json:"modified,omitempty"` // built from a tree with changes not committed
}

// Current is the running binary's build.
func Current() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: "unknown"}
	}
	return of(bi)
}

func of(bi *debug.BuildInfo) Info {
	in := Info{Version: bi.Main.Version}
	if in.Version == "" {
		in.Version = "unknown"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Revision = s.Value
		case "vcs.time":
			in.Time = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		}
	}
	return in
}

// String is the build in a line: "v1.2.0 (0123456789ab)", "(devel)
// (0123456789ab, modified)".
func (in Info) String() string {
	s := in.Version
	if in.Revision == "" {
		return s
	}
	rev := in.Revision
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if in.Modified {
		rev += ", modified"
	}
	return s + " (" + rev + ")"
}

// Attr is the build as a log attribute, for every line.
func (in Info) Attr() slog.Attr {
	attrs := []any{slog.String("version", in.Version)}
	if in.Revision != "" {
		attrs = append(attrs, slog.String("revision", in.Revision))
	}
	if in.Modified {
		attrs = append(attrs, slog.Bool("modified", true))
	}
	return slog.Group("build", attrs...)
}
