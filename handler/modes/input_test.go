//go:build !fcgo1 && !fccustom

package modes

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A FILE local or invoke cannot read is named, with why, before the
// function sees anything; one that is empty says so, not that it is no
// JSON object.
func TestReadEventNamesWhatCannotBeRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	empty, blank, locked := write("empty.json", "", 0o644), write("blank.json", "\n  \n", 0o644), write("locked.json", "{}", 0)
	missing := filepath.Join(dir, "missing.json")
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string
		root  bool // root reads what its mode forbids: the case cannot fail as root
	}{
		{"missing", []string{missing}, "", "cannot read " + missing + ": there is no such file", false},
		{"a directory", []string{dir}, "", "cannot read " + dir + ": it is a directory; name an event's file, such as events/direct-request.json", false},
		{"permission", []string{locked}, "", "cannot read " + locked + ": permission denied", true},
		{"empty", []string{empty}, "", empty + " is empty: want an event as the function receives it (see events/)", false},
		{"blank", []string{blank}, "", blank + " is empty: want an event as the function receives it (see events/)", false},
		{"empty stdin", []string{"-"}, "", "stdin is empty: want an event as the function receives it (see events/)", false},
		{"two files", []string{empty, blank}, "", "want one event: a file, or - for stdin", false},
		{"endless", []string{"/dev/zero"}, "", "/dev/zero: the event is larger than 1 MiB", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root && os.Geteuid() == 0 {
				t.Skip("root reads a file of mode 0")
			}
			_, err := readEvent(tt.args, strings.NewReader(tt.stdin), nil)
			if err == nil || err.Error() != tt.want {
				t.Errorf("readEvent(%v) = %v\nwant %s", tt.args, err, tt.want)
			}
		})
	}
	// As root, a file of mode 0 is read: what the open would say is
	// checked on its own.
	denied := &fs.PathError{Op: "open", Path: locked, Err: fs.ErrPermission}
	if err := cannotOpen(locked, denied); err.Error() != "cannot read "+locked+": permission denied" {
		t.Errorf("cannotOpen(%v) = %v", denied, err)
	}
	if err := cannotOpen(locked, &fs.PathError{Op: "open", Path: locked, Err: syscall.ELOOP}); err.Error() != "cannot read "+locked+": "+syscall.ELOOP.Error() {
		t.Errorf("cannotOpen, another error: %v", err)
	}
	if got, err := readEvent([]string{"-"}, strings.NewReader(`{"InstanceId":"i-a"}`), nil); err != nil || string(got) != `{"InstanceId":"i-a"}` {
		t.Errorf("readEvent(-) = %q, %v", got, err)
	}
}
