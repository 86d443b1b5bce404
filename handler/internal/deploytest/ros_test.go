package deploytest_test

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// rosMaxInstanceConcurrency is the most ROS's ALIYUN::FC3::Function takes
// (its schema, as the ROS CDK holds it): FC's API and s.yaml take 200.
const rosMaxInstanceConcurrency = 100

// The ROS template (deploy/ros/template.json, which .ci/run synthesises
// again with the ROS CDK) deploys what s.yaml does, as Serverless Devs
// resolves it: the function's runtime and sizes, every setting (those the
// stack's parameters give aside), the same triggers with the same
// configuration, the same concurrency and retries; and the role's policy
// is deploy/function-policy.json, filled in by the stack.
func TestROSIsSYAML(t *testing.T) {
	var tmpl struct {
		Parameters map[string]map[string]any
		Resources  map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	raw, err := os.ReadFile("../../../deploy/ros/template.json")
	if err != nil || json.Unmarshal(raw, &tmpl) != nil {
		t.Fatalf("deploy/ros/template.json: %v", err)
	}
	raw, _ = os.ReadFile("testdata/preview/s.yaml.json")
	var preview struct{ Resources map[string]resource }
	json.Unmarshal(raw, &preview)
	props := preview.Resources["ess-standby"].Props
	byType := map[string][]map[string]any{}
	for _, r := range tmpl.Resources {
		byType[r.Type] = append(byType[r.Type], r.Properties)
	}
	if len(byType["ALIYUN::FC3::Function"]) != 1 {
		t.Fatalf("resources %v", byType)
	}
	fn := byType["ALIYUN::FC3::Function"][0]
	for ros, s := range map[string]string{"FunctionName": "functionName", "Description": "description", "Runtime": "runtime", "Handler": "handler", "MemorySize": "memorySize",
		"Cpu": "cpu", "DiskSize": "diskSize", "Timeout": "timeout", "InternetAccess": "internetAccess"} {
		if fmt.Sprint(fn[ros]) != fmt.Sprint(props[s]) {
			t.Errorf("%s = %v; s.yaml's %s is %v", ros, fn[ros], s, props[s])
		}
	}
	if fmt.Sprint(fn["InstanceConcurrency"]) != fmt.Sprint(rosMaxInstanceConcurrency) || fmt.Sprint(props["instanceConcurrency"]) != "200" {
		t.Errorf("InstanceConcurrency %v, s.yaml's %v: want ROS's most, and the README's account of it", fn["InstanceConcurrency"], props["instanceConcurrency"])
	}
	rt := fn["CustomRuntimeConfig"].(map[string]any)
	if want := props["customRuntimeConfig"].(map[string]any); fmt.Sprint(rt["Command"]) != fmt.Sprint(want["command"]) || fmt.Sprint(rt["Port"]) != fmt.Sprint(want["port"]) {
		t.Errorf("CustomRuntimeConfig %v; s.yaml's %v", rt, want)
	}
	env := fn["EnvironmentVariables"].(map[string]any)
	want := props["environmentVariables"].(map[string]any)
	for name, param := range map[string]string{"DRY_RUN": "DryRun", "ALLOWED_SCALING_GROUP_IDS": "ScalingGroupId", "AUTH_TOKEN": "AuthToken", "NOTIFY_URL": "NotifyUrl", "NOTIFY_SECRET": "NotifySecret"} {
		if ref, _ := env[name].(map[string]any); ref["Ref"] != param || tmpl.Parameters[param] == nil {
			t.Errorf("%s = %v; want the stack's parameter %s", name, env[name], param)
		}
		delete(env, name)
		delete(want, name)
	}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("the settings\n%v\ns.yaml's\n%v", env, want)
	}
	triggers := map[string]any{}
	for _, tr := range byType["ALIYUN::FC3::Trigger"] {
		triggers[tr["TriggerName"].(string)] = []any{tr["TriggerType"], tr["TriggerConfig"]}
	}
	sTriggers := map[string]any{}
	for _, tr := range props["triggers"].([]any) {
		m := tr.(map[string]any)
		sTriggers[m["triggerName"].(string)] = []any{m["triggerType"], m["triggerConfig"]}
	}
	if !reflect.DeepEqual(triggers, sTriggers) {
		t.Errorf("the triggers\n%v\ns.yaml's\n%v", triggers, sTriggers)
	}
	if c := byType["ALIYUN::FC3::ConcurrencyConfig"]; len(c) != 1 || fmt.Sprint(c[0]["ReservedConcurrency"]) != "1" {
		t.Errorf("concurrency %v", c)
	}
	sAsync := props["asyncInvokeConfig"].(map[string]any)
	if a := byType["ALIYUN::FC3::AsyncInvokeConfig"]; len(a) != 1 || fmt.Sprint(a[0]["MaxAsyncRetryAttempts"]) != fmt.Sprint(sAsync["maxAsyncRetryAttempts"]) ||
		fmt.Sprint(a[0]["MaxAsyncEventAgeInSeconds"]) != fmt.Sprint(sAsync["maxAsyncEventAgeInSeconds"]) {
		t.Errorf("async configuration %v", a)
	}
	// The policy, its placeholders as the stack fills them in.
	roles := byType["ALIYUN::RAM::Role"]
	if len(roles) != 1 {
		t.Fatalf("roles %v", roles)
	}
	got := unSub(roles[0]["Policies"].([]any)[0].(map[string]any)["PolicyDocument"])
	src, _ := os.ReadFile("../../../deploy/function-policy.json")
	filled := strings.NewReplacer("<region>", "${ALIYUN::Region}", "<account-id>", "${ALIYUN::AccountId}", "<scaling-group-id>", "${ScalingGroupId}").Replace(string(src))
	var file any
	if err := json.Unmarshal([]byte(filled), &file); err != nil || !reflect.DeepEqual(got, file) {
		t.Errorf("the role's policy\n%v\nis not deploy/function-policy.json filled in\n%v (%v)", got, file, err)
	}
}

// unSub is a ROS value with each {"Fn::Sub": s} as the s it fills in.
func unSub(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if sub, ok := v["Fn::Sub"].(string); ok && len(v) == 1 {
			return sub
		}
		out := map[string]any{}
		for k, x := range v {
			out[k] = unSub(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = unSub(x)
		}
		return out
	}
	return v
}

// The failure alert is one alert, however it is deployed: docs/logs.md's
// query, every 5 minutes, in the Terraform module (on its logstore) and
// in the ROS alert stack (on any logstore, s.yaml's included).
func TestTheFailureAlertIsTheDocs(t *testing.T) {
	doc, _ := os.ReadFile("../../../docs/logs.md")
	m := regexp.MustCompile("(?s)with this query.*?```\n(.*?)\n```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/logs.md gives no failure query")
	}
	query := string(m[1])
	raw, _ := os.ReadFile("../../../deploy/ros/alert.json")
	var alert struct {
		Resources map[string]struct {
			Type       string
			Properties struct {
				Detail struct {
					Schedule      map[string]any
					Configuration struct{ QueryList []map[string]any }
				}
			}
		}
	}
	json.Unmarshal(raw, &alert)
	ros := alert.Resources["Failures"].Properties.Detail
	if alert.Resources["Failures"].Type != "ALIYUN::SLS::Alert" || len(ros.Configuration.QueryList) != 1 || ros.Configuration.QueryList[0]["Query"] != query || ros.Schedule["Interval"] != "5m" {
		t.Errorf("the ROS alert %+v; want docs/logs.md's query %q every 5m", ros, query)
	}
	files := tfFiles(t, nil)
	ctx := tfEval(t, files, map[string]cty.Value{"region": cty.StringVal("cn-hangzhou"), "log_project": cty.StringVal("p"), "auth_token": cty.StringVal(previewEnv(t)["ESS_STANDBY_AUTH_TOKEN"]),
		"scaling_group_ids": cty.ListVal([]cty.Value{cty.StringVal("asg-bp1a")})})
	alerts := tfResources(files, "alicloud_sls_alert")
	if len(alerts) != 1 {
		t.Fatal("the Terraform module has no failure alert")
	}
	var tfQuery, tfInterval cty.Value
	for _, b := range alerts["failures"].Blocks {
		switch b.Type {
		case "schedule":
			tfInterval = mustValue(t, b.Body.Attributes["interval"], ctx)
		case "configuration":
			for _, q := range b.Body.Blocks {
				if q.Type == "query_list" {
					tfQuery = mustValue(t, q.Body.Attributes["query"], ctx)
				}
			}
		}
	}
	if tfQuery.IsNull() || tfQuery.AsString() != query || tfInterval.IsNull() || tfInterval.AsString() != "5m" {
		t.Errorf("the Terraform alert queries %#v every %#v; want the README's %q every 5m", tfQuery, tfInterval, query)
	}
}
