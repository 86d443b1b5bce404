package modes

import (
	"bytes"
	"testing"
)

// A name that is no mode is named, with the nearest mode when one is
// close, and a pointer to help: the 70-line usage buried the mistake.
func TestAnUnknownModeIsNamedWithTheNearest(t *testing.T) {
	const pointer = "\nrun 'ess-standby help' for the modes, their flags and the settings\n"
	tests := []struct {
		name, want string
	}{
		{"locl", `ess-standby: unknown mode "locl"; did you mean "local"?` + pointer},
		{"lcoal", `ess-standby: unknown mode "lcoal"; did you mean "local"?` + pointer}, // a swap is one mistake
		{"LOCAL", `ess-standby: unknown mode "LOCAL"; did you mean "local"?` + pointer},
		{"invok", `ess-standby: unknown mode "invok"; did you mean "invoke"?` + pointer},
		{"polcy", `ess-standby: unknown mode "polcy"; did you mean "policy"?` + pointer},
		{"hlep", `ess-standby: unknown mode "hlep"; did you mean "help"?` + pointer},
		{"srv", `ess-standby: unknown mode "srv"` + pointer}, // two of five letters wrong: too far
		{"frobnicate", `ess-standby: unknown mode "frobnicate"` + pointer},
		{"--region", `ess-standby: unknown mode "--region"` + pointer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code, ok := Run(tt.name, nil, Env{Stderr: &stderr})
			if code != 2 || !ok || stderr.String() != tt.want {
				t.Errorf("Run(%q) = %d, %t, said %q\nwant 2, true, %q", tt.name, code, ok, stderr.String(), tt.want)
			}
		})
	}
	if _, ok := Run("", nil, Env{}); ok {
		t.Error("Run took no mode as one: main answers it")
	}
}
