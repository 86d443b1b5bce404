package handler_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The layout holds: the core and the decoders import neither cloud SDK,
// the function layer no FC package; only handler/ess imports Auto
// Scaling's SDK. The path runs down once: a runtime adapter imports the
// handler, never the decoders or its sibling adapter; only the wiring
// (main, and the modes it starts) builds the core. What is under
// handler/internal/ serves tests only: no production package imports it.
func TestLayers(t *testing.T) {
	for pkg, forbidden := range map[string][]string{
		"ess-standby/handler/standby": {"github.com/aliyun/", "ess-standby/handler/trigger", "ess-standby/handler/ess", "net/http"},
		"ess-standby/handler/trigger": {"github.com/aliyun/", "ess-standby/handler/ess"},
		"ess-standby/handler":         {"github.com/aliyun/"},
	} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		for dep := range strings.Lines(string(out)) {
			for _, f := range forbidden {
				if strings.HasPrefix(strings.TrimSpace(dep), f) {
					t.Errorf("%s depends on %s", pkg, strings.TrimSpace(dep))
				}
			}
		}
	}
	direct := map[string][]string{ // imports no build may make
		"ess-standby/handler/fcserver": {"ess-standby/handler/trigger", "ess-standby/handler/fcgo", "ess-standby/handler/ess"},
		"ess-standby/handler/fcgo":     {"ess-standby/handler/trigger", "ess-standby/handler/fcserver", "ess-standby/handler/ess"},
		"ess-standby/handler":          {"ess-standby/handler/ess", "ess-standby/handler/fcgo", "ess-standby/handler/fcserver"},
	}
	const testOnly = "ess-standby/handler/internal/"
	for _, tags := range []string{"", "fcgo1", "fccustom"} {
		out, err := exec.Command("go", "list", "-tags", tags, "-f", `{{.ImportPath}} {{join .Imports " "}}`, "ess-standby/...").CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		for line := range strings.Lines(string(out)) {
			fields := strings.Fields(line)
			pkg, imports := fields[0], fields[1:]
			if strings.Contains(line, "alibaba-cloud-sdk-go") && pkg != "ess-standby/handler/ess" {
				t.Errorf("%s imports Auto Scaling's SDK; only handler/ess may", pkg)
			}
			for _, imp := range imports {
				if strings.HasPrefix(imp, testOnly) && !strings.HasPrefix(pkg, testOnly) {
					t.Errorf("%s (tags %q) imports %s, a package for tests only", pkg, tags, imp)
				}
			}
			for _, f := range direct[pkg] {
				if slices.Contains(imports, f) {
					t.Errorf("%s (tags %q) imports %s", pkg, tags, f)
				}
			}
		}
	}
	// The core is built where the settings are: never below the wiring.
	out, err := exec.Command("grep", "-rln", "--include=*.go", "--exclude=*_test.go", `standby\.New(`, ".").CombinedOutput()
	if err != nil && len(out) > 0 {
		t.Fatalf("grep: %v\n%s", err, out)
	}
	for file := range strings.Lines(string(out)) {
		if file = strings.TrimSpace(file); !strings.HasPrefix(file, "./modes/") {
			t.Errorf("%s builds the core; only main and the modes it starts may", file)
		}
	}
}
