package deploytest_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// tfDir is the Terraform module; tfSchema the alicloud provider's schemas of
// the resources it uses, dumped from the provider itself by
// deploy/terraform/schemagen (by hand, when the version is bumped).
const (
	tfDir    = "../../../deploy/terraform"
	tfSchema = "testdata/terraform-schema.json"
)

type tfAttr struct {
	Type                         string
	Required, Optional, Computed bool
	Enum                         []string `json:"enum"`     // the provider's own validation
	DocEnum                      []string `json:"doc_enum"` // its documentation's list, where it validates nothing
}

type tfBlock struct {
	Attributes map[string]*tfAttr
	Blocks     map[string]*tfNested
}

type tfNested struct {
	MinItems int `json:"min_items"`
	MaxItems int `json:"max_items"`
	Required bool
	tfBlock
}

func loadSchemas(t *testing.T) (version string, resources map[string]*tfBlock) {
	t.Helper()
	b, err := os.ReadFile(tfSchema)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Version   string
		Resources map[string]*tfBlock
	}
	if err := json.Unmarshal(b, &d); err != nil || len(d.Resources) == 0 {
		t.Fatalf("%s: %v", tfSchema, err)
	}
	return d.Version, d.Resources
}

// tfFiles parses the module's files; edit, if given, changes a file's text
// first, as a user's mistake would.
func tfFiles(t *testing.T, edit func(name, src string) string) []*hcl.File {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(tfDir, "*.tf"))
	if len(paths) == 0 {
		t.Fatal("no .tf file in " + tfDir)
	}
	p := hclparse.NewParser()
	var files []*hcl.File
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		text := string(src)
		if edit != nil {
			text = edit(filepath.Base(path), text)
		}
		f, diags := p.ParseHCL([]byte(text), path)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		files = append(files, f)
	}
	return files
}

// tfProblems checks every resource of the module against the provider's
// schemas: its type, each argument and block by name, required arguments,
// block counts, and the type and allowed values of each literal.
func tfProblems(files []*hcl.File, schemas map[string]*tfBlock, ctx *hcl.EvalContext) []string {
	var problems []string
	for _, f := range files {
		for _, blk := range f.Body.(*hclsyntax.Body).Blocks {
			if blk.Type != "resource" {
				continue
			}
			s, ok := schemas[blk.Labels[0]]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: resource type %s is not the provider's (or not in the dump)", blk.DefRange(), blk.Labels[0]))
				continue
			}
			for _, p := range checkBody(blk.Body, s, true, ctx) {
				problems = append(problems, blk.Labels[0]+"."+blk.Labels[1]+": "+p)
			}
		}
	}
	return problems
}

var metaArguments = []string{"count", "for_each", "depends_on", "provider", "lifecycle"}

// checkBody checks a body; ctx gives the variables their defaults, so that
// a value set through a variable is checked too (one that refers to another
// resource is Terraform's to know).
func checkBody(body *hclsyntax.Body, s *tfBlock, top bool, ctx *hcl.EvalContext) (problems []string) {
	for name, a := range body.Attributes {
		sa, ok := s.Attributes[name]
		switch {
		case !ok && top && slices.Contains(metaArguments, name):
			continue
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: unsupported argument %q", a.SrcRange, name))
			continue
		case !sa.Required && !sa.Optional:
			problems = append(problems, fmt.Sprintf("%s: %q is computed, not an argument", a.SrcRange, name))
			continue
		}
		v, diags := a.Expr.Value(ctx)
		if diags.HasErrors() || !v.IsWhollyKnown() {
			continue
		}
		if want := ctyType(sa.Type); want != cty.NilType {
			if _, err := convert.Convert(v, want); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %q: %v", a.SrcRange, name, err))
				continue
			}
		}
		if allowed := append(slices.Clone(sa.Enum), sa.DocEnum...); len(allowed) > 0 && v.Type() == cty.String && !slices.Contains(allowed, v.AsString()) {
			problems = append(problems, fmt.Sprintf("%s: %s = %q, want one of %v", a.SrcRange, name, v.AsString(), allowed))
		}
	}
	for name, a := range s.Attributes {
		if a.Required && body.Attributes[name] == nil {
			problems = append(problems, fmt.Sprintf("missing required argument %q", name))
		}
	}
	count := map[string]int{}
	for _, b := range body.Blocks {
		name, inner := b.Type, b.Body
		if b.Type == "dynamic" {
			name = b.Labels[0]
			for _, c := range b.Body.Blocks {
				if c.Type == "content" {
					inner = c.Body
				}
			}
		}
		if top && name == "lifecycle" {
			continue
		}
		n, ok := s.Blocks[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: unsupported block %q", b.DefRange(), name))
			continue
		}
		count[name]++
		problems = append(problems, checkBody(inner, &n.tfBlock, false, ctx)...)
	}
	for name, n := range s.Blocks {
		switch {
		case n.MaxItems > 0 && count[name] > n.MaxItems:
			problems = append(problems, fmt.Sprintf("block %q: %d given, at most %d", name, count[name], n.MaxItems))
		case n.Required && count[name] == 0:
			problems = append(problems, fmt.Sprintf("missing required block %q", name))
		}
	}
	return problems
}

func ctyType(s string) cty.Type {
	return map[string]cty.Type{"string": cty.String, "number": cty.Number, "bool": cty.Bool, "list(string)": cty.List(cty.String),
		"set(string)": cty.Set(cty.String), "map(string)": cty.Map(cty.String)}[s]
}

// The module validates against the provider's own schemas, at the version
// it pins; and the checker catches what a user gets wrong: a misspelt
// argument, a misspelt resource type, a runtime FC does not have, a trigger
// type FC does not have.
func TestTerraformModuleValidates(t *testing.T) {
	version, schemas := loadSchemas(t)
	inputs := map[string]cty.Value{"region": cty.StringVal("cn-hangzhou"), "log_project": cty.StringVal("p"), "auth_token": cty.StringVal(previewEnv(t)["ESS_STANDBY_AUTH_TOKEN"]),
		"scaling_group_ids": cty.ListVal([]cty.Value{cty.StringVal("asg-bp1a")})}
	problemsOf := func(files []*hcl.File) []string { return tfProblems(files, schemas, tfEval(t, files, inputs)) }
	if problems := problemsOf(tfFiles(t, nil)); len(problems) > 0 {
		t.Errorf("deploy/terraform does not validate against alicloud %s:\n%s", version, strings.Join(problems, "\n"))
	}
	versions, _ := os.ReadFile(filepath.Join(tfDir, "versions.tf"))
	if !strings.Contains(string(versions), `version = "`+strings.TrimPrefix(version, "v")+`"`) {
		t.Errorf("versions.tf does not pin alicloud %s, whose schemas the tests hold it to", version)
	}
	for _, mistake := range []struct{ name, from, to string }{
		{"a misspelt argument", "memory_size   = 256", "memory_sise   = 256"},
		{"a misspelt resource type", `resource "alicloud_fcv3_trigger" "http"`, `resource "alicloud_fcv3_triger" "http"`},
		{"a wrong runtime", `"custom.debian10"`, `"custom.debian12"`},
		{"a wrong trigger type", `trigger_type  = "timer"`, `trigger_type  = "cron"`},
		{"a wrong value's type", "timeout       = 30", `timeout       = "half a minute"`},
		{"a missing required argument", `  handler       = "main"`, `  # no handler`},
		{"a missing required block", "  schedule {\n    type     = \"FixedRate\"\n    interval = \"5m\"\n  }\n", ""},
		{"a wrong value through a variable", "timeout       = 30", "timeout       = var.log_store"},
	} {
		edited := false
		files := tfFiles(t, func(name, src string) string {
			if strings.Contains(src, mistake.from) {
				edited = true
			}
			return strings.Replace(src, mistake.from, mistake.to, 1)
		})
		if !edited {
			t.Fatalf("%s: the module has no %q to change", mistake.name, mistake.from)
		}
		if problems := problemsOf(files); len(problems) == 0 {
			t.Errorf("%s (%q) validates", mistake.name, mistake.to)
		}
	}
}

// tfEval evaluates the module's values as a plan with example inputs
// would: the variables' defaults and the inputs, its locals, and the
// functions it uses, Terraform's own names for go-cty's.
func tfEval(t *testing.T, files []*hcl.File, inputs map[string]cty.Value) *hcl.EvalContext {
	t.Helper()
	vars := map[string]cty.Value{}
	for k, v := range inputs {
		vars[k] = v
	}
	readFile := function.New(&function.Spec{Params: []function.Parameter{{Name: "path", Type: cty.String}}, Type: function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			b, err := os.ReadFile(args[0].AsString())
			return cty.StringVal(string(b)), err
		}})
	ctx := &hcl.EvalContext{Functions: map[string]function.Function{
		"jsonencode": stdlib.JSONEncodeFunc, "merge": stdlib.MergeFunc, "join": stdlib.JoinFunc, "replace": stdlib.ReplaceFunc,
		"keys": stdlib.KeysFunc, "contains": stdlib.ContainsFunc, "length": stdlib.LengthFunc, "tostring": stdlib.MakeToFunc(cty.String),
		"file": readFile, "filebase64": function.New(&function.Spec{Params: []function.Parameter{{Name: "path", Type: cty.String}}, Type: function.StaticReturnType(cty.String),
			Impl: func([]cty.Value, cty.Type) (cty.Value, error) { return cty.StringVal("(the code package)"), nil }}),
	}}
	var locals []*hcl.Attribute
	for _, f := range files {
		for _, blk := range f.Body.(*hclsyntax.Body).Blocks {
			switch blk.Type {
			case "variable":
				if d, ok := blk.Body.Attributes["default"]; ok && vars[blk.Labels[0]] == cty.NilVal {
					v, diags := d.Expr.Value(nil)
					if diags.HasErrors() {
						t.Fatal(diags)
					}
					vars[blk.Labels[0]] = v
				}
			case "locals":
				for _, a := range blk.Body.Attributes {
					locals = append(locals, a.AsHCLAttribute())
				}
			}
		}
	}
	ctx.Variables = map[string]cty.Value{
		"var":  cty.ObjectVal(vars),
		"path": cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal(tfDir)}),
		"data": cty.ObjectVal(map[string]cty.Value{"alicloud_account": cty.ObjectVal(map[string]cty.Value{"current": cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("1234567890123456")})})}),
	}
	values := map[string]cty.Value{}
	for range locals { // a local may use another: evaluate until all are known
		for _, a := range locals {
			ctx.Variables["local"] = cty.ObjectVal(values)
			if v, diags := a.Expr.Value(ctx); !diags.HasErrors() {
				values[a.Name] = v
			}
		}
	}
	ctx.Variables["local"] = cty.ObjectVal(values)
	return ctx
}

// tfResources are the module's resources of a type, by name.
func tfResources(files []*hcl.File, typ string) map[string]*hclsyntax.Body {
	out := map[string]*hclsyntax.Body{}
	for _, f := range files {
		for _, blk := range f.Body.(*hclsyntax.Body).Blocks {
			if blk.Type == "resource" && blk.Labels[0] == typ {
				out[blk.Labels[1]] = blk.Body
			}
		}
	}
	return out
}

// goValue is a cty value as JSON decodes it, to compare with the templates.
func goValue(t *testing.T, v cty.Value) any {
	t.Helper()
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		t.Fatal(err)
	}
	var out any
	json.Unmarshal(b, &out)
	return out
}

// The Terraform module deploys what s.yaml does (as Serverless Devs
// resolves it): the runtime and its sizes, every setting with s.yaml's
// value (the allowlist aside: the module requires its groups, to scope the
// role), the same triggers with the same configuration, the EventBridge
// pattern included, the same concurrency and retries; and the role's
// policy is deploy/function-policy.json, filled in.
func TestTerraformIsSYAML(t *testing.T) {
	files := tfFiles(t, nil)
	ctx := tfEval(t, files, map[string]cty.Value{"region": cty.StringVal("cn-hangzhou"), "log_project": cty.StringVal("ess-standby-logs"), "auth_token": cty.StringVal(previewEnv(t)["ESS_STANDBY_AUTH_TOKEN"]),
		"scaling_group_ids": cty.ListVal([]cty.Value{cty.StringVal("asg-bp1a"), cty.StringVal("asg-bp1b")})})
	raw, err := os.ReadFile("testdata/preview/s.yaml.json")
	if err != nil {
		t.Fatal(err)
	}
	var preview struct{ Resources map[string]resource }
	json.Unmarshal(raw, &preview)
	props := preview.Resources["ess-standby"].Props
	attr := func(body *hclsyntax.Body, name string) any {
		t.Helper()
		a, ok := body.Attributes[name]
		if !ok {
			t.Fatalf("no %s", name)
		}
		v, diags := a.Expr.Value(ctx)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", name, diags)
		}
		return goValue(t, v)
	}
	fn := tfResources(files, "alicloud_fcv3_function")["ess_standby"]
	for tf, s := range map[string]string{"function_name": "functionName", "description": "description", "runtime": "runtime", "handler": "handler", "memory_size": "memorySize",
		"cpu": "cpu", "disk_size": "diskSize", "timeout": "timeout", "instance_concurrency": "instanceConcurrency", "internet_access": "internetAccess"} {
		if got, want := attr(fn, tf), props[s]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v; s.yaml's %s is %v", tf, got, s, want)
		}
	}
	env := attr(fn, "environment_variables").(map[string]any)
	want := props["environmentVariables"].(map[string]any)
	if env["ALLOWED_SCALING_GROUP_IDS"] != "asg-bp1a,asg-bp1b" {
		t.Errorf("ALLOWED_SCALING_GROUP_IDS = %v; want the role's groups", env["ALLOWED_SCALING_GROUP_IDS"])
	}
	delete(env, "ALLOWED_SCALING_GROUP_IDS")
	delete(want, "ALLOWED_SCALING_GROUP_IDS")
	if !reflect.DeepEqual(env, want) {
		t.Errorf("the settings\n%v\ns.yaml's\n%v", env, want)
	}
	for _, b := range fn.Blocks {
		if b.Type != "custom_runtime_config" {
			continue
		}
		got := map[string]any{"command": goValue(t, mustValue(t, b.Body.Attributes["command"], ctx)), "port": goValue(t, mustValue(t, b.Body.Attributes["port"], ctx))}
		if want := props["customRuntimeConfig"]; !reflect.DeepEqual(got, want) {
			t.Errorf("custom_runtime_config %v; s.yaml's %v", got, want)
		}
	}
	triggers := map[string]map[string]any{}
	for _, body := range tfResources(files, "alicloud_fcv3_trigger") {
		var cfg map[string]any
		json.Unmarshal([]byte(attr(body, "trigger_config").(string)), &cfg)
		triggers[attr(body, "trigger_name").(string)] = map[string]any{"triggerType": attr(body, "trigger_type"), "qualifier": attr(body, "qualifier"), "triggerConfig": cfg}
	}
	sTriggers := map[string]map[string]any{}
	for _, tr := range props["triggers"].([]any) {
		m := tr.(map[string]any)
		sTriggers[m["triggerName"].(string)] = map[string]any{"triggerType": m["triggerType"], "qualifier": m["qualifier"], "triggerConfig": m["triggerConfig"]}
	}
	if !reflect.DeepEqual(triggers, sTriggers) {
		t.Errorf("the triggers\n%v\ns.yaml's\n%v", triggers, sTriggers)
	}
	var policy, file any
	json.Unmarshal([]byte(goValue(t, ctx.Variables["local"].GetAttr("policy")).(string)), &policy)
	src, _ := os.ReadFile("../../../deploy/function-policy.json")
	groups := strings.Replace(string(src), "scalinggroup/<scaling-group-id>\"", "scalinggroup/asg-bp1a\", \"acs:ess:<region>:<account-id>:scalinggroup/asg-bp1b\"", 1)
	filled := strings.NewReplacer("<region>", "cn-hangzhou", "<account-id>", "1234567890123456").Replace(groups)
	if err := json.Unmarshal([]byte(filled), &file); err != nil || !reflect.DeepEqual(policy, file) {
		t.Errorf("the role's policy\n%v\nis not deploy/function-policy.json filled in\n%v (%v)", policy, file, err)
	}
	conc := tfResources(files, "alicloud_fcv3_concurrency_config")["ess_standby"]
	async := tfResources(files, "alicloud_fcv3_async_invoke_config")["ess_standby"]
	sAsync := props["asyncInvokeConfig"].(map[string]any)
	if fmt.Sprint(attr(conc, "reserved_concurrency")) != fmt.Sprint(props["concurrencyConfig"].(map[string]any)["reservedConcurrency"]) ||
		fmt.Sprint(attr(async, "max_async_retry_attempts")) != fmt.Sprint(sAsync["maxAsyncRetryAttempts"]) ||
		fmt.Sprint(attr(async, "max_async_event_age_in_seconds")) != fmt.Sprint(sAsync["maxAsyncEventAgeInSeconds"]) {
		t.Errorf("concurrency or retries differ from s.yaml's %v, %v", props["concurrencyConfig"], sAsync)
	}
}

func mustValue(t *testing.T, a *hclsyntax.Attribute, ctx *hcl.EvalContext) cty.Value {
	t.Helper()
	v, diags := a.Expr.Value(ctx)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return v
}
