package deploytest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"ess-standby/handler"
	"ess-standby/handler/internal/fctest"
	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/settings"
	"ess-standby/handler/standby"
	"ess-standby/handler/trigger"
)

// templates are the Serverless Devs templates the project ships: the
// default deploy (the custom runtime), and the go1 variant deployed with -t.
var templates = []string{"../../../s.yaml", "../../../deploy/s.go1.yaml"}

// resource is an fc3 resource of a template, with its variables resolved.
type resource struct {
	Component string
	Actions   map[string][]struct{ Run, Path string }
	Props     map[string]any
}

// expression matches the Serverless Devs expressions the templates use:
// vars, config, and env with or without a default.
var expression = regexp.MustCompile(`\$\{(vars\.(\w+)|config\('AccountID'\)|env\('(\w+)'(, '([^']*)')?\))\}`)

// previewEnv is what .ci/preview exports for the templates' env
// expressions (testdata/preview.env): their required inputs.
func previewEnv(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("testdata/preview.env")
	if err != nil {
		t.Fatal(err)
	}
	return dotenv(string(raw))
}

// dotenv reads KEY=value lines as Serverless Devs' dotenv does, the last
// of a key winning; # starts a comment line.
func dotenv(text string) map[string]string {
	env := map[string]string{}
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			env[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return env
}

// resolveTemplate reads a template, resolving its expressions as s deploy
// does with previewEnv exported, the account being previewAccount: the
// cross-check of Serverless Devs' own resolution. A variable holding an
// object stands for that object.
func resolveTemplate(t *testing.T, path string) (vars map[string]any, resources map[string]resource) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var head struct {
		Edition string
		Vars    map[string]any
	}
	if err := yaml.Unmarshal(raw, &head); err != nil || head.Edition != "3.0.0" {
		t.Fatalf("%s: edition %q, %v", path, head.Edition, err)
	}
	var unresolved []string
	env := previewEnv(t)
	resolve := func(e string) string {
		m := expression.FindStringSubmatch(e)
		switch {
		case m[2] != "":
			v, ok := head.Vars[m[2]]
			if !ok {
				unresolved = append(unresolved, e)
			}
			if s, isString := v.(string); isString {
				return s
			}
			b, _ := json.Marshal(v) // JSON is YAML: an object stays an object
			return string(b)
		case m[3] != "":
			if v, ok := env[m[3]]; ok {
				return v
			}
			if m[4] == "" { // no default: s stops, naming the variable
				unresolved = append(unresolved, e)
			}
			return m[5]
		}
		return previewAccount
	}
	resolved := string(raw)
	for range 3 { // vars may hold expressions themselves
		resolved = expression.ReplaceAllStringFunc(resolved, resolve)
	}
	if strings.Contains(regexp.MustCompile(`\$\{regex\([^)]*\)\}`).ReplaceAllString(resolved, ""), "${") || unresolved != nil {
		t.Fatalf("%s has expressions this test cannot resolve: %v", path, unresolved)
	}
	var doc struct{ Resources map[string]resource }
	if err := yaml.Unmarshal([]byte(resolved), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Resources) == 0 {
		t.Fatalf("%s has no resources", path)
	}
	return head.Vars, doc.Resources
}

func compile(t *testing.T, path string) *jsonschema.Schema {
	t.Helper()
	schema, err := jsonschema.NewCompiler().Compile(path)
	if err != nil {
		t.Fatal(err)
	}
	return schema
}

func validate(schema *jsonschema.Schema, props map[string]any) error {
	b, _ := json.Marshal(props)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return schema.Validate(inst)
}

// fc3Version is the fc3 component the templates pin: testdata/fc3-schema.json
// is its src/schema.json (devsapp/fc3 at 4ca1c1b, whose publish.yaml says
// Version: 0.1.22). Bump both together.
const fc3Version = "0.1.22"

// Both templates pin the fc3 version whose schema they are checked
// against, and validate against that schema and against the stricter one
// FC's API reference makes (testdata/fc3-strict.json): an unpinned
// component would let each `s deploy` run another version, whose prop
// check only logs at debug level.
func TestTemplatesValidate(t *testing.T) {
	for _, schemaPath := range []string{"testdata/fc3-schema.json", "testdata/fc3-strict.json"} {
		schema := compile(t, schemaPath)
		for _, path := range templates {
			_, resources := loadTemplate(t, path)
			for name, r := range resources {
				if r.Component != "fc3@"+fc3Version {
					t.Errorf("%s %s: component %q, want fc3@%s", path, name, r.Component, fc3Version)
				}
				if err := validate(schema, r.Props); err != nil {
					t.Errorf("%s %s does not validate against %s:\n%v", path, name, schemaPath, err)
				}
			}
		}
	}
}

// The fc3 schema lets any misspelt key or wrong value through; the strict
// one catches each of these, made to s.yaml as a user might.
func TestStrictSchemaCatchesMistakes(t *testing.T) {
	strict, loose := compile(t, "testdata/fc3-strict.json"), compile(t, "testdata/fc3-schema.json")
	trigger := func(typ string) func(map[string]any) map[string]any {
		return func(p map[string]any) map[string]any {
			for _, tr := range p["triggers"].([]any) {
				if tr := tr.(map[string]any); tr["triggerType"] == typ {
					return tr["triggerConfig"].(map[string]any)
				}
			}
			panic("s.yaml has no " + typ + " trigger")
		}
	}
	mutations := []struct {
		name   string
		mutate func(p map[string]any)
	}{
		{"cronExpresion", func(p map[string]any) {
			c := trigger("timer")(p)
			c["cronExpresion"] = c["cronExpression"]
			delete(c, "cronExpression")
		}},
		{"authType: FUNCTION", func(p map[string]any) { trigger("http")(p)["authType"] = "FUNCTION" }},
		{"eventSourceType: Bogus", func(p map[string]any) {
			trigger("eventbridge")(p)["eventSourceConfig"].(map[string]any)["eventSourceType"] = "Bogus"
		}},
		{"logConfg", func(p map[string]any) { p["logConfg"] = p["logConfig"]; delete(p, "logConfig") }},
		{"maxAsyncRetryAttempt", func(p map[string]any) {
			c := p["asyncInvokeConfig"].(map[string]any)
			c["maxAsyncRetryAttempt"] = c["maxAsyncRetryAttempts"]
			delete(c, "maxAsyncRetryAttempts")
		}},
		{"eventSchema: RawJSON", func(p map[string]any) {
			trigger("eventbridge")(p)["eventSinkConfig"].(map[string]any)["deliveryOption"].(map[string]any)["eventSchema"] = "RawJSON"
		}},
		{"methods: [post]", func(p map[string]any) { trigger("http")(p)["methods"] = []any{"post"} }},
		{"reservedConcurency", func(p map[string]any) { p["concurrencyConfig"] = map[string]any{"reservedConcurency": 1} }},
		{"instanceConcurrency: 500", func(p map[string]any) { p["instanceConcurrency"] = 500 }},
	}
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			_, resources := loadTemplate(t, templates[0])
			props := resources["ess-standby"].Props
			m.mutate(props)
			if validate(strict, props) == nil {
				t.Errorf("the strict schema let %s through", m.name)
			}
			if m.name != "eventSourceType: Bogus" && validate(loose, props) != nil {
				t.Logf("(the fc3 schema catches %s too)", m.name)
			}
		})
	}
}

// build is the pre-deploy step that builds a resource's code.
func build(t *testing.T, name string, r resource) (run, path string) {
	t.Helper()
	for key, steps := range r.Actions {
		if strings.HasPrefix(key, "pre-") && strings.Contains(key, "deploy") {
			for _, s := range steps {
				if strings.Contains(s.Run, "go build") {
					return s.Run, s.Path
				}
			}
		}
	}
	t.Fatalf("%s: no pre-deploy action builds the binary", name)
	return "", ""
}

func TestTemplatesAgreeWithTheCode(t *testing.T) {
	defaults, err := settings.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	var runtimes []string
	for _, path := range templates {
		vars, resources := loadTemplate(t, path)
		if vars["dryRun"] != "true" {
			t.Errorf("%s: dryRun is %v; a first deploy must change nothing", path, vars["dryRun"])
		}
		for name, r := range resources {
			p := r.Props
			runtime := p["runtime"].(string)
			runtimes = append(runtimes, runtime)
			cmd, dir := build(t, name, r)
			// The build's output and the code FC takes are the same folder,
			// both relative to the template.
			out := regexp.MustCompile(`-o (\S+)/main \.`).FindStringSubmatch(cmd)
			if out == nil || filepath.Join(filepath.Dir(path), dir, out[1]) != filepath.Join(filepath.Dir(path), p["code"].(string)) {
				t.Errorf("%s %s: the build %q in %q does not write code %v", path, name, cmd, dir, p["code"])
			}
			for _, flag := range []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "-trimpath", "-ldflags='-s -w'"} {
				if !strings.Contains(cmd, flag) {
					t.Errorf("%s %s: the build %q lacks %q (a static, stripped linux/amd64 binary)", path, name, cmd, flag)
				}
			}
			tag := fctest.Go1Tag
			if runtime != "go1" {
				tag = fctest.CustomTag
			}
			if !strings.Contains(cmd, "-tags "+tag+" ") {
				t.Errorf("%s %s: the build %q; want -tags %s, which leaves out what FC never runs", path, name, cmd, tag)
			}
			switch {
			case runtime == "custom.debian10" && path == templates[0]:
				crc, _ := p["customRuntimeConfig"].(map[string]any)
				if fmt.Sprint(crc["command"]) != "[/code/bootstrap]" || crc["port"] != defaults.ListenPort || !strings.Contains(cmd, "cp bootstrap "+out[1]+"/bootstrap") {
					t.Errorf("%s: customRuntimeConfig %v, build %q; want /code/bootstrap copied in, on port %d", name, crc, cmd, defaults.ListenPort)
				}
				// Every invocation of a storm in the one instance: FC's most.
				if p["instanceConcurrency"] != 200 {
					t.Errorf("%s: instanceConcurrency %v; want 200, so that a storm's invocations share one process", name, p["instanceConcurrency"])
				}
			case runtime == "go1" && path != templates[0]:
				if p["handler"] != "main" || p["instanceConcurrency"] != 1 {
					t.Errorf("%s: handler %v, instanceConcurrency %v; want main and 1", name, p["handler"], p["instanceConcurrency"])
				}
			default:
				t.Errorf("%s %s: runtime %q; want custom.debian10 (in every region) in s.yaml, and go1 in the variant", path, name, runtime)
			}
			// One process acts on a group at a time, across invocations: FC
			// runs at most one instance of the function, and both templates
			// are that one function, so deploying both never makes two.
			if cc, _ := p["concurrencyConfig"].(map[string]any); cc["reservedConcurrency"] != 1 || p["functionName"] != "ess-standby" {
				t.Errorf("%s %s: concurrencyConfig %v, functionName %v; want reservedConcurrency 1, and the function ess-standby", path, name, p["concurrencyConfig"], p["functionName"])
			}
			env, _ := p["environmentVariables"].(map[string]any)
			for k := range env {
				if !slices.Contains(settings.Names, k) {
					t.Errorf("%s %s: environment variable %s is not a setting the code reads", path, name, k)
				}
			}
			for _, k := range settings.Names {
				provided := strings.HasPrefix(k, "FC_") || strings.HasPrefix(k, "ALIBABA_CLOUD_ACCESS_KEY") || k == "ALIBABA_CLOUD_SECURITY_TOKEN" || k == "DEBUG" ||
					k == "LOG_ENDPOINT" || // the drill's: the function reads no log
					k == "GOGC" || k == "HTTPS_PROXY" || k == "NO_PROXY" // the process's: its default, or none, serves FC
				if _, ok := env[k]; !ok && !provided {
					t.Errorf("%s %s: setting %s is missing from environmentVariables", path, name, k)
				}
			}
			if _, err := settings.Load(func(k string) string { s, _ := env[k].(string); return s }); err != nil {
				t.Errorf("%s %s: its settings do not load: %v", path, name, err)
			}
			checkTriggers(t, name, p["triggers"])
		}
	}
	if !slices.Equal(runtimes, []string{"custom.debian10", "go1"}) {
		t.Errorf("runtimes %v: want the custom runtime in s.yaml, the go1 runtime in its own template", runtimes)
	}
	script, err := os.ReadFile("../../../bootstrap")
	if err != nil || !regexp.MustCompile(`(?m)^exec "\$\(dirname "\$0"\)/main" serve$`).Match(script) {
		t.Errorf("bootstrap must exec main serve, next to it, so signals reach it: %s %v", script, err)
	}
}

// dryRun runs an event through the handler, changing nothing.
func dryRun(t *testing.T, event any) handler.Outcome {
	t.Helper()
	payload, _ := json.Marshal(event)
	// The instances the templates' timer and the rule checks name, InService.
	fake := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{
		"asg-bp1any": {"i-bp1any": "InService"}, "asg-bp1fo0dbtsbmqa9h5dl3": {"i-bp1ecr7go2go9kq3m1a": "InService"}})
	h := handler.New(handler.Config{}, standby.New(standby.Config{DryRun: true}, fake.Cloud()), slog.New(slog.DiscardHandler))
	defer func() {
		if calls := fake.Calls("Standby"); len(calls) > 0 {
			t.Errorf("a dry run made %d Standby calls", len(calls))
		}
	}()
	return h.Invoke(context.Background(), standby.Invocation{Region: "cn-hangzhou", Credentials: standby.Credentials{AccessKeyID: "a", AccessKeySecret: "b"}}, bytes.NewReader(payload))
}

// actingTypes are the ECS event types the function acts on.
func actingTypes() []string {
	acting := []string{"ecs:Instance:" + trigger.Preemptible}
	for _, typ := range trigger.SystemEventTypes {
		acting = append(acting, "ecs:Instance:"+typ)
	}
	return acting
}

// checkRule checks an EventBridge rule's pattern: ECS events, each of the
// types that act, and each type it passes one the handler acts on.
func checkRule(t *testing.T, name, rule string) {
	t.Helper()
	var pattern struct{ Source, Type []string }
	if err := json.Unmarshal([]byte(rule), &pattern); err != nil || fmt.Sprint(pattern.Source) != "[acs.ecs]" || len(pattern.Type) == 0 {
		t.Errorf("%s: rule pattern %v: want acs.ecs instance events", name, rule)
	}
	if missing := slices.DeleteFunc(actingTypes(), func(typ string) bool { return slices.Contains(pattern.Type, typ) }); len(missing) > 0 {
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
}

// checkTriggers checks each trigger against what the handler does with the
// events it sends.
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
			checkRule(t, name, cfg["eventRuleFilterPattern"].(string))
			if schema := cfg["eventSinkConfig"].(map[string]any)["deliveryOption"].(map[string]any)["eventSchema"]; schema != "CloudEvents" {
				t.Errorf("%s: eventSchema %v; CloudEvents carry the time MAX_EVENT_AGE needs", name, schema)
			}
			if _, ok := cfg["runOptions"]; ok {
				t.Errorf("%s: runOptions act only in event-streaming mode; ship only keys that act", name)
			}
		default:
			t.Errorf("%s: trigger type %v is not one the handler decodes", name, tr["triggerType"])
		}
	}
}

// The binaries FC runs carry no test code and no emulator: the go1 build
// and the custom runtime's, as the templates build them.
func TestDeployedBuildsCarryNoTestCode(t *testing.T) {
	for _, tag := range []string{fctest.Go1Tag, fctest.CustomTag} {
		out, err := exec.Command("go", "list", "-deps", "-tags", tag, "ess-standby").CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		for pkg := range strings.Lines(string(out)) {
			pkg = strings.TrimSpace(pkg)
			if strings.HasSuffix(pkg, "httptest") || strings.HasPrefix(pkg, "ess-standby/handler/es") && pkg != "ess-standby/handler/ess" ||
				pkg == "ess-standby/handler/internal/fctest" || strings.HasSuffix(pkg, "standbytest") {
				t.Errorf("the build with -tags %s links %s", tag, pkg)
			}
		}
	}
}

// Serverless Devs' own resolution of each template (`s preview -o json`,
// 3.1.10, by .ci/preview; .ci/run fails when the committed one is stale)
// validates against the fc3 schema and the strict one, and is what this
// package's own resolver makes of the template: the other tests, which
// resolve the templates themselves, test what s deploys.
func TestServerlessDevsResolvesTheTemplates(t *testing.T) {
	schemas := []*jsonschema.Schema{compile(t, "testdata/fc3-schema.json"), compile(t, "testdata/fc3-strict.json")}
	for _, path := range templates {
		raw, err := os.ReadFile(filepath.Join("testdata/preview", filepath.Base(path)+".json"))
		if err != nil {
			t.Fatalf("%v: run .ci/preview", err)
		}
		var preview struct{ Resources map[string]resource }
		if err := json.Unmarshal(raw, &preview); err != nil || len(preview.Resources) == 0 {
			t.Fatalf("%s's preview: %v", path, err)
		}
		_, ours := resolveTemplate(t, path)
		for name, r := range preview.Resources {
			for _, schema := range schemas {
				if err := validate(schema, r.Props); err != nil {
					t.Errorf("%s %s, as s preview resolves it, does not validate:\n%v", path, name, err)
				}
			}
			if got, want := normalized(t, r), normalized(t, ours[name]); got != want {
				t.Errorf("%s %s: s preview resolves\n%s\nthis package's resolver\n%s\n(run .ci/preview after changing a template)", path, name, got, want)
			}
		}
		if len(preview.Resources) != len(ours) {
			t.Errorf("%s: s preview has %d resources, the template %d", path, len(preview.Resources), len(ours))
		}
	}
}

// normalized is a resource as JSON with its numbers as JSON has them, so
// that YAML's and JSON's decodings compare.
func normalized(t *testing.T, r resource) string {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	json.Unmarshal(b, &v)
	b, _ = json.MarshalIndent(v, "", " ")
	return string(b)
}

// previewAccount is the account ID .ci/preview's access alias gives.
const previewAccount = "1234567890123456"

// loadTemplate is a template as Serverless Devs resolves it (s preview, by
// .ci/preview, with the access alias of account previewAccount): its vars
// and resources, decoded as YAML decodes (JSON is YAML), numbers whole.
func loadTemplate(t *testing.T, path string) (vars map[string]any, resources map[string]resource) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata/preview", filepath.Base(path)+".json"))
	if err != nil {
		t.Fatalf("%v: run .ci/preview", err)
	}
	var doc struct {
		Vars      map[string]any
		Resources map[string]resource
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil || len(doc.Resources) == 0 {
		t.Fatalf("%s's preview: %v", path, err)
	}
	return doc.Vars, doc.Resources
}
