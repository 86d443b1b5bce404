package fctest

import (
	"fmt"
	"os/exec"
	"path/filepath"
)

// Build builds the ess-standby binary into dir as FC runs it, named main,
// and returns its path. Under go test -race the binary is built with -race
// too, so races in the real process fail the tests.
func Build(dir string) (string, error) {
	binary := filepath.Join(dir, "main")
	args := []string{"build", "-o", binary}
	if race {
		args = append(args, "-race")
	}
	if out, err := exec.Command("go", append(args, "ess-standby")...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("building ess-standby: %v\n%s", err, out)
	}
	return binary, nil
}
