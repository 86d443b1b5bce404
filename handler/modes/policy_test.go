//go:build !fcgo1 && !fccustom

package modes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// repo is the repository's root, where main embeds deploy/*.json from:
// the tests read the files themselves, whatever actions they grant today.
var repo = os.DirFS("../..")

// every is all the flags any policy needs, two groups among them.
var every = []string{"--region", "cn-hangzhou", "--account", "1234567890123456", "--group", "asg-bp1aaa", "--group", "asg-bp1bbb",
	"--log-project", "serverless-cn-hangzhou-5c1e0f4a", "--logstore", "fc-logs"}

// runPolicy runs the mode over files and returns its exit code and output.
func runPolicy(files fs.FS, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = policy(args, Env{Deploy: files, Stdout: &out, Stderr: &errOut})
	return code, out.String(), errOut.String()
}

// strings of a JSON value, in order.
func stringsOf(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, stringsOf(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for k, e := range v {
			out = append(out, k)
			out = append(out, stringsOf(e)...)
		}
		return out
	}
	return nil
}

// Each policy of deploy/, filled: valid JSON, indented, no placeholder
// left, and each string that named the group once now one per group, in
// the order given, side by side.
func TestPolicyFillsEachFile(t *testing.T) {
	for _, name := range policyNames {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := runPolicy(repo, append([]string{name}, every...)...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var doc any
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			if !strings.HasPrefix(out, "{\n  \"") || !strings.HasSuffix(out, "}\n") {
				t.Errorf("not indented JSON ending in a newline:\n%s", out)
			}
			got := stringsOf(doc)
			for _, s := range got {
				if placeholder.MatchString(s) || strings.ContainsAny(s, "<>") {
					t.Errorf("%q is left unfilled", s)
				}
			}
			if !strings.Contains(out, ":1234567890123456:") {
				t.Errorf("no ARN names the account:\n%s", out)
			}
			// What the file names by placeholder, the output names filled.
			raw, err := fs.ReadFile(repo, policyFiles[name])
			if err != nil {
				t.Fatal(err)
			}
			var src any
			if err := json.Unmarshal(raw, &src); err != nil {
				t.Fatal(err)
			}
			r := strings.NewReplacer("<region>", "cn-hangzhou", "<account-id>", "1234567890123456",
				"<log-project>", "serverless-cn-hangzhou-5c1e0f4a", "<logstore>", "fc-logs")
			for _, s := range stringsOf(src) {
				if !strings.Contains(s, groupPlaceholder) {
					if !slices.Contains(got, r.Replace(s)) {
						t.Errorf("%q is not in the output as %q", s, r.Replace(s))
					}
					continue
				}
				a, b := r.Replace(strings.ReplaceAll(s, groupPlaceholder, "asg-bp1aaa")), r.Replace(strings.ReplaceAll(s, groupPlaceholder, "asg-bp1bbb"))
				if i := slices.Index(got, a); i < 0 || i+1 >= len(got) || got[i+1] != b {
					t.Errorf("%q is not two ARNs, %s then %s:\n%s", s, a, b, out)
				}
			}
		})
	}
	// The function's policy names the groups: without that, it grants
	// nothing a function could use, and this test would prove nothing.
	if raw, _ := fs.ReadFile(repo, policyFiles["function"]); !bytes.Contains(raw, []byte(groupPlaceholder)) {
		t.Errorf("%s names no %s", policyFiles["function"], groupPlaceholder)
	}
}

// The rules over files of any content: a Resource that is one string
// becomes as many strings as groups; one group keeps it a string; the
// file's order of keys is kept; --group takes commas; the name may come
// after the flags; a placeholder no flag fills is never printed.
func TestPolicyFillsAnyFile(t *testing.T) {
	files := fstest.MapFS{
		"deploy/function-policy.json": {Data: []byte(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"ess:X","Resource":"acs:ess:<region>:<account-id>:scalinggroup/<scaling-group-id>","Condition":{"Bool":{"k":true}},"N":1.50}]}`)},
		"deploy/drill-policy.json":    {Data: []byte(`{"Statement":[{"Resource":["acs:x:<region>:<account-id>:thing/<thing-id>"]}]}`)},
		"deploy/deployer-policy.json": {Data: []byte(`{"Statement": [`)},
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string // stdout compacted, or a line of stderr
	}{
		{"two groups", []string{"function", "--region", "cn-beijing", "--account", "1", "--group", "asg-a,asg-b"}, 0,
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"ess:X","Resource":["acs:ess:cn-beijing:1:scalinggroup/asg-a","acs:ess:cn-beijing:1:scalinggroup/asg-b"],"Condition":{"Bool":{"k":true}},"N":1.50}]}`},
		{"one group, the name after the flags", []string{"--region", "cn-beijing", "function", "--account", "1", "--group", "asg-a"}, 0,
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"ess:X","Resource":"acs:ess:cn-beijing:1:scalinggroup/asg-a","Condition":{"Bool":{"k":true}},"N":1.50}]}`},
		{"a placeholder no flag fills", []string{"drill", "--region", "cn-beijing", "--account", "1"}, 2,
			"deploy/drill-policy.json holds <thing-id>, which no flag fills"},
		{"a file that is no JSON", []string{"deployer"}, 1, "ess-standby policy: deploy/deployer-policy.json is not JSON: unexpected end of JSON input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runPolicy(files, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.wantCode, out, errOut)
			}
			if code != 0 {
				if !strings.Contains(errOut, tt.want) || out != "" {
					t.Errorf("said %q, printed %q; want %q and nothing printed", errOut, out, tt.want)
				}
				return
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, []byte(out)); err != nil || compact.String() != tt.want {
				t.Errorf("printed %s (%v)\nwant %s", compact.String(), err, tt.want)
			}
		})
	}
}

// Every problem at once, each naming its flag: a missing one by the
// placeholder the policy holds, a bad value by its rule; no policy is
// printed.
func TestPolicyNamesEveryProblem(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"the function's flags missing", []string{"function"}, []string{
			"--region is missing: deploy/function-policy.json names <region>",
			"--account is missing: deploy/function-policy.json names <account-id>",
			"--group is missing: deploy/function-policy.json names <scaling-group-id>"}},
		{"the drill's log project missing", []string{"drill", "--region", "cn-hangzhou", "--account", "1234567890123456"}, []string{
			"--log-project is missing: deploy/drill-policy.json names <log-project>"}},
		{"bad values, an unused one too", []string{"function", "--region", "Hangzhou", "--account", "12x", "--group", "sg-1", "--group", "asg-a,,asg-a",
			"--log-project", "A", "--logstore", "-x"}, []string{
			`--region: "Hangzhou" is not a region ID, such as cn-hangzhou`,
			`--account: "12x" is not an account ID: digits, such as 1234567890123456`,
			`--group: "sg-1" is not a scaling group ID: asg- and lower-case letters or digits`,
			`--group: an empty ID (a comma too many?)`,
			`--group: asg-a is given twice`,
			`--log-project: "A" is not a Log Service project`,
			`--logstore: "-x" is not a Log Service logstore`}},
		{"no policy named", []string{"--region", "cn-hangzhou"}, []string{"name the policy: function, deployer, drill or operator"}},
		{"two named", []string{"function", "drill"}, []string{"want one policy, function, deployer, drill or operator; got 2: function drill"}},
		{"a misspelt one", []string{"functoin", "--account", "x"}, []string{
			`"functoin" is no policy: want function, deployer, drill or operator; did you mean "function"?`,
			`--account: "x" is not an account ID`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runPolicy(repo, tt.args...)
			if code != 2 || out != "" || !strings.HasPrefix(errOut, "ess-standby policy: fix these, then run it again:\n") {
				t.Fatalf("exit %d, printed %q, said %q; want 2, nothing printed", code, out, errOut)
			}
			if lines := strings.Count(errOut, "\n") - 1; lines != len(tt.want) {
				t.Errorf("%d problems, want %d:\n%s", lines, len(tt.want), errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, "\n  "+w) {
					t.Errorf("said %q\nwithout %q", errOut, w)
				}
			}
		})
	}
	if code, _, errOut := runPolicy(repo, "-h"); code != 0 || !strings.Contains(errOut, "usage: ess-standby policy function|deployer|drill|operator") {
		t.Errorf("policy -h: exit %d, %q", code, errOut)
	}
}

// A policy stays within what CreatePolicy takes: indented while it fits,
// compact when only that fits, and refused, saying why, when neither does.
func TestPolicyFitsCreatePolicy(t *testing.T) {
	groups := func(n int) string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("asg-bp1%020d", i)
		}
		return strings.Join(ids, ",")
	}
	for _, c := range []struct {
		groups   int
		code     int
		indented bool
	}{{1, 0, true}, {69, 0, false}, {120, 2, false}} {
		code, out, errOut := runPolicy(repo, "function", "--region", "cn-hangzhou", "--account", "1234567890123456", "--group", groups(c.groups))
		if code != c.code || len(out) > maxPolicyDocument+1 {
			t.Errorf("%d groups: exit %d, %d characters; want exit %d, at most %d\n%s", c.groups, code, len(out), c.code, maxPolicyDocument, errOut)
		}
		if code == 0 && strings.Contains(out, "\n  ") != c.indented {
			t.Errorf("%d groups: indented %t, want %t", c.groups, !c.indented, c.indented)
		}
		if code == 2 && !strings.Contains(errOut, "RAM takes a policy of at most 6144") {
			t.Errorf("%d groups: %s", c.groups, errOut)
		}
	}
}

// One policy is named, by its own name: its file, or what is wrong.
func TestPolicyPath(t *testing.T) {
	tests := []struct {
		names       []string
		path, wrong string
	}{
		{[]string{"function"}, "deploy/function-policy.json", ""},
		{[]string{"operator"}, "deploy/operator-policy.json", ""},
		{nil, "", "name the policy: function, deployer, drill or operator"},
		{[]string{"drill", "drill"}, "", "want one policy, function, deployer, drill or operator; got 2: drill drill"},
		{[]string{"dril"}, "", `"dril" is no policy: want function, deployer, drill or operator; did you mean "drill"?`},
		{[]string{"ram"}, "", `"ram" is no policy: want function, deployer, drill or operator`},
	}
	for _, tt := range tests {
		if path, wrong := policyPath(tt.names); path != tt.path || wrong != tt.wrong {
			t.Errorf("policyPath(%q) = %q, %q; want %q, %q", tt.names, path, wrong, tt.path, tt.wrong)
		}
	}
}

// Each placeholder a file holds is filled by its flag's value (the groups
// by fill, not the replacer), or named as unfilled: no flag fills it, or
// its flag is missing.
func TestPolicyReplacements(t *testing.T) {
	all := policyValues{Region: "cn-hangzhou", Account: "12", Groups: []string{"asg-a", "asg-b"}, LogProject: "p", Logstore: "s"}
	tests := []struct {
		name            string
		v               policyValues
		found           []string
		pairs, problems []string
	}{
		{"all given", all, []string{"<region>", "<account-id>", groupPlaceholder, "<log-project>", "<logstore>"},
			[]string{"<region>", "cn-hangzhou", "<account-id>", "12", "<log-project>", "p", "<logstore>", "s"}, nil},
		{"only what the file holds", all, []string{"<account-id>"}, []string{"<account-id>", "12"}, nil},
		{"none missing", policyValues{}, nil, nil, nil},
		{"missing", policyValues{}, []string{"<region>", groupPlaceholder, "<logstore>"}, nil, []string{
			"--region is missing: f.json names <region>",
			"--group is missing: f.json names <scaling-group-id>",
			"--logstore is missing: f.json names <logstore>"}},
		{"no flag fills it", all, []string{"<role>", "<region>"}, []string{"<region>", "cn-hangzhou"}, []string{
			"f.json holds <role>, which no flag fills"}},
		{"an empty group", policyValues{Groups: []string{""}}, []string{groupPlaceholder}, nil, []string{
			"--group is missing: f.json names <scaling-group-id>"}},
	}
	for _, tt := range tests {
		pairs, problems := tt.v.replacements("f.json", tt.found)
		if !slices.Equal(pairs, tt.pairs) || !slices.Equal(problems, tt.problems) {
			t.Errorf("%s: pairs %q, problems %q; want %q, %q", tt.name, pairs, problems, tt.pairs, tt.problems)
		}
	}
}
