package build

import (
	"bytes"
	"log/slog"
	"runtime/debug"
	"strings"
	"testing"
)

// A build is its module version and the revision Go stamped, as a line and
// as a log attribute; a build without VCS stamps says its version alone.
func TestInfo(t *testing.T) {
	stamped := &debug.BuildInfo{Main: debug.Module{Path: "ess-standby", Version: "v1.4.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	tests := []struct {
		bi         *debug.BuildInfo
		line, attr string
	}{
		{stamped, "v1.4.0 (0123456789ab, modified)", `"build":{"version":"v1.4.0","revision":"0123456789abcdef0123456789abcdef01234567","modified":true}`},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "(devel)", `"build":{"version":"(devel)"}`},
		{&debug.BuildInfo{}, "unknown", `"build":{"version":"unknown"}`},
	}
	for _, tt := range tests {
		in := of(tt.bi)
		var logs bytes.Buffer
		slog.New(slog.NewJSONHandler(&logs, nil)).LogAttrs(t.Context(), slog.LevelInfo, "x", in.Attr())
		if in.String() != tt.line || !strings.Contains(logs.String(), tt.attr) {
			t.Errorf("%+v: %q, %s; want %q, %s", tt.bi.Main, in.String(), logs.String(), tt.line, tt.attr)
		}
	}
}
