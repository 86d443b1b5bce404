package fctest

import (
	"os"
	"path/filepath"
	"testing"
)

// Sample is a file of events/: a payload as the cloud delivers it.
type Sample struct {
	Name    string // its file name
	Payload []byte
}

// Samples reads every file of dir (the repository's events/, relative to
// the test), in name order; there must be some.
func Samples(tb testing.TB, dir string) []Sample {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no samples in %s: %v", dir, err)
	}
	var out []Sample
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, Sample{Name: filepath.Base(p), Payload: raw})
	}
	return out
}
