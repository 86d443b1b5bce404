//go:build !fcgo1

package modes

import (
	"errors"
	"flag"
)

// parseFlags parses a mode's flags; ok is false when the mode is to stop
// with code: 0 once -h or --help has printed them (what was asked for), 2
// once the flag package has named a mistake.
func parseFlags(flags *flag.FlagSet, args []string) (code int, ok bool) {
	switch err := flags.Parse(args); {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		return 0, false
	}
	return 2, false
}
