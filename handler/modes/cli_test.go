//go:build !fcgo1 && !fccustom

package modes_test

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"ess-standby/handler/essemu"
	"ess-standby/handler/internal/fctest"
	"ess-standby/handler/settings"
)

var binary string

func TestMain(m *testing.M) { fctest.Main(m, &binary) }

// run runs the binary with only the given environment.
func run(t *testing.T, env []string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&out, fctest.Logs()), io.MultiWriter(&errOut, fctest.Logs())
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode(), out.String(), errOut.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errOut.String()
}

const request = `{"ScalingGroupId":"asg-bp1fo0dbtsbmqa9h5dl3","InstanceIds":["i-bp1ecr7go2go9kq3m1a"]}`

func TestInvokeAgainstTheEmulator(t *testing.T) {
	key := essemu.Key{ID: "LTAI5tCliOperatorKey01", Secret: fctest.Secret("cli-secret-value")} // an operator's AccessKey: no token
	emu := essemu.NewServer([]essemu.Key{key}, essemu.SampleFleet()...)
	defer emu.Close()
	env := []string{"ESS_ENDPOINT=" + emu.URL, "ECS_ENDPOINT=" + emu.URL, "ECI_ENDPOINT=" + emu.URL, "ALIBABA_CLOUD_ACCESS_KEY_ID=" + key.ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + key.Secret}

	code, out, errOut := run(t, env, request, "invoke", "--region", "cn-hangzhou", "--dry-run", "-")
	if code != 0 || !strings.Contains(out, `"DryRun": true`) || len(emu.Activities()) != 0 {
		t.Errorf("invoke --dry-run: exit %d, %d activities\n%s%s", code, len(emu.Activities()), out, errOut)
	}
	code, out, errOut = run(t, env, request, "invoke", "--region", "cn-hangzhou", "-")
	if code != 0 || !strings.Contains(out, `"ScalingActivityId": "asa-`) {
		t.Errorf("invoke: exit %d\n%s%s", code, out, errOut)
	}
	if in, _ := emu.Instance("i-bp1ecr7go2go9kq3m1a"); in.LifecycleState != essemu.Standby {
		t.Errorf("the instance is %s after invoke", in.LifecycleState)
	}
	if strings.Contains(out+errOut, key.Secret) {
		t.Error("the CLI printed the secret")
	}
}

func TestInvokeFailsClearly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	creds := []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tNowhere", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + fctest.Secret("nowhere-secret")}
	tests := []struct {
		name     string
		env      []string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"no credentials", []string{"ESS_ENDPOINT=" + closed}, []string{"invoke", "--region", "cn-hangzhou", "-"}, 1, "MissingCredentials"},
		{"unreachable endpoint", append([]string{"ESS_ENDPOINT=" + closed}, creds...), []string{"invoke", "--region", "cn-hangzhou", "--timeout", "2s", "-"}, 1, "Auto Scaling is unreachable"},
		{"no region", creds, []string{"invoke", "-"}, 1, "RegionId: the request names no region"},
		{"two files", creds, []string{"invoke", "a.json", "b.json"}, 2, ""},
		{"unknown flag", creds, []string{"invoke", "--profile", "x", "-"}, 2, ""},
		{"bad setting", []string{"LOG_LEVEL=loud"}, []string{"invoke", "-"}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, tt.env, request, tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) {
				t.Errorf("exit %d, want %d with %q\nstdout: %s\nstderr: %s", code, tt.wantCode, tt.wantOut, out, errOut)
			}
			if strings.Contains(out+errOut, "nowhere-secret") {
				t.Error("the CLI printed the secret")
			}
		})
	}
}

// help documents every mode, flag and setting, and the exit codes; it
// names the program as its operator types it.
func TestHelpDocumentsEverything(t *testing.T) {
	code, out, _ := run(t, nil, "", "help")
	if code != 0 {
		t.Fatalf("help exited %d", code)
	}
	want := []string{"FC_RUNTIME_API", "serve", "local", "invoke", "drill", "policy", "--instance", "--region", "--dry-run", "--timeout",
		"--account", "--group", "--log-project", "--logstore", "Exit codes:\n  0  success", "\n  1  the event or the drill failed", "\n  2  usage or settings"}
	for _, name := range append(want, settings.Names...) {
		if name != "DEBUG" && !strings.Contains(out, name) {
			t.Errorf("help does not mention %s", name)
		}
	}
	for _, mode := range []string{"serve", "local", "invoke", "drill", "policy", "help"} {
		if !strings.Contains(out, "\n  ess-standby "+mode) {
			t.Errorf("help does not show ess-standby %s", mode)
		}
	}
	if self := regexp.MustCompile(`\bmain (serve|local|invoke|drill|policy|help)\b`).FindString(out); self != "" {
		t.Errorf("help calls the program main: %q", self)
	}
	if code, out, errOut := run(t, nil, "", "frobnicate"); code != 2 || out != "" || strings.Contains(errOut, "Modes:") || !strings.Contains(errOut, `unknown mode "frobnicate"`) {
		t.Errorf("an unknown mode exited %d with %q; want 2, naming it, without the usage", code, errOut)
	}
	if code, _, errOut := run(t, nil, "", "locl"); code != 2 || !strings.Contains(errOut, `did you mean "local"?`) {
		t.Errorf("locl exited %d with %q", code, errOut)
	}
}

// The exit codes help documents, mode by mode, as the built binary
// returns them.
func TestExitCodesAreAsDocumented(t *testing.T) {
	dir := t.TempDir()
	malformed, empty := filepath.Join(dir, "malformed.json"), filepath.Join(dir, "empty.json")
	if os.WriteFile(malformed, []byte("{\n  \"InstanceIds\": [\"i-bp1ecr7go2go9kq3m1a\"],\n}\n"), 0o644) != nil || os.WriteFile(empty, nil, 0o644) != nil {
		t.Fatal("cannot write the events")
	}
	creds := []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tNowhere", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + fctest.Secret("nowhere-secret")}
	policy := []string{"policy", "function", "--region", "cn-hangzhou", "--account", "1234567890123456", "--group", "asg-bp1fo0dbtsbmqa9h5dl3"}
	tests := []struct {
		name     string
		env      []string
		args     []string
		wantCode int
		wantOut  string
		inStderr bool // wantOut is said on stderr, not printed on stdout
	}{
		{"help", nil, []string{"help"}, 0, "Exit codes:", false},
		{"-h", nil, []string{"-h"}, 0, "Exit codes:", false},
		{"a mode's -h", nil, []string{"local", "-h"}, 0, "-now", true},
		{"local, an event acted on", nil, []string{"local"}, 0, "InService -> Standby", false},
		{"local, an event ignored", nil, []string{"local", "../../events/eventbridge-ecs-stale.json"}, 0, `"Ignored": "the event is 2h27m20s old`, false},
		{"local, an event refused", nil, []string{"local", "../../events/direct-request-invalid.json"}, 1, "invocation failed: InvalidParameter", false},
		{"local, malformed JSON: where, alone", nil, []string{"local", malformed}, 1,
			`"Message": "request: is not valid JSON: invalid character '}' looking for beginning of object key string, at line 3, column 1: send the request JSON, or an event this function reads (see README)"`, false},
		{"local, an empty file", nil, []string{"local", empty}, 2, empty + " is empty", true},
		{"local, no such file", nil, []string{"local", filepath.Join(dir, "nothing.json")}, 2, "there is no such file", true},
		{"local, a directory", nil, []string{"local", dir}, 2, "it is a directory", true},
		{"invoke, an empty stdin", creds, []string{"invoke", "-"}, 2, "stdin is empty", true},
		{"policy printed", nil, policy, 0, "scalinggroup/asg-bp1fo0dbtsbmqa9h5dl3", false},
		{"policy, a flag missing", nil, policy[:6], 2, "--group is missing", true},
		{"drill without credentials", nil, []string{"drill", "--instance", "i-a", "--region", "cn-hangzhou"}, 2, "ALIBABA_CLOUD_ACCESS_KEY_ID", true},
		{"serve with an argument", nil, []string{"serve", "now"}, 2, "takes no arguments", true},
		{"no mode", nil, nil, 2, "Exit codes:", true},
		{"a setting that does not parse", []string{"MAX_EVENT_AGE=soon"}, []string{"local"}, 2, "MAX_EVENT_AGE", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, tt.env, "", tt.args...)
			where := out
			if tt.inStderr {
				where = errOut
			}
			if code != tt.wantCode || !strings.Contains(where, tt.wantOut) {
				t.Errorf("exit %d, want %d with %q\nstdout: %s\nstderr: %s", code, tt.wantCode, tt.wantOut, out, errOut)
			}
		})
	}
}

// local reads at most 1 MiB of a file, as the function takes: an endless
// one is refused, not read into memory.
func TestLocalReadsABoundedFile(t *testing.T) {
	code, out, errOut := run(t, nil, "", "local", "/dev/zero")
	if code != 2 || !strings.Contains(errOut, "larger than 1 MiB") {
		t.Errorf("local /dev/zero: exit %d\n%s%s", code, out, errOut)
	}
}
