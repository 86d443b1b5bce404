package modes

import (
	"fmt"
	"slices"
	"strings"
)

// mode runs one of the operator's modes with its arguments and returns the
// process's exit code.
type mode func(args []string, env Env) int

// modes are those this build has, each registered by its own file: the
// builds for FC leave out what FC never starts (-tags fcgo1: every mode;
// -tags fccustom: local, invoke, drill, policy, status and release, and
// with them the emulator).
var modes = map[string]mode{}

// allModes are the modes of the build with no tags.
var allModes = []string{"serve", "local", "invoke", "drill", "policy", "status", "release"}

// Run runs a mode with its arguments and returns the process's exit code;
// ok is false only for no name, which main answers (FC's go1 runtime, or
// the usage). A name that is no mode is named, with the nearest one when
// it is close: the usage would bury the mistake. These modes stop
// cleanly, so they take SIGINT and SIGTERM; FC's go1 runtime mode does
// not.
func Run(name string, args []string, env Env) (code int, ok bool) {
	if m, ok := modes[name]; ok {
		return m(args, env), true
	}
	switch {
	case name == "":
		return 0, false
	case slices.Contains(allModes, name):
		fmt.Fprintf(env.Stderr, "ess-standby: %s is not in this build, which serves FC only (built with -tags fcgo1 or fccustom); build without tags for it\n", name)
		return 2, true
	}
	fmt.Fprintf(env.Stderr, "ess-standby: unknown mode %q", name)
	// help is main's, and a mode a tagged build leaves out is still one
	// to name: the build says so when it is asked for.
	if near := nearest(name, append(slices.Clone(allModes), "help")); near != "" {
		fmt.Fprintf(env.Stderr, "; did you mean %q?", near)
	}
	fmt.Fprintln(env.Stderr, "\nrun 'ess-standby help' for the modes, their flags and the settings")
	return 2, true
}

// nearest is the candidate closest to name, by edit distance with
// transpositions counted once (locl, lcoal), when it is close: at most a
// third of the candidate's letters wrong, and at least one. Case is no
// mistake worth counting (LOCAL).
func nearest(name string, candidates []string) string {
	best, bestDist := "", 0
	if len(name) > 64 {
		return "" // no mode's name is anything like it, and the distance costs its length
	}
	for _, c := range candidates {
		d := distance(strings.ToLower(name), c)
		if d <= max(1, len(c)/3) && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// distance is the optimal string alignment distance between a and b: the
// fewest insertions, deletions, substitutions and swaps of neighbours
// that make one the other.
func distance(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}
