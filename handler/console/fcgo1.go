//go:build fcgo1

package console

import "fmt"

// Run says that the modes are not in this build.
func Run(mode string, _ []string, env Env) (code int, ok bool) {
	switch mode {
	case "serve", "local", "invoke":
		fmt.Fprintf(env.Stderr, "ess-standby: %s is not in this build, which serves only FC's go1 runtime (built with -tags fcgo1); build without the tag for it\n", mode)
		return 2, true
	}
	return 0, false
}
