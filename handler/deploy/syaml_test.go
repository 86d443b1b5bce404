package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"ess-standby/handler"
	"ess-standby/handler/fctest"
	"ess-standby/handler/settings"
	"ess-standby/handler/standby"
	"ess-standby/handler/trigger"
)

// resource is an fc3 resource of s.yaml, with its variables resolved.
type resource struct {
	Component string
	Actions   map[string][]struct{ Run, Path string }
	Props     map[string]any
}

// expression resolves the Serverless Devs expressions s.yaml uses, as
// `s deploy` would with nothing exported: vars, config and env defaults.
var expression = regexp.MustCompile(`\$\{(vars\.(\w+)|config\('AccountID'\)|env\('(\w+)', '([^']*)'\))\}`)

func loadSYAML(t *testing.T) map[string]resource {
	t.Helper()
	raw, err := os.ReadFile("../../s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var head struct {
		Edition string
		Vars    map[string]string
	}
	if err := yaml.Unmarshal(raw, &head); err != nil || head.Edition != "3.0.0" {
		t.Fatalf("s.yaml: edition %q, %v", head.Edition, err)
	}
	var unresolved []string
	resolve := func(e string) string {
		m := expression.FindStringSubmatch(e)
		switch {
		case m[2] != "":
			v, ok := head.Vars[m[2]]
			if !ok {
				unresolved = append(unresolved, e)
			}
			return v
		case m[3] != "":
			return m[4]
		}
		return "1234567890123456"
	}
	resolved := string(raw)
	for range 3 { // vars may hold expressions themselves
		resolved = expression.ReplaceAllStringFunc(resolved, resolve)
	}
	if strings.Contains(regexp.MustCompile(`\$\{regex\([^)]*\)\}`).ReplaceAllString(resolved, ""), "${") || unresolved != nil {
		t.Fatalf("s.yaml has expressions this test cannot resolve: %v", unresolved)
	}
	var doc struct{ Resources map[string]resource }
	if err := yaml.Unmarshal([]byte(resolved), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Resources
}

func TestSYAMLValidatesAgainstTheFC3Schema(t *testing.T) {
	c := jsonschema.NewCompiler()
	schema, err := c.Compile("testdata/fc3-schema.json")
	if err != nil {
		t.Fatal(err)
	}
	resources := loadSYAML(t)
	if len(resources) == 0 {
		t.Fatal("s.yaml has no resources")
	}
	for name, r := range resources {
		if r.Component != "fc3" {
			t.Errorf("%s: component %q, want fc3", name, r.Component)
			continue
		}
		b, _ := json.Marshal(r.Props)
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Errorf("%s: props do not validate against the fc3 schema:\n%v", name, err)
		}
	}
}

// build is the pre-deploy command that builds a resource's code.
func build(t *testing.T, name string, r resource) string {
	t.Helper()
	for key, steps := range r.Actions {
		if strings.HasPrefix(key, "pre-") && strings.Contains(key, "deploy") {
			for _, s := range steps {
				if strings.Contains(s.Run, "go build") {
					return s.Run
				}
			}
		}
	}
	t.Fatalf("%s: no pre-deploy action builds the binary", name)
	return ""
}

func TestSYAMLAgreesWithTheCode(t *testing.T) {
	resources := loadSYAML(t)
	defaults, err := settings.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	var runtimes []string
	for name, r := range resources {
		p := r.Props
		runtime, code := p["runtime"].(string), strings.TrimPrefix(p["code"].(string), "./")
		runtimes = append(runtimes, runtime)
		cmd := build(t, name, r)
		for _, flag := range []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "-trimpath", "-ldflags='-s -w'", "-o " + code + "/main ."} {
			if !strings.Contains(cmd, flag) {
				t.Errorf("%s: the build %q lacks %q (a static, stripped linux/amd64 binary named main in %s)", name, cmd, flag, code)
			}
		}
		if go1Build := strings.Contains(cmd, "-tags "+fctest.Go1Tag+" "); go1Build != (runtime == "go1") {
			t.Errorf("%s: the build %q; want -tags %s exactly when the runtime is go1 (custom runtimes run serve, which that build leaves out)", name, cmd, fctest.Go1Tag)
		}
		switch {
		case runtime == "go1":
			if p["handler"] != "main" || p["instanceConcurrency"] != 1 {
				t.Errorf("%s: handler %v, instanceConcurrency %v; want the binary's name, main, and 1 (go1 serves one at a time)", name, p["handler"], p["instanceConcurrency"])
			}
		case strings.HasPrefix(runtime, "custom.debian"):
			crc, _ := p["customRuntimeConfig"].(map[string]any)
			if fmt.Sprint(crc["command"]) != "[/code/bootstrap]" || crc["port"] != defaults.ListenPort || !strings.Contains(cmd, "cp bootstrap "+code+"/bootstrap") {
				t.Errorf("%s: customRuntimeConfig %v, build %q; want /code/bootstrap copied in, on port %d", name, crc, cmd, defaults.ListenPort)
			}
			if n, _ := p["instanceConcurrency"].(int); n <= 1 {
				t.Errorf("%s: instanceConcurrency %v, want more than 1", name, p["instanceConcurrency"])
			}
		default:
			t.Errorf("%s: runtime %q; want go1 or custom.debian10 or later", name, runtime)
		}
		if !strings.HasPrefix(p["role"].(string), "acs:ram::") {
			t.Errorf("%s: role %v is not a RAM role ARN", name, p["role"])
		}
		env, _ := p["environmentVariables"].(map[string]any)
		for k := range env {
			if !slices.Contains(settings.Names, k) {
				t.Errorf("%s: environment variable %s is not a setting the code reads", name, k)
			}
		}
		for _, k := range settings.Names {
			provided := strings.HasPrefix(k, "FC_") || strings.HasPrefix(k, "ALIBABA_CLOUD_ACCESS_KEY") || k == "ALIBABA_CLOUD_SECURITY_TOKEN" || k == "DEBUG"
			if _, ok := env[k]; !ok && !provided {
				t.Errorf("%s: setting %s is missing from environmentVariables", name, k)
			}
		}
		checkTriggers(t, name, p["triggers"])
	}
	if !slices.Contains(runtimes, "go1") || !slices.ContainsFunc(runtimes, func(r string) bool { return strings.HasPrefix(r, "custom.debian") }) {
		t.Errorf("runtimes %v: want a go1 function and a custom-runtime variant", runtimes)
	}
	script, err := os.ReadFile("../../bootstrap")
	if err != nil || !regexp.MustCompile(`(?m)^exec "\$\(dirname "\$0"\)/main" serve$`).Match(script) {
		t.Errorf("bootstrap must exec main serve, next to it, so signals reach it: %s %v", script, err)
	}
}

// planner is an AutoScaling that knows every instance, for dry runs.
type planner struct{}

func (planner) ScalingInstances(_ context.Context, _ standby.Session, _ string, ids []string) ([]standby.ScalingInstance, error) {
	var out []standby.ScalingInstance
	for _, id := range ids {
		out = append(out, standby.ScalingInstance{InstanceID: id, ScalingGroupID: "asg-bp1any", LifecycleState: "InService"})
	}
	return out, nil
}

func (planner) CountInstances(context.Context, standby.Session, string, string) (int, error) {
	return 10, nil
}

func (planner) Standby(context.Context, standby.Session, standby.StandbyCall) (standby.Activity, error) {
	panic("a dry run called EnterStandby")
}

func (planner) ActivityStatuses(context.Context, standby.Session, []string) ([]standby.ActivityStatus, error) {
	panic("a dry run waited")
}

// dryRun runs an event through the handler, changing nothing, and says
// whether it would act.
func dryRun(t *testing.T, event any) handler.Outcome {
	t.Helper()
	payload, _ := json.Marshal(event)
	h := handler.New(handler.Config{Standby: standby.Config{DryRun: true}}, planner{}, slog.New(slog.DiscardHandler))
	return h.Invoke(context.Background(), standby.Invocation{Region: "cn-hangzhou", Credentials: standby.Credentials{AccessKeyID: "a", AccessKeySecret: "b"}}, payload)
}

// checkTriggers checks each trigger against what the handler does with the
// events it sends: the timer's payload is a valid request, and every ECS
// event type the EventBridge rule lets through makes the handler act.
func checkTriggers(t *testing.T, name string, triggers any) {
	list, _ := triggers.([]any)
	for _, tr := range list {
		tr := tr.(map[string]any)
		cfg := tr["triggerConfig"].(map[string]any)
		switch tr["triggerType"] {
		case "http":
			if methods := fmt.Sprint(cfg["methods"]); !strings.Contains(methods, "POST") || !strings.Contains(methods, "GET") {
				t.Errorf("%s: HTTP trigger methods %s; the handler takes POST (JSON, form) and GET (query)", name, methods)
			}
		case "timer":
			out := dryRun(t, map[string]string{"triggerName": tr["triggerName"].(string), "triggerTime": "2026-11-27T18:00:00Z", "payload": cfg["payload"].(string)})
			if out.Err != nil || !strings.Contains(string(out.Body), `"DryRun":true`) {
				t.Errorf("%s: the timer's payload does not make a valid request: %s", name, out.Body)
			}
		case "eventbridge":
			var pattern struct{ Source, Type []string }
			if err := json.Unmarshal([]byte(cfg["eventRuleFilterPattern"].(string)), &pattern); err != nil || fmt.Sprint(pattern.Source) != "[acs.ecs]" || len(pattern.Type) == 0 {
				t.Errorf("%s: eventRuleFilterPattern %v: want acs.ecs instance events", name, cfg["eventRuleFilterPattern"])
			}
			if schema := cfg["eventSinkConfig"].(map[string]any)["deliveryOption"].(map[string]any)["eventSchema"]; schema != "CloudEvents" && schema != "RawData" {
				t.Errorf("%s: eventSchema %v", name, schema)
			}
			acting := []string{"ecs:Instance:" + trigger.Preemptible}
			for _, typ := range trigger.SystemEventTypes {
				acting = append(acting, "ecs:Instance:"+typ)
			}
			if missing := slices.DeleteFunc(slices.Clone(acting), func(typ string) bool { return slices.Contains(pattern.Type, typ) }); len(missing) > 0 {
				t.Errorf("%s: the rule leaves out %v, which the handler acts on", name, missing)
			}
			for _, typ := range pattern.Type {
				data := map[string]string{"instanceId": "i-bp1any", "eventType": strings.TrimPrefix(typ, "ecs:Instance:"), "eventStatus": "Scheduled"}
				switch typ {
				case "ecs:Instance:StateChange":
					data = map[string]string{"resourceId": "i-bp1any", "state": "Stopping"}
				case "ecs:Instance:" + trigger.Preemptible:
					data = map[string]string{"instanceId": "i-bp1any", "action": "delete"}
				}
				out := dryRun(t, map[string]any{"specversion": "1.0", "id": "e", "source": "acs.ecs", "type": typ, "data": data})
				if out.Err != nil || !strings.Contains(string(out.Body), `"Planned"`) {
					t.Errorf("%s: the rule lets %s through, but the handler does not act on it: %s", name, typ, out.Body)
				}
			}
		default:
			t.Errorf("%s: trigger type %v is not one the handler decodes", name, tr["triggerType"])
		}
	}
}

// The RAM policy README.md ships grants exactly the actions handler/ess makes.
func TestRAMPolicyIsLeastPrivilege(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)<!-- ram-policy -->\\s*```json\\n(.*?)```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README.md has no policy block after <!-- ram-policy -->")
	}
	var policy struct {
		Statement []struct {
			Effect   string
			Action   []string
			Resource any
		}
	}
	if err := json.Unmarshal(block[1], &policy); err != nil {
		t.Fatalf("the README's policy is not JSON: %v", err)
	}
	var granted []string
	for _, s := range policy.Statement {
		if s.Effect != "Allow" {
			t.Errorf("statement %+v: want Allow", s)
		}
		for _, a := range s.Action {
			granted = append(granted, a)
			if a == "ess:EnterStandby" || a == "ess:ExitStandby" {
				if r := fmt.Sprint(s.Resource); !strings.Contains(r, ":scalinggroup/") || strings.Contains(r, "scalinggroup/*") {
					t.Errorf("%s is granted on %s; scope it to scaling group ARNs", a, r)
				}
			}
		}
	}
	var used []string
	sources, _ := filepath.Glob("../ess/*.go")
	for _, path := range sources {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		src, _ := os.ReadFile(path)
		// Typed calls (ess.CreateXRequest) and generic ones (action{"X"}).
		for _, m := range regexp.MustCompile(`ess\.Create(\w+)Request\(|action\{"(\w+)"\}`).FindAllSubmatch(src, -1) {
			used = append(used, "ess:"+string(m[1])+string(m[2]))
		}
	}
	slices.Sort(granted)
	slices.Sort(used)
	if used = slices.Compact(used); !slices.Equal(granted, used) {
		t.Errorf("the policy grants %v; handler/ess calls %v", granted, used)
	}
}
