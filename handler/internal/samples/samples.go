package samples

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Sample is a file of events/: a payload as the cloud delivers it, and
// what it must lead to.
type Sample struct {
	Name    string // its file name
	Payload []byte
	Expect  Expectation
}

// All reads every file of events/, in name order, each with its
// expectation. It fails the test when there is none, when a file has no
// expectation, or when an expectation has no file: the table and the
// directory are one.
func All(tb testing.TB) []Sample {
	tb.Helper()
	all := Match(tb, "*.json")
	var names []string
	for _, s := range all {
		names = append(names, s.Name)
	}
	for name := range expected {
		if !slices.Contains(names, name) {
			tb.Errorf("samples expects events/%s, which does not exist", name)
		}
	}
	return all
}

// Match reads the files of events/ whose names match pattern (as in
// filepath.Match), in name order, each with its expectation. It fails the
// test when none matches, or when one has no expectation.
func Match(tb testing.TB, pattern string) []Sample {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(dir(tb), pattern))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no file of events/ matches %q: %v", pattern, err)
	}
	var out []Sample
	for _, p := range paths {
		name := filepath.Base(p)
		e, ok := expected[name]
		if !ok {
			tb.Errorf("events/%s has no expectation in package samples", name)
		}
		out = append(out, Sample{Name: name, Payload: read(tb, p), Expect: e})
	}
	return out
}

// Read reads one file of events/, failing the test when it is missing.
func Read(tb testing.TB, name string) []byte {
	tb.Helper()
	return read(tb, filepath.Join(dir(tb), name))
}

func read(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("reading a sample: %v", err)
	}
	return b
}

// dir is the repository's events/: a test runs in its package's directory,
// somewhere below the module's root.
func dir(tb testing.TB) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if mod, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && strings.HasPrefix(string(mod), "module ess-standby\n") {
			return filepath.Join(d, "events")
		}
		if filepath.Dir(d) == d {
			tb.Fatalf("no ess-standby module above %s", wd)
		}
	}
}
