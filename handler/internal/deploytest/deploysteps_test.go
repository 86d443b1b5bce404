package deploytest_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"ess-standby/handler/internal/fctest"
	"ess-standby/handler/settings"
	"ess-standby/handler/trigger"
)

// deploySections are the README's sections whose shell blocks a new user
// pastes, in order, from a clean checkout to a deploy that acts.
var deploySections = []string{"## Deploy, with dry run on", "## Wire each source", "## Turn dry run off"}

// readmeSteps are the sh blocks of those sections, in the README's order.
func readmeSteps(t *testing.T) []string {
	t.Helper()
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, heading := range deploySections {
		_, section, ok := strings.Cut(string(readme), "\n"+heading+"\n")
		if !ok {
			t.Fatalf("the README has no %q", heading)
		}
		if i := strings.Index(section, "\n## "); i >= 0 {
			section = section[:i]
		}
		for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1) {
			blocks = append(blocks, m[1])
		}
	}
	return blocks
}

// A fake aliyun and s record every call, with .env as it stands then; a
// fake go runs `go run . <mode>` as the built binary; a fake openssl makes
// a token. The calls come back in order.
const fakes = `
record() {
  { printf '%s\0' "$(basename "$0")" "$@" | base64 -w0; printf '\n'; cat .env 2>/dev/null | base64 -w0; printf '\n'; } >> "$CALLS"
}
`

var fakeCommands = map[string]string{
	"aliyun": `record "$@"
if [ "$1 $2" = "ram CreateAccessKey" ]; then
  printf '{\n\t"AccessKey": {\n\t\t"AccessKeyId": "LTAIdeployer",\n\t\t"AccessKeySecret": "deployer-secret",\n\t\t"Status": "Active"\n\t},\n\t"RequestId": "r"\n}\n'
fi`,
	"s": `record "$@"
if [ "$1" = info ]; then
  while [ $# -gt 0 ]; do [ "$1" = --output-file ] && out=$2; shift; done
  printf '{\n  "ess-standby": {\n    "triggers": [\n      {\n        "triggerName": "http",\n        "httpTrigger": {\n          "urlInternet": "https://ess-standby-abc.cn-hangzhou.fcapp.run",\n          "urlIntranet": "https://ess-standby-abc.cn-hangzhou-vpc.fcapp.run"\n        }\n      }\n    ]\n  }\n}\n' > "$out"
fi`,
	"go": `[ "$1 $2" = "run ." ] || { echo "fake go: $*" >&2; exit 2; }
shift 2; exec "$ESS_STANDBY_BINARY" "$@"`,
	"openssl": `[ "$*" = "rand -hex 24" ] || exit 2; echo 0123456789abcdef0123456789abcdef0123456789abcdef`,
}

type call struct {
	argv []string
	env  map[string]string // .env when it was made
}

// runSteps runs the README's deploy steps in a fresh directory holding
// what a checkout has there, with the fakes first on PATH, and returns
// the calls and what the steps printed.
func runSteps(t *testing.T, steps []string) ([]call, string) {
	t.Helper()
	work, bin := t.TempDir(), t.TempDir()
	binary, err := fctest.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(work, "deploy"), os.DirFS("../../../deploy")); err != nil {
		t.Fatal(err)
	}
	for name, body := range fakeCommands {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/usr/bin/env bash\nset -eu\n"+fakes+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	calls := filepath.Join(t.TempDir(), "calls")
	script := "set -euo pipefail\n" + strings.Join(steps, "\n")
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = work
	cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "HOME=" + t.TempDir(), "CALLS=" + calls, "ESS_STANDBY_BINARY=" + binary}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's deploy steps fail: %v\n%s", err, out)
	}
	raw, _ := os.ReadFile(calls)
	var recorded []call
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	for i := 0; i+1 < len(lines); i += 2 {
		args, err := base64.StdEncoding.DecodeString(lines[i])
		env, err2 := base64.StdEncoding.DecodeString(lines[i+1])
		if err != nil || err2 != nil {
			t.Fatalf("a call's .env: %v", err)
		}
		argv := strings.Split(strings.TrimSuffix(string(args), "\x00"), "\x00")
		recorded = append(recorded, call{argv: argv, env: dotenv(string(env))})
	}
	return recorded, string(out)
}

// A new user who pastes the README's deploy steps, in order, with their
// region, account and groups as the only inputs, ends with: a role whose
// policy is filled in, a deployer whose policy is filled in and whose key
// is the alias the templates name, the HTTP trigger's token set before the
// first s deploy (the trigger anonymous, so CloudMonitor's callback can
// call it), the callback URL printed with that token, and dry run turned
// off by the last deploy. No call carries a placeholder.
func TestREADMEDeployStepsWork(t *testing.T) {
	steps := readmeSteps(t)
	calls, out := runSteps(t, steps)
	placeholder := regexp.MustCompile(`<[a-z][a-z-]*>|…`)
	var deploys []call
	var policies = map[string]string{}
	for _, c := range calls {
		for _, a := range c.argv {
			if placeholder.MatchString(a) {
				t.Errorf("%q sends a placeholder: %q", strings.Join(c.argv, " "), placeholder.FindString(a))
			}
		}
		if c.argv[0] == "s" && len(c.argv) > 1 && c.argv[1] == "deploy" {
			deploys = append(deploys, c)
		}
		if len(c.argv) > 2 && c.argv[0] == "aliyun" && c.argv[2] == "CreatePolicy" {
			name, doc := flag(c.argv, "--PolicyName"), flag(c.argv, "--PolicyDocument")
			var v any
			if err := json.Unmarshal([]byte(doc), &v); err != nil {
				t.Errorf("policy %s is no JSON: %v\n%s", name, err, doc)
			}
			policies[name] = doc
		}
	}
	if len(deploys) < 2 {
		t.Fatalf("the steps deploy %d times; want a dry-run deploy, then one that acts", len(deploys))
	}
	first, last := deploys[0].env, deploys[len(deploys)-1].env
	// Every input the templates require is in .env before the first deploy.
	for _, path := range templates {
		raw, _ := os.ReadFile(path)
		for _, m := range regexp.MustCompile(`\$\{env\('(\w+)'\)\}`).FindAllStringSubmatch(string(raw), -1) {
			if first[m[1]] == "" {
				t.Errorf("%s requires %s, which .env lacks at the first s deploy", path, m[1])
			}
		}
	}
	// The token is one the function accepts, and the HTTP trigger anonymous.
	if _, err := settings.Load(func(k string) string {
		return map[string]string{"AUTH_TOKEN": first["ESS_STANDBY_AUTH_TOKEN"], "ALLOWED_SCALING_GROUP_IDS": first["ESS_STANDBY_GROUPS"]}[k]
	}); err != nil || first["ESS_STANDBY_AUTH_TOKEN"] == "" {
		t.Errorf("the token the steps make is refused: %v", err)
	}
	for _, path := range templates {
		_, resources := loadTemplate(t, path)
		for _, r := range resources {
			env := r.Props["environmentVariables"].(map[string]any)
			if env["AUTH_TOKEN"] != previewEnv(t)["ESS_STANDBY_AUTH_TOKEN"] {
				t.Errorf("%s: AUTH_TOKEN is %v, not ESS_STANDBY_AUTH_TOKEN", path, env["AUTH_TOKEN"])
			}
			for _, tr := range r.Props["triggers"].([]any) {
				tr := tr.(map[string]any)
				if tr["triggerType"] == "http" && tr["triggerConfig"].(map[string]any)["authType"] != "anonymous" {
					t.Errorf("%s: the HTTP trigger is %v; CloudMonitor's callback cannot sign", path, tr["triggerConfig"])
				}
			}
		}
	}
	// The alarm callback's URL: the trigger's, a route that acts, the token.
	callback := regexp.MustCompile(`https://\S+\?token=\S*`).FindString(out)
	path, token, _ := strings.Cut(strings.TrimPrefix(callback, "https://ess-standby-abc.cn-hangzhou.fcapp.run"), "?token=")
	if _, ok := trigger.RouteOf(path); !ok || token != first["ESS_STANDBY_AUTH_TOKEN"] || !strings.HasPrefix(callback, "https://ess-standby-abc.cn-hangzhou.fcapp.run/") {
		t.Errorf("the steps print the callback %q; want the trigger's URL, an acting path and the token", callback)
	}
	// The role's policy names the groups; the deployer's key is the alias the templates deploy with.
	if p := policies["ess-standby"]; !strings.Contains(p, "acs:ess:cn-hangzhou:1234567890123456:scalinggroup/"+first["ESS_STANDBY_GROUPS"]) {
		t.Errorf("the role's policy is not filled in with the groups:\n%s", p)
	}
	if _, ok := policies["ess-standby-deployer"]; !ok {
		t.Error("the steps make no deployer policy")
	}
	var alias string
	for _, c := range calls {
		if c.argv[0] == "s" && len(c.argv) > 2 && c.argv[1] == "config" {
			alias = flag(c.argv, "--access")
			if flag(c.argv, "--AccessKeyID") != "LTAIdeployer" || flag(c.argv, "--AccessKeySecret") != "deployer-secret" {
				t.Errorf("s config add is not given the deployer's key: %q", c.argv)
			}
		}
	}
	for _, path := range templates {
		vars, _ := loadTemplateDoc(t, path)
		if vars != alias {
			t.Errorf("%s deploys with the alias %q; the steps make %q", path, vars, alias)
		}
	}
	if first["ESS_STANDBY_DRY_RUN"] == "false" || last["ESS_STANDBY_DRY_RUN"] != "false" {
		t.Errorf("dry run: %q at the first deploy, %q at the last; want on, then off", first["ESS_STANDBY_DRY_RUN"], last["ESS_STANDBY_DRY_RUN"])
	}
	if i := slices.IndexFunc(calls, func(c call) bool { return c.argv[0] == "s" && c.argv[1] == "deploy" }); i < 0 ||
		!slices.ContainsFunc(calls[:i], func(c call) bool { return strings.Join(c.argv[:3], " ") == "aliyun ram AttachPolicyToRole" }) {
		t.Error("s deploy comes before the role has its policy")
	}
}

// flag is the value after name in argv.
func flag(argv []string, name string) string {
	if i := slices.Index(argv, name); i >= 0 && i+1 < len(argv) {
		return argv[i+1]
	}
	return ""
}

// loadTemplateDoc is the access alias a template deploys with, as
// Serverless Devs resolves it.
func loadTemplateDoc(t *testing.T, path string) (access, name string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata/preview", filepath.Base(path)+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Access, Name string }
	json.Unmarshal(raw, &doc)
	return doc.Access, doc.Name
}

// The README's exit codes are the binary's: each code its help gives, and
// no other.
func TestREADMEExitCodesAreTheBinarys(t *testing.T) {
	binary, err := fctest.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	help, err := exec.Command(binary, "help").Output()
	if err != nil {
		t.Fatal(err)
	}
	_, codes, _ := strings.Cut(string(help), "\nExit codes:\n")
	codes, _, _ = strings.Cut(codes, "\n\n")
	readme, _ := os.ReadFile("../../../README.md")
	_, table, _ := strings.Cut(string(readme), "**The command's exit codes**")
	table, _, _ = strings.Cut(table, "\n\n## ")
	want := regexp.MustCompile(`(?m)^  (\d)  `).FindAllStringSubmatch(codes, -1)
	got := regexp.MustCompile("(?m)^\\| `(\\d)` \\|").FindAllStringSubmatch(table, -1)
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("the README documents exit codes %q; help %q", got, want)
	}
	for i := range want {
		if got[i][1] != want[i][1] {
			t.Errorf("the README's exit code %s; help's %s", got[i][1], want[i][1])
		}
	}
}
