package deploytest_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

type policy struct {
	Version   string
	Statement []struct {
		Effect    string
		Action    any // a string or a list
		Resource  any
		Principal map[string][]string
		Condition map[string]map[string]any
	}
}

func loadPolicy(t *testing.T, path string) policy {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p policy
	if err := json.Unmarshal(raw, &p); err != nil || p.Version != "1" {
		t.Fatalf("%s: version %q, %v", path, p.Version, err)
	}
	return p
}

func list(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

// grants is every action a policy allows, with the resources it allows it on.
func grants(p policy) map[string][]string {
	out := map[string][]string{}
	for _, s := range p.Statement {
		if s.Effect != "Allow" {
			continue
		}
		for _, a := range list(s.Action) {
			out[a] = append(out[a], list(s.Resource)...)
		}
	}
	return out
}

// essCalls are the actions handler/ess makes: Auto Scaling's, and ECS's
// and ECI's for the tags.
func essCalls(t *testing.T) []string {
	var used []string
	sources, _ := filepath.Glob("../../ess/*.go")
	for _, path := range sources {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		src, _ := os.ReadFile(path)
		for _, m := range regexp.MustCompile(`action\{(ess|ecs|eci), "(\w+)"\}`).FindAllSubmatch(src, -1) {
			used = append(used, string(m[1])+":"+string(m[2]))
		}
	}
	slices.Sort(used)
	if used = slices.Compact(used); len(used) == 0 {
		t.Fatal("found no call in handler/ess")
	}
	return used
}

// operatorCalls are the actions only an operator's mode makes (the drill),
// which the function's role is never granted.
func operatorCalls(t *testing.T) []string {
	var used []string
	sources, _ := filepath.Glob("../../ess/*.go")
	for _, path := range sources {
		src, _ := os.ReadFile(path)
		// logService is Log Service's product, whose actions are log:*.
		for _, m := range regexp.MustCompile(`operator\((ess|ecs|log)\w*, "(\w+)"\)`).FindAllSubmatch(src, -1) {
			used = append(used, string(m[1])+":"+string(m[2]))
		}
	}
	if len(used) == 0 {
		t.Fatal("found no operator call in handler/ess")
	}
	return used
}

// The drill's policy grants the operator exactly what the drill calls: the
// simulated event, the read that watches the canary, its tags, which say
// the function parked it, and the function's log, on its logstore only.
func TestDrillPolicyIsTheDrillsCalls(t *testing.T) {
	g := grants(loadPolicy(t, "../../../deploy/drill-policy.json"))
	var granted []string
	for a := range g {
		granted = append(granted, a)
	}
	want := append(operatorCalls(t), "ess:DescribeScalingInstances", "ecs:ListTagResources")
	slices.Sort(granted)
	slices.Sort(want)
	if !slices.Equal(granted, want) {
		t.Errorf("the drill's policy grants %v; the drill calls %v", granted, want)
	}
	if r := g["log:GetLogStoreLogs"]; len(r) != 1 || r[0] != "acs:log:<region>:<account-id>:project/<log-project>/logstore/<logstore>" {
		t.Errorf("the drill reads the log on %v; scope it to the function's logstore", r)
	}
	for _, a := range operatorCalls(t) {
		if _, ok := grants(loadPolicy(t, "../../../deploy/function-policy.json"))[a]; ok {
			t.Errorf("the function's role is granted %s, which only an operator makes", a)
		}
	}
}

// The function's role may make exactly the calls handler/ess makes, the
// state-changing ones on scaling groups (and, for tags, on instances or
// container groups) only; it trusts FC alone.
func TestFunctionPolicyIsLeastPrivilege(t *testing.T) {
	g := grants(loadPolicy(t, "../../../deploy/function-policy.json"))
	var granted []string
	for a, resources := range g {
		granted = append(granted, a)
		if a == "ess:EnterStandby" || a == "ess:ExitStandby" {
			for _, r := range resources {
				if !strings.Contains(r, ":scalinggroup/") || strings.HasSuffix(r, "scalinggroup/*") || r == "*" {
					t.Errorf("%s is granted on %s; scope it to scaling group ARNs", a, r)
				}
			}
		}
		// Tags are written on instances, in the region, of the account:
		// the instances of a group come and go, so no list can name them.
		if a == "ecs:TagResources" || a == "ecs:UntagResources" {
			for _, r := range resources {
				if !strings.HasPrefix(r, "acs:ecs:<region>:<account-id>:instance/") {
					t.Errorf("%s is granted on %s; scope it to the region's instances", a, r)
				}
			}
		}
		// An elastic container instance's tags are ECI's, on its container
		// group: the region's, as for ECS's instances.
		if a == "eci:TagResources" || a == "eci:UntagResources" {
			for _, r := range resources {
				if !strings.HasPrefix(r, "acs:eci:<region>:<account-id>:containergroup/") {
					t.Errorf("%s is granted on %s; scope it to the region's container groups", a, r)
				}
			}
		}
	}
	slices.Sort(granted)
	if used := essCalls(t); !slices.Equal(granted, used) {
		t.Errorf("the policy grants %v; handler/ess calls %v", granted, used)
	}
	trust := loadPolicy(t, "../../../deploy/function-trust.json")
	if len(trust.Statement) != 1 || fmt.Sprint(list(trust.Statement[0].Action)) != "[sts:AssumeRole]" || fmt.Sprint(trust.Statement[0].Principal["Service"]) != "[fc.aliyuncs.com]" {
		t.Errorf("the trust policy %+v: want FC alone to assume the role", trust)
	}
}

// docs/permissions.md shows the function's policy as the file ships it.
func TestPermissionsShowsThePolicyFile(t *testing.T) {
	page, err := os.ReadFile("../../../docs/permissions.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)<!-- deploy/function-policy.json -->\\s*```json\\n(.*?)```").FindSubmatch(page)
	file, _ := os.ReadFile("../../../deploy/function-policy.json")
	if block == nil || strings.TrimSpace(string(block[1])) != strings.TrimSpace(string(file)) {
		t.Errorf("docs/permissions.md's policy after <!-- deploy/function-policy.json --> is not the file's:\n%s", block)
	}
}

// The deployer may do what deploying the templates takes, and no more than
// that: FC's calls on the functions the templates name; passing the
// function's role, to FC only; the service-linked roles fc3 checks and
// creates for an EventBridge trigger, those only; EventBridge's rule calls;
// Log Service's project, logstore and index for logConfig: auto, and its
// logs. fc3Calls (permissions_test.go) is the list, each call with its
// resource and why; here the templates say which apply.
func TestDeployerPolicyCoversTheTemplates(t *testing.T) {
	p := loadPolicy(t, "../../../deploy/deployer-policy.json")
	g := grants(p)
	needed := map[string]bool{}
	for _, c := range fc3Calls(t) {
		needed[c.action] = true
	}
	for _, path := range templates {
		vars, resources := loadTemplate(t, path)
		for name, r := range resources {
			p := r.Props
			fn := "acs:fc:<region>:<account-id>:functions/" + p["functionName"].(string)
			for _, action := range []string{"fc:CreateFunction", "fc:UpdateFunction", "fc:DeleteFunction"} {
				if !grantedOn(g[action], fn) {
					t.Errorf("%s: %s is not granted on %s", name, action, fn)
				}
			}
			for _, tr := range p["triggers"].([]any) {
				trigger := fn + "/triggers/" + tr.(map[string]any)["triggerName"].(string)
				if !grantedOn(g["fc:CreateTrigger"], trigger) {
					t.Errorf("%s: fc:CreateTrigger is not granted on %s", name, trigger)
				}
			}
			// FC's action names, not its API names (PutAsyncInvokeConfig
			// is authorised by fc:PutFunctionAsyncInvokeConfig).
			if _, ok := p["asyncInvokeConfig"]; ok && !grantedOn(g["fc:PutFunctionAsyncInvokeConfig"], fn) {
				t.Errorf("%s: asyncInvokeConfig needs fc:PutFunctionAsyncInvokeConfig on %s", name, fn)
			}
			if _, ok := p["concurrencyConfig"]; ok && !grantedOn(g["fc:PutConcurrencyConfig"], fn) {
				t.Errorf("%s: concurrencyConfig needs fc:PutConcurrencyConfig on %s", name, fn)
			}
			if p["logConfig"] == "auto" && !grantedOn(g["log:CreateProject"], "acs:log:<region>:<account-id>:project/serverless-<region>-0123abcd") {
				t.Errorf("%s: logConfig: auto needs log:CreateProject on the project fc3 names", name)
			}
			role := strings.ReplaceAll(vars["role"].(string), previewAccount, "<account-id>")
			if !slices.Contains(g["ram:PassRole"], role) {
				t.Errorf("%s: ram:PassRole is granted on %v, not on the role %s", name, g["ram:PassRole"], role)
			}
		}
	}
	for action, resources := range g {
		if !needed[action] {
			t.Errorf("%s is granted, and no call of fc3's needs it (fc3Calls)", action)
		}
		onEvery := []string{"ram:CreateServiceLinkedRole", "ram:CheckServiceLinkedRoleExistence", "resourcemanager:CheckServiceLinkedRoleExistence", "fc:GetTempBucketToken"}
		if slices.Contains(resources, "*") && !slices.Contains(onEvery, action) {
			t.Errorf("%s is granted on every resource", action)
		}
		if family, _, _ := strings.Cut(action, ":"); !slices.Contains([]string{"fc", "ram", "eventbridge", "log", "resourcemanager"}, family) {
			t.Errorf("%s is no part of deploying", action)
		}
	}
	var passRole, slr bool
	for _, s := range p.Statement {
		actions := list(s.Action)
		if slices.Contains(actions, "ram:PassRole") {
			passRole = fmt.Sprint(s.Condition["StringEquals"]["acs:Service"]) == "fc.aliyuncs.com"
		}
		if slices.Contains(actions, "ram:CreateServiceLinkedRole") {
			names := list(s.Condition["StringEquals"]["ram:ServiceName"])
			slices.Sort(names)
			slr = slices.Equal(names, serviceLinkedRoles(t))
		}
	}
	if !passRole || !slr {
		t.Errorf("the role may be passed to FC only (%t); service-linked roles only those fc3 creates for the templates' EventBridge triggers, %v (%t)", passRole, serviceLinkedRoles(t), slr)
	}
}
