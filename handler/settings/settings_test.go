package settings

import (
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"ess-standby/handler"
	"ess-standby/handler/standby"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestLoad(t *testing.T) {
	s, err := Load(env(map[string]string{
		"ESS_ENDPOINT": "http://127.0.0.1:8080", "ALIBABA_CLOUD_REGION_ID": "cn-shanghai", "SCALING_GROUP_ID": "asg-bp1x",
		"LOG_LEVEL": "DEBUG", "FC_REGION": "cn-hangzhou", "ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "secret",
	}))
	if err != nil {
		t.Fatal(err)
	}
	core := s.Standby
	if s.ESSEndpoint.String() != "http://127.0.0.1:8080" || core.Region != "cn-shanghai" || core.ScalingGroupID != "asg-bp1x" ||
		s.LogLevel != slog.LevelDebug || core.FCRegion != "cn-hangzhou" || !core.Credentials.Complete() {
		t.Errorf("Load = %+v", s)
	}
	s, err = Load(env(nil))
	if err != nil || s.ESSEndpoint != nil || s.LogLevel != slog.LevelInfo || s.Handler.MaxEventAge != handler.DefaultMaxEventAge || s.Standby.MaxInstances != 100 || s.ListenPort != 9000 {
		t.Errorf("defaults = %+v, %v", s, err)
	}
}

func TestMaxEventAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"30m": 30 * time.Minute, "2h": 2 * time.Hour, "0": 0, " 1h ": time.Hour, "8760h": 8760 * time.Hour} {
		if s, err := Load(env(map[string]string{"MAX_EVENT_AGE": in})); err != nil || s.Handler.MaxEventAge != want {
			t.Errorf("MAX_EVENT_AGE=%q: %v, %v; want %v", in, s.Handler.MaxEventAge, err, want)
		}
	}
	for _, in := range []string{"-1h", "1", "10s", "forever", "1d"} {
		if _, err := Load(env(map[string]string{"MAX_EVENT_AGE": in})); err == nil || !strings.Contains(err.Error(), "MAX_EVENT_AGE") {
			t.Errorf("MAX_EVENT_AGE=%q accepted (%v)", in, err)
		}
	}
}

// MIN_IN_SERVICE and MAX_STANDBY are a count or a percentage; a cap of
// none is refused (it would park nothing, which DRY_RUN says), a floor of
// none is no guard.
func TestShares(t *testing.T) {
	for in, want := range map[string]standby.Share{"2": {Count: 2}, "10%": {Percent: 10}, " 1 ": {Count: 1}, "100%": {Percent: 100}} {
		s, err := Load(env(map[string]string{"MAX_STANDBY": in, "MIN_IN_SERVICE": in}))
		if err != nil || s.Standby.MaxStandby != want || s.Standby.MinInService != want {
			t.Errorf("%q: MAX_STANDBY %+v, MIN_IN_SERVICE %+v, %v; want %+v", in, s.Standby.MaxStandby, s.Standby.MinInService, err, want)
		}
	}
	for _, in := range []string{"0", "0%", "-1", "101%", "half", "5 %"} {
		if _, err := Load(env(map[string]string{"MAX_STANDBY": in})); err == nil || !strings.Contains(err.Error(), "MAX_STANDBY") {
			t.Errorf("MAX_STANDBY=%q accepted (%v)", in, err)
		}
	}
	if s, err := Load(env(map[string]string{"MIN_IN_SERVICE": "0"})); err != nil || s.Standby.MinInService != (standby.Share{}) {
		t.Errorf("MIN_IN_SERVICE=0: %+v, %v; want no guard", s.Standby.MinInService, err)
	}
}

func TestLoadSettingsReportsEveryProblem(t *testing.T) {
	_, err := Load(env(map[string]string{
		"ESS_ENDPOINT":                "http://ess.aliyuncs.com",
		"ALIBABA_CLOUD_REGION_ID":     "Hangzhou",
		"SCALING_GROUP_ID":            "sg-1",
		"LOG_LEVEL":                   "verbose",
		"DEBUG":                       "tea,sdk",
		"DRY_RUN":                     "maybe",
		"WAIT":                        "sometimes",
		"MIN_IN_SERVICE":              "half",
		"MAX_INSTANCES":               "0",
		"ALLOWED_SCALING_GROUP_IDS":   "asg-a, sg-b",
		"FC_CUSTOM_LISTEN_PORT":       "http",
		"AUTH_TOKEN":                  "short",
		"ALIBABA_CLOUD_ACCESS_KEY_ID": "id-without-secret",
	}))
	if err == nil {
		t.Fatal("bad settings were accepted")
	}
	for _, want := range []string{"ESS_ENDPOINT", "only to a loopback", "ALIBABA_CLOUD_REGION_ID", "SCALING_GROUP_ID", "LOG_LEVEL", "DEBUG=sdk", "DRY_RUN", "WAIT=", "MIN_IN_SERVICE", "MAX_INSTANCES", `"sg-b" is not a scaling group ID`, "FC_CUSTOM_LISTEN_PORT", "AUTH_TOKEN must be", "set together"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "id-without-secret") {
		t.Errorf("error %q quotes a credential", err)
	}
}

func TestParseEndpoint(t *testing.T) {
	for in, ok := range map[string]bool{
		"https://ess.aliyuncs.com":               true,
		"https://ess.eu-central-1.aliyuncs.com/": true,
		"http://127.0.0.1:9999":                  true,
		"http://localhost:9999":                  true,
		"http://[::1]:9999":                      true,
		"http://10.0.0.5":                        false,
		"ftp://ess.aliyuncs.com":                 false,
		"ess.aliyuncs.com":                       false,
		"https://ess.aliyuncs.com/path":          false,
		"https://user:pw@ess.aliyuncs.com":       false,
	} {
		if _, err := parseEndpoint(in); (err == nil) != ok {
			t.Errorf("parseEndpoint(%q) error = %v, want ok %t", in, err, ok)
		}
	}
}

// Load reads exactly the variables the README's settings table documents,
// each once: none undocumented, none documented and ignored.
func TestLoadReadsExactlyTheDocumentedNames(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(readme), "| name | meaning | default |")
	table, _, _ = strings.Cut(table, "\n\n")
	var documented []string
	for line := range strings.Lines(table) {
		cell, _, _ := strings.Cut(strings.TrimPrefix(line, "| "), " |")
		prefix := ""
		for _, name := range regexp.MustCompile("`([A-Z_]+)`").FindAllStringSubmatch(cell, -1) {
			if strings.HasPrefix(name[1], "_") { // `ALIBABA_CLOUD_ACCESS_KEY_ID`, `_SECRET`: a shorthand
				name[1] = prefix + name[1]
			} else if i := strings.LastIndex(name[1], "_"); i > 0 {
				prefix = name[1][:i]
			}
			if name[1] == "ALIBABA_CLOUD_ACCESS_KEY_SECURITY_TOKEN" {
				name[1] = "ALIBABA_CLOUD_SECURITY_TOKEN" // the shorthand's one irregular name
			}
			documented = append(documented, name[1])
		}
	}
	var read []string
	Load(func(name string) string { read = append(read, name); return "" })
	slices.Sort(read)
	slices.Sort(documented)
	if !slices.Equal(read, documented) || len(documented) < 20 {
		t.Errorf("Load reads %v;\nthe README documents %v", read, documented)
	}
	if !slices.Equal(slices.Sorted(slices.Values(Names)), read) {
		t.Errorf("Names %v, Load reads %v", Names, read)
	}
}

// A default group outside the allowlist could never be acted on: start-up
// refuses it.
func TestScalingGroupIDMustBeAllowed(t *testing.T) {
	_, err := Load(env(map[string]string{"SCALING_GROUP_ID": "asg-bp1x", "ALLOWED_SCALING_GROUP_IDS": "asg-bp1a,asg-bp1b"}))
	if err == nil || !strings.Contains(err.Error(), `SCALING_GROUP_ID="asg-bp1x" is not in ALLOWED_SCALING_GROUP_IDS`) {
		t.Errorf("Load = %v", err)
	}
	if _, err := Load(env(map[string]string{"SCALING_GROUP_ID": "asg-bp1b", "ALLOWED_SCALING_GROUP_IDS": "asg-bp1a,asg-bp1b"})); err != nil {
		t.Errorf("an allowed default group: %v", err)
	}
}

// INSTANCE_LABELS are label names as Prometheus spells them, tried in the
// order given; LOCATE_BY_ADDRESS is off unless set.
func TestInstanceLabels(t *testing.T) {
	s, err := Load(env(nil))
	if err != nil || s.Handler.InstanceLabels != nil || s.Handler.LocateByAddress {
		t.Errorf("defaults: %v, locate %t, %v; want none (trigger's defaults) and off", s.Handler.InstanceLabels, s.Handler.LocateByAddress, err)
	}
	for in, want := range map[string][]string{
		"instance_id":                   {"instance_id"},
		" ecs_instance_id , instanceId": {"ecs_instance_id", "instanceId"},
		"instanceId,instance_id,":       {"instanceId", "instance_id"},
		"_id":                           {"_id"},
	} {
		if s, err := Load(env(map[string]string{"INSTANCE_LABELS": in, "LOCATE_BY_ADDRESS": "true"})); err != nil || !slices.Equal(s.Handler.InstanceLabels, want) || !s.Handler.LocateByAddress {
			t.Errorf("INSTANCE_LABELS=%q: %v, locate %t, %v; want %v", in, s.Handler.InstanceLabels, s.Handler.LocateByAddress, err, want)
		}
	}
	for in, want := range map[string]string{
		"instance-id":           `"instance-id" is not a label name`,
		"1st":                   `"1st" is not a label name`,
		"a,b,a":                 `"a" is given twice`,
		",":                     "names no label",
		"a,b,c,d,e,f,g,h,i,j,k": "more than 10",
		"instance id":           `"instance id" is not a label name`,
	} {
		if _, err := Load(env(map[string]string{"INSTANCE_LABELS": in})); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("INSTANCE_LABELS=%q: %v; want %q", in, err, want)
		}
	}
	if _, err := Load(env(map[string]string{"LOCATE_BY_ADDRESS": "yes"})); err == nil || !strings.Contains(err.Error(), "LOCATE_BY_ADDRESS") {
		t.Errorf("LOCATE_BY_ADDRESS=yes: %v", err)
	}
}
