package deploytest_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// policyFiles are the policies deploy/ ships, by the name docs/permissions.md's
// table gives them in its "granted in" column.
var policyFiles = map[string]string{
	"deployer":       "deployer-policy.json",
	"function":       "function-policy.json",
	"drill":          "drill-policy.json",
	"function-trust": "function-trust.json",
}

// permission is a row of docs/permissions.md's table of RAM actions.
type permission struct {
	product, action string
	grantedIn       []string
	neededBy        string
	doc             string
	resource        string
	status          string
}

// permissionTable reads the table of RAM actions in docs/permissions.md,
// keyed by action.
func permissionTable(t *testing.T) map[string]permission {
	t.Helper()
	page, err := os.ReadFile("../../../docs/permissions.md")
	if err != nil {
		t.Fatal(err)
	}
	const header = "| product | action | granted in | needed by | documentation (page, API version) | resource form | status |"
	lines := strings.Split(string(page), "\n")
	start := slices.Index(lines, header)
	if start < 0 || start+1 >= len(lines) || !strings.HasPrefix(lines[start+1], "|---") {
		t.Fatalf("docs/permissions.md has no table headed %q", header)
	}
	table := map[string]permission{}
	for i := start + 2; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
		cells := strings.Split(strings.Trim(lines[i], "|"), "|")
		if len(cells) != 7 {
			t.Errorf("docs/permissions.md:%d has %d cells, not 7: %s", i+1, len(cells), lines[i])
			continue
		}
		for j := range cells {
			cells[j] = strings.TrimSpace(cells[j])
		}
		p := permission{
			product:  cells[0],
			action:   strings.Trim(cells[1], "`"),
			neededBy: cells[3],
			doc:      cells[4],
			resource: cells[5],
			status:   cells[6],
		}
		if cells[2] != "—" {
			for _, name := range strings.Split(cells[2], ",") {
				p.grantedIn = append(p.grantedIn, strings.TrimSpace(name))
			}
		}
		if _, twice := table[p.action]; twice {
			t.Errorf("docs/permissions.md:%d: %s has a row already", i+1, p.action)
		}
		table[p.action] = p
	}
	if len(table) == 0 {
		t.Fatal("docs/permissions.md's table has no rows")
	}
	return table
}

// policyActions is every action a policy file allows (a trust policy's
// included), whatever the resource.
func policyActions(t *testing.T, name string) []string {
	t.Helper()
	var actions []string
	for _, s := range loadPolicy(t, filepath.Join("../../../deploy", policyFiles[name])).Statement {
		if s.Effect == "Allow" {
			actions = append(actions, list(s.Action)...)
		}
	}
	return actions
}

// Every action of every policy in deploy/ has its row, which names the
// policy; every policy a row names grants the action; and every row says
// where it comes from, what the resource is, and whether that was read
// (verified) or is inferred, and why.
func TestPermissionTableIsThePolicies(t *testing.T) {
	table := permissionTable(t)
	files, _ := filepath.Glob("../../../deploy/*.json")
	for _, path := range files {
		var name string
		for n, f := range policyFiles {
			if f == filepath.Base(path) {
				name = n
			}
		}
		if name == "" {
			t.Errorf("%s is no policy docs/permissions.md names: add it to policyFiles and its actions to the table", path)
			continue
		}
		for _, action := range policyActions(t, name) {
			row, ok := table[action]
			if !ok {
				t.Errorf("%s grants %s, which docs/permissions.md's table has no row for", path, action)
			} else if !slices.Contains(row.grantedIn, name) {
				t.Errorf("%s grants %s; its row says it is granted in %v", path, action, row.grantedIn)
			}
		}
	}
	verdict := regexp.MustCompile(`^(verified|inferred: \S.*)$`)
	for action, row := range table {
		for _, name := range row.grantedIn {
			if _, known := policyFiles[name]; !known {
				t.Errorf("%s's row names %q, no policy of deploy/", action, name)
			} else if !slices.Contains(policyActions(t, name), action) {
				t.Errorf("%s's row says %s grants it; %s does not", action, name, policyFiles[name])
			}
		}
		if !regexp.MustCompile(`^[a-z]+:[A-Z]\w+$`).MatchString(action) {
			t.Errorf("%q is no RAM action", action)
		}
		if row.product == "" || row.neededBy == "" || row.doc == "" || row.resource == "" {
			t.Errorf("%s's row leaves a cell empty: %+v", action, row)
		}
		if !verdict.MatchString(row.status) {
			t.Errorf("%s's status is %q: say verified, or inferred: and why", action, row.status)
		}
	}
}

// What the code calls has its row, and the policy that lets it: the
// function's calls in the function's role, the drill's in the operator's.
func TestPermissionTableHasTheCodesCalls(t *testing.T) {
	table := permissionTable(t)
	for policy, calls := range map[string][]string{"function": essCalls(t), "drill": operatorCalls(t)} {
		for _, action := range calls {
			if row, ok := table[action]; !ok || !slices.Contains(row.grantedIn, policy) {
				t.Errorf("the code calls %s, and docs/permissions.md's table does not say %s grants it", action, policy)
			}
			if !slices.Contains(policyActions(t, policy), action) {
				t.Errorf("the code calls %s, which %s does not grant", action, policyFiles[policy])
			}
		}
	}
}

// fc3Call is one RAM action the fc3 component (0.1.22) needs for the templates,
// on the resource it names, and why (docs/permissions.md, "What fc3 0.1.22
// calls", which names the source lines).
type fc3Call struct{ action, resource, why string }

// fc3Calls are the calls s deploy, s remove, s info, s logs, s invoke,
// s version and s alias make for the templates' props, each with the
// resource its action is authorised on. A call whose failure fc3 ignores
// and which changes nothing for these templates (ListVpcBindings,
// GetScalingConfig, ListScalingConfigs, AnalyzeProductLog) is not needed.
func fc3Calls(t *testing.T) []fc3Call {
	t.Helper()
	const fcARN = "acs:fc:<region>:<account-id>:"
	var calls []fc3Call
	add := func(resource, why string, actions ...string) {
		for _, a := range actions {
			calls = append(calls, fc3Call{a, resource, why})
		}
	}
	for _, path := range templates {
		vars, resources := loadTemplate(t, path)
		for _, r := range resources {
			p := r.Props
			fn := fcARN + "functions/" + p["functionName"].(string)
			add(fn, "s deploy creates or updates the function, s remove deletes it; s info, s logs and every deploy read it",
				"fc:CreateFunction", "fc:UpdateFunction", "fc:GetFunction", "fc:DeleteFunction")
			add("*", "s deploy uploads the code with FC's temporary OSS token (GET /2016-08-15/tempBucketToken); the call names no function",
				"fc:GetTempBucketToken")
			for _, tr := range p["triggers"].([]any) {
				add(fn+"/triggers/"+tr.(map[string]any)["triggerName"].(string), "s deploy creates, reads and updates each trigger; s remove deletes it",
					"fc:CreateTrigger", "fc:GetTrigger", "fc:UpdateTrigger", "fc:DeleteTrigger")
			}
			add(fn+"/triggers/*", "s remove lists the triggers it deletes", "fc:ListTriggers")
			if _, ok := p["asyncInvokeConfig"]; ok {
				// The APIs are PutAsyncInvokeConfig, GetAsyncInvokeConfig,
				// DeleteAsyncInvokeConfig, ListAsyncInvokeConfigs: FC's
				// actions have other names.
				add(fn, "asyncInvokeConfig: s deploy puts it (qualifier LATEST), s deploy and s info read it, s remove deletes it",
					"fc:PutFunctionAsyncInvokeConfig", "fc:GetFunctionAsyncInvokeConfig", "fc:DeleteFunctionAsyncInvokeConfig")
				add(fn+"/LATEST", "the same, on the qualified form FC's policy page gives",
					"fc:PutFunctionAsyncInvokeConfig", "fc:GetFunctionAsyncInvokeConfig", "fc:DeleteFunctionAsyncInvokeConfig")
				add(fn, "s remove lists the function's asynchronous configurations (a functionName filter)", "fc:ListFunctionAsyncInvokeConfigs")
				add(fcARN+"async-invoke-configs/*", "the same: FC's policy page gives this resource too", "fc:ListFunctionAsyncInvokeConfigs")
			}
			if _, ok := p["concurrencyConfig"]; ok {
				add(fn, "concurrencyConfig: s deploy puts it, s deploy, s info and s remove read it, s remove deletes it",
					"fc:PutConcurrencyConfig", "fc:GetConcurrencyConfig", "fc:DeleteConcurrencyConfig")
			}
			add(fn+"/versions", "s version publish", "fc:PublishFunctionVersion")
			add(fn+"/versions/*", "s version list, s remove, and --version-id latest", "fc:ListFunctionVersions")
			add(fn+"/versions/1", "s version remove, s remove", "fc:DeleteFunctionVersion")
			add(fn+"/aliases/prod", "s alias publish (a new alias, or a rollback moving one), s alias get, s alias remove and s remove",
				"fc:CreateAlias", "fc:UpdateAlias", "fc:GetAlias", "fc:DeleteAlias")
			add(fn+"/aliases/*", "s alias list, s remove", "fc:ListAliases")
			add(fn, "s invoke (the README's dry-run check, the drill's take-back)", "fc:InvokeFunction")
			add(fn+"/prod", "s invoke --qualifier prod", "fc:InvokeFunction")
			add(strings.ReplaceAll(vars["role"].(string), previewAccount, "<account-id>"), "the function runs as role: FC checks ram:PassRole on CreateFunction and UpdateFunction", "ram:PassRole")
			for _, tr := range p["triggers"].([]any) {
				if tr.(map[string]any)["triggerType"] != "eventbridge" {
					continue
				}
				add("*", "every command first checks the EventBridge trigger's service-linked roles (ResourceManager's CheckServiceLinkedRoleExistence; which action authorises it is unverified, so both names)",
					"ram:CheckServiceLinkedRoleExistence", "resourcemanager:CheckServiceLinkedRoleExistence")
				add("*", "and creates a missing one (its names: serviceLinkedRoles)", "ram:CreateServiceLinkedRole")
				for _, resource := range []string{"acs:eventbridge:<region>:<account-id>:eventbus/default", "acs:eventbridge:<region>:<account-id>:eventbus/default/rule/ess-standby-ecs-events"} {
					add(resource, "FC makes the trigger's rule on the default bus with the deployer's permissions (the fc3 component's trigger documentation), checked on the bus and on the rule",
						"eventbridge:GetEventBus", "eventbridge:CreateRule", "eventbridge:GetRule", "eventbridge:UpdateRule", "eventbridge:DeleteRule",
						"eventbridge:ListRules", "eventbridge:EnableRule", "eventbridge:DisableRule", "eventbridge:UpdateTargets", "eventbridge:DeleteTargets", "eventbridge:ListTargets")
				}
			}
			if p["logConfig"] == "auto" {
				// fc3 names the project serverless-<region>-<uuid of the account>.
				project := "acs:log:<region>:<account-id>:project/serverless-<region>-0123abcd"
				add(project, "logConfig: auto: s deploy makes the project if it is missing", "log:GetProject", "log:CreateProject")
				add(project+"/logstore/default-logs", "logConfig: auto: s deploy makes the logstore default-logs and its index if missing",
					"log:GetLogStore", "log:CreateLogStore", "log:GetIndex", "log:CreateIndex")
				add(project+"/logstore/default-logs", "s logs reads the function's lines (GetLogs)", "log:GetLogStoreLogs")
			}
		}
	}
	return calls
}

// serviceLinkedRoles are the service-linked roles fc3 checks and creates for
// the templates' EventBridge triggers: EventBridge's delivery to FC, and its
// event source's (fc3 0.1.22's srm-aliyun-ram20150501 SOURCE_TYPE).
func serviceLinkedRoles(t *testing.T) []string {
	t.Helper()
	bySource := map[string][]string{
		"DEFAULT": {"source-cms.eventbridge.aliyuncs.com", "source-actiontrail.eventbridge.aliyuncs.com"},
	}
	var names []string
	for _, path := range templates {
		_, resources := loadTemplate(t, path)
		for _, r := range resources {
			for _, tr := range r.Props["triggers"].([]any) {
				tr := tr.(map[string]any)
				if tr["triggerType"] != "eventbridge" {
					continue
				}
				source := strings.ToUpper(tr["triggerConfig"].(map[string]any)["eventSourceConfig"].(map[string]any)["eventSourceType"].(string))
				if bySource[source] == nil {
					t.Errorf("%s: fc3's service-linked roles for the event source %s are not in this test", path, source)
				}
				names = append(append(names, "sendevent-fc.eventbridge.aliyuncs.com"), bySource[source]...)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// grantedOn says whether one of the granted resource patterns matches the
// resource, as RAM matches them: * any run of characters, ? any one.
func grantedOn(patterns []string, resource string) bool {
	for _, p := range patterns {
		re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(p)) + "$"
		if regexp.MustCompile(re).MatchString(resource) {
			return true
		}
	}
	return false
}

// The deployer's policy lets every call fc3 makes for the templates, on the
// resource the call names; and docs/permissions.md's table has each, granted
// in the deployer's policy.
func TestDeployerGrantsWhatFC3Calls(t *testing.T) {
	g := grants(loadPolicy(t, "../../../deploy/deployer-policy.json"))
	table := permissionTable(t)
	for _, c := range fc3Calls(t) {
		// A call that names no resource ("*") is matched by "*" alone.
		if (c.resource == "*" && !slices.Contains(g[c.action], "*")) || !grantedOn(g[c.action], c.resource) {
			t.Errorf("fc3 needs %s on %s (%s); the deployer's policy grants it on %v", c.action, c.resource, c.why, g[c.action])
		}
		if row, ok := table[c.action]; !ok || !slices.Contains(row.grantedIn, "deployer") {
			t.Errorf("fc3 needs %s (%s); docs/permissions.md's table does not say the deployer's policy grants it", c.action, c.why)
		}
	}
}

// The matcher grantedOn is RAM's: a wildcard stands for any run of
// characters, slashes included, and nothing else is a pattern.
func TestGrantedOn(t *testing.T) {
	for _, c := range []struct {
		pattern, resource string
		want              bool
	}{
		{"acs:fc:<region>:<account-id>:functions/ess-standby/*", "acs:fc:<region>:<account-id>:functions/ess-standby/triggers/http", true},
		{"acs:fc:<region>:<account-id>:functions/ess-standby", "acs:fc:<region>:<account-id>:functions/ess-standby/triggers/http", false},
		{"acs:fc:<region>:<account-id>:functions/ess-standby", "acs:fc:<region>:<account-id>:functions/ess-standbyx", false},
		{"acs:fc:<region>:<account-id>:functions/ess-standby", "acs:fc:<region>:<account-id>:functions/*", false},
		{"*", "acs:log:<region>:<account-id>:project/p", true},
		{"acs:log:<region>:<account-id>:project/serverless-<region>-*", "acs:log:<region>:<account-id>:project/serverless-<region>-0a/logstore/default-logs", true},
		{"acs:log:<region>:<account-id>:project/serverless-<region>-*", "acs:log:<region>:<account-id>:project/other", false},
		{"acs:fc:<region>:<account-id>:functions/ess.standby", "acs:fc:<region>:<account-id>:functions/essXstandby", false},
	} {
		if got := grantedOn([]string{c.pattern}, c.resource); got != c.want {
			t.Errorf("grantedOn(%s, %s) = %t", c.pattern, c.resource, got)
		}
	}
}
