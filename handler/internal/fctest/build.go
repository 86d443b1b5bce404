package fctest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The build tags of the binaries FC runs, as the templates build them:
// Go1Tag for FC's go1 runtime (no operator mode at all), CustomTag for the
// custom runtime (serve only: no local or invoke, and so no emulator). Tests
// of each runtime build with its tag; see handler/modes.
const (
	Go1Tag    = "fcgo1"
	CustomTag = "fccustom"
)

// Build lays out the function's code directory in dir as FC runs it: the
// ess-standby binary, named main, built with tags, and the repository's
// bootstrap beside it. It returns the binary's path. Under go test -race the binary is built with
// -race too, so races in the real process fail the tests.
func Build(dir string, tags ...string) (string, error) {
	binary := filepath.Join(dir, "main")
	// -buildvcs=auto, as s.yaml builds it (a machine's GOFLAGS may say
	// false): the binary names its commit in every log line.
	args := []string{"build", "-buildvcs=auto", "-o", binary, "-tags=" + strings.Join(tags, ",")}
	if race {
		args = append(args, "-race")
	}
	if out, err := exec.Command("go", append(args, "ess-standby")...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("building ess-standby: %v\n%s", err, out)
	}
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module: %v", err)
	}
	script, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(root)), "bootstrap"))
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "bootstrap"), script, 0o755)
	}
	return binary, err
}

// Main is a TestMain for tests of the built function: it builds the code
// directory with tags, sets *binary to the binary's path, runs the tests, checks the
// logs for credentials (CheckSecrets), and cleans up.
func Main(m *testing.M, binary *string, tags ...string) {
	dir, err := os.MkdirTemp("", "ess-standby-test")
	if err == nil {
		*binary, err = Build(dir, tags...)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := CheckSecrets(m.Run())
	os.RemoveAll(dir)
	os.Exit(code)
}
