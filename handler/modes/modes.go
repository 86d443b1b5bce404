package modes

import (
	"fmt"
	"slices"
)

// mode runs one of the operator's modes with its arguments and returns the
// process's exit code.
type mode func(args []string, env Env) int

// modes are those this build has, each registered by its own file: the
// builds for FC leave out what FC never starts (-tags fcgo1: every mode;
// -tags fccustom: local, invoke and drill, and with them the emulator).
var modes = map[string]mode{}

// allModes are the modes of the build with no tags.
var allModes = []string{"serve", "local", "invoke", "drill"}

// Run runs a mode with its arguments and returns the process's exit code;
// ok is false for a name that is no mode at all. These modes stop cleanly,
// so they take SIGINT and SIGTERM; FC's go1 runtime mode does not.
func Run(name string, args []string, env Env) (code int, ok bool) {
	if m, ok := modes[name]; ok {
		return m(args, env), true
	}
	if slices.Contains(allModes, name) {
		fmt.Fprintf(env.Stderr, "ess-standby: %s is not in this build, which serves FC only (built with -tags fcgo1 or fccustom); build without tags for it\n", name)
		return 2, true
	}
	return 0, false
}
