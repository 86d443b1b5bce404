package deploytest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"ess-standby/handler/trigger"
)

// docs/sources.md's "Which events act" is the code's table: every acting
// type, and each status and state in the column the code puts it in.
func TestSourcesStatusTable(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/sources.md")
	if err != nil {
		t.Fatal(err)
	}
	table := regexp.MustCompile("(?s)## Which events act\n\n[^|]*?(\\|.*?)\n\n").FindSubmatch(doc)
	if table == nil {
		t.Fatal(`docs/sources.md has no "## Which events act" table`)
	}
	rows := map[string][]string{} // first cell → cells
	for line := range strings.Lines(string(table[1])) {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		rows[strings.TrimSpace(cells[0])] = cells
	}
	var system []string
	for first, cells := range rows {
		if strings.HasPrefix(first, "`SystemMaintenance.Reboot`") { // the row of those that act
			system = cells
		}
	}
	if system == nil {
		t.Fatal("no row for the system events")
	}
	for _, typ := range trigger.SystemEventTypes {
		family, name, _ := strings.Cut(typ, ".")
		if !strings.Contains(system[0], family) || !strings.Contains(system[0], name) {
			t.Errorf("the README's system-event row does not name %s", typ)
		}
	}
	columns := []struct {
		values []string
		column int
	}{{trigger.ActingStatuses, 1}, {trigger.OverStatuses, 2}}
	for _, c := range columns {
		for _, v := range c.values {
			if !strings.Contains(system[c.column], "`"+v+"`") {
				t.Errorf("the README does not list status %s in column %d of the system events", v, c.column)
			}
		}
	}
	stateChange, preemptible := rows["`StateChange`"], rows["`"+trigger.Preemptible+"`"]
	if stateChange == nil || preemptible == nil {
		t.Fatalf("no rows for StateChange and %s", trigger.Preemptible)
	}
	for _, v := range trigger.StoppingStates {
		if !strings.Contains(stateChange[1], "`"+v+"`") {
			t.Errorf("the README does not say state %s acts", v)
		}
	}
	for _, v := range trigger.OtherStates {
		if !strings.Contains(stateChange[2], "`"+v+"`") {
			t.Errorf("the README does not say state %s is ignored", v)
		}
	}
}

// Every link in the README and the docs resolves: the file exists and,
// with an anchor, has that heading.
func TestLinksResolve(t *testing.T) {
	docs, _ := filepath.Glob("../../../docs/*.md")
	for _, doc := range append([]string{"../../../README.md", "../../../CONTRIBUTING.md"}, docs...) {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`\]\(([^)\s]+)\)`).FindAllSubmatch(text, -1) {
			link := string(m[1])
			if strings.Contains(link, "://") {
				continue
			}
			file, anchor, _ := strings.Cut(link, "#")
			target := doc
			if file != "" {
				target = filepath.Join(filepath.Dir(doc), file)
			}
			content, err := os.ReadFile(target)
			if err != nil {
				t.Errorf("%s links to %s, which does not exist", doc, link)
				continue
			}
			if anchor != "" && !slices.Contains(anchors(content), anchor) {
				t.Errorf("%s links to %s, which has no heading #%s", doc, link, anchor)
			}
		}
	}
}

// anchors are a Markdown file's heading anchors, as GitHub makes them.
func anchors(md []byte) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^#+ (.+)$`).FindAllSubmatch(md, -1) {
		a := strings.Map(func(r rune) rune {
			switch {
			case r == ' ':
				return '-'
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				return unicode.ToLower(r)
			}
			return -1
		}, string(m[1]))
		out = append(out, a)
	}
	return out
}

// docs/sources.md's aliyun commands for the EventBridge rule: the pattern
// is s.yaml's, and every type it passes acts; the target is the function,
// invoked asynchronously with the original event.
func TestEventBridgeByHand(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/sources.md")
	if err != nil {
		t.Fatal(err)
	}
	heredocs := regexp.MustCompile(`(?s)<<'?EOF'?\n(.*?)\nEOF`).FindAllSubmatch(doc, -1)
	if len(heredocs) != 2 {
		t.Fatalf("docs/sources.md has %d heredocs, want the rule's pattern and its targets", len(heredocs))
	}
	pattern := string(heredocs[0][1])
	checkRule(t, "docs/sources.md", pattern)
	_, resources := loadTemplate(t, templates[0])
	for _, tr := range resources["ess-standby"].Props["triggers"].([]any) {
		if cfg := tr.(map[string]any)["triggerConfig"].(map[string]any); tr.(map[string]any)["triggerType"] == "eventbridge" && cfg["eventRuleFilterPattern"] != pattern {
			t.Errorf("docs/sources.md's pattern is not s.yaml's:\n%s\n%s", pattern, cfg["eventRuleFilterPattern"])
		}
	}
	var targets []struct {
		ID, Type, Endpoint string
		ParamList          []struct{ ResourceKey, Form, Value string }
	}
	if err := json.Unmarshal(heredocs[1][1], &targets); err != nil || len(targets) != 1 {
		t.Fatalf("the targets are not one JSON target: %v", err)
	}
	params := map[string]string{}
	for _, p := range targets[0].ParamList {
		params[p.ResourceKey] = p.Form + ":" + p.Value
	}
	if targets[0].Type != "acs.fc.function" || !strings.HasSuffix(targets[0].Endpoint, ":functions/ess-standby") ||
		params["functionName"] != "CONSTANT:ess-standby" || params["Qualifier"] != "CONSTANT:${ESS_STANDBY_QUALIFIER:-LATEST}" || params["InvocationType"] != "CONSTANT:Async" || params["Body"] != "ORIGINAL:" {
		t.Errorf("the target %+v: want the ess-standby function, async, with the original event", targets[0])
	}
}

// Every aliyun command the README and docs/ give for a regional product
// passes --region (without it the CLI uses its profile's region, which may
// not be s.yaml's); RAM is global. The operations the README documents are
// there, each as the deployer policy allows
// (TestDeployerPolicyCoversTheTemplates).
func TestREADMECommands(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	all := string(readme)
	docs, _ := filepath.Glob("../../../docs/*.md")
	for _, doc := range docs {
		text, _ := os.ReadFile(doc)
		all += string(text)
	}
	commands := regexp.MustCompile("aliyun (eventbridge|ess|ecs|sls|fc|cms|ros) [A-Z][A-Za-z]+[^`\n]*").FindAllString(all, -1)
	if len(commands) < 4 {
		t.Fatalf("found %d aliyun commands: %q", len(commands), commands)
	}
	for _, c := range commands {
		if !strings.Contains(c, " --region ") {
			t.Errorf("%q has no --region", c)
		}
	}
	for _, op := range []string{"s verify", "s preview", "s logs --tail", "s version publish", "s alias publish --alias-name prod --version-id latest", "s invoke --qualifier LATEST"} {
		if !strings.Contains(string(readme), op) {
			t.Errorf("the README does not show %q", op)
		}
	}
}

// The README is a guide an SRE reads in minutes: at most 20 KB, a table of
// contents naming every section, and every page of docs/ linked from it.
func TestREADMEIsAGuide(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(readme) > 20*1024 {
		t.Errorf("the README is %d bytes; at most 20 KB: move detail to a page of docs/", len(readme))
	}
	_, contents, ok := strings.Cut(string(readme), "\n## Contents\n")
	contents, _, _ = strings.Cut(contents, "\n## ")
	if !ok {
		t.Fatal("the README has no ## Contents")
	}
	for _, m := range regexp.MustCompile(`(?m)^## (.+)$`).FindAllStringSubmatch(string(readme), -1) {
		if m[1] == "Contents" {
			continue
		}
		if anchor := anchors([]byte("## " + m[1]))[0]; !strings.Contains(contents, "(#"+anchor+")") {
			t.Errorf("the contents do not link to %q", m[1])
		}
	}
	docs, _ := filepath.Glob("../../../docs/*.md")
	for _, doc := range docs {
		if link := "(docs/" + filepath.Base(doc); !strings.Contains(string(readme), link) {
			t.Errorf("the README does not link to docs/%s", filepath.Base(doc))
		}
	}
}
