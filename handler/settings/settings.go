// Package settings parses the function's environment variables, once, at
// start: nothing else reads the environment. main hands the result to the
// pieces it wires.
package settings

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"ess-standby/handler"
	"ess-standby/handler/notify"
	"ess-standby/handler/standby"
)

// Settings are the function's environment variables, parsed.
type Settings struct {
	Standby     standby.Config // the core's
	Handler     handler.Config
	ESSEndpoint *url.URL // nil: the SDK's endpoint for the region, over HTTPS
	ECSEndpoint *url.URL // the same, for ECS's API (the instances' tags)
	ECIEndpoint *url.URL // the same, for ECI's API (the elastic container instances' tags)
	LogEndpoint *url.URL // the same, for Log Service's, which only the drill reads
	LogLevel    slog.Level
	ListenPort  int // server mode: FC_CUSTOM_LISTEN_PORT, else FC_SERVER_PORT, else 9000
	// MaxConcurrentCalls bounds the Auto Scaling calls in flight in the
	// process (MAX_CONCURRENT_CALLS); 0 is the client's default.
	MaxConcurrentCalls int
	// GCPercent is the garbage collector's target main sets (GOGC; -1:
	// off). Unset, 80: the live heap is under 1 MB, so Go's smallest heap
	// goal (4 MB at 100) is most of the process's memory; 80 lowers the
	// peak by about 1 MB for some 10% more GC work (docs/performance.md).
	GCPercent int
	// FCRuntimeAPI is the address of FC's go1 Runtime API, which FC sets
	// in that runtime only: with it and no mode, the command serves FC's
	// invocations (fc.Start, which reads it again itself).
	FCRuntimeAPI string
	// Proxy picks the proxy of each outbound HTTPS call (Auto Scaling, ECS,
	// ECI, Log Service, NOTIFY_URL): HTTPS_PROXY, but for the hosts NO_PROXY
	// names and loopback; nil (HTTPS_PROXY unset): none. Handler.Proxy is
	// the same, for the notifications.
	Proxy func(*url.URL) (*url.URL, error)

	httpsProxy, noProxy string // HTTPS_PROXY, NO_PROXY, as given: Load makes Proxy of them
}

// variables are the environment variables Load reads, each with its
// parser, in the order they are read (of FC_SERVER_PORT and
// FC_CUSTOM_LISTEN_PORT, the later wins). A parser sees the value only when
// it is set, and reports what is wrong with it, with how to fix it.
var variables = []struct {
	name  string
	parse func(s *Settings, name, v string) error
}{
	{"ESS_ENDPOINT", func(s *Settings, name, v string) (err error) {
		if s.ESSEndpoint, err = parseEndpoint(v); err != nil {
			return fmt.Errorf("%s=%q: %v", name, v, err)
		}
		return nil
	}},
	{"ECS_ENDPOINT", func(s *Settings, name, v string) (err error) {
		if s.ECSEndpoint, err = parseEndpoint(v); err != nil {
			return fmt.Errorf("%s=%q: %v", name, v, err)
		}
		return nil
	}},
	{"ECI_ENDPOINT", func(s *Settings, name, v string) (err error) {
		if s.ECIEndpoint, err = parseEndpoint(v); err != nil {
			return fmt.Errorf("%s=%q: %v", name, v, err)
		}
		return nil
	}},
	{"LOG_ENDPOINT", func(s *Settings, name, v string) (err error) {
		if s.LogEndpoint, err = parseEndpoint(v); err != nil {
			return fmt.Errorf("%s=%q: %v", name, v, err)
		}
		return nil
	}},
	{"ALIBABA_CLOUD_REGION_ID", func(s *Settings, name, v string) error {
		s.Standby.Region = strings.TrimSpace(v)
		if r := s.Standby.Region; r != "" && !standby.ValidRegionID(r) {
			return fmt.Errorf("%s=%q is not a region ID such as cn-hangzhou", name, r)
		}
		return nil
	}},
	{"FC_REGION", func(s *Settings, _, v string) error { s.Standby.FCRegion = strings.TrimSpace(v); return nil }},
	{"SCALING_GROUP_ID", func(s *Settings, name, v string) error {
		s.Standby.ScalingGroupID = strings.TrimSpace(v)
		if g := s.Standby.ScalingGroupID; g != "" && !standby.ValidGroupID(g) {
			return fmt.Errorf("%s=%q is not a scaling group ID such as asg-bp1fo0dbtsbmqa9h5dl3", name, g)
		}
		return nil
	}},
	{"ALLOWED_SCALING_GROUP_IDS", parseAllowedGroups},
	{"AUTH_TOKEN", func(s *Settings, name, v string) error {
		s.Handler.AuthToken = handler.Secret(v)
		if len(v) < 16 || len(v) > 256 || strings.ContainsAny(v, " &=#%+/?") || !standby.PrintableASCII(v) {
			return fmt.Errorf("%s must be 16 to 256 printable characters without spaces or URL delimiters (& = # %% + / ?); e.g. openssl rand -hex 24", name)
		}
		return nil
	}},
	{"DRY_RUN", boolean(func(s *Settings) *bool { return &s.Standby.DryRun })},
	{"MAX_INSTANCES", func(s *Settings, name, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > standby.MaxNamed {
			return fmt.Errorf("%s=%q: want a number from 1 to %d", name, v, standby.MaxNamed)
		}
		s.Standby.MaxInstances = n
		return nil
	}},
	{"MIN_IN_SERVICE", share(func(s *Settings) *standby.Share { return &s.Standby.MinInService }, false)},
	{"MAX_STANDBY", share(func(s *Settings) *standby.Share { return &s.Standby.MaxStandby }, true)},
	{"MAX_EVENT_AGE", parseMaxEventAge},
	{"LEASE_END", func(s *Settings, name, v string) error {
		switch e := standby.LeaseEnd(strings.ToLower(strings.TrimSpace(v))); e {
		case standby.LeaseReport, standby.LeaseExit:
			s.Standby.LeaseEnd = e
			return nil
		}
		return fmt.Errorf("%s=%q: want report (log the instance at ERROR) or exit (take it back)", name, v)
	}},
	{"STANDBY_LEASE", func(s *Settings, name, v string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d < time.Minute || d > 90*24*time.Hour {
			return fmt.Errorf("%s=%q: want a duration from a minute to 90 days, such as 24h or 4h", name, v)
		}
		s.Standby.Lease = d
		return nil
	}},
	{"MAX_CONCURRENT_CALLS", func(s *Settings, name, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return fmt.Errorf("%s=%q: want a number from 1 to 200", name, v)
		}
		s.MaxConcurrentCalls = n
		return nil
	}},
	{"WAIT", boolean(func(s *Settings) *bool { return &s.Standby.Wait })},
	{"EXIT_ON_OK", boolean(func(s *Settings) *bool { return &s.Handler.ExitOnOK })},
	{"EXIT_ON_EVENT_END", boolean(func(s *Settings) *bool { return &s.Handler.ExitOnEventEnd })},
	{"INSTANCE_LABELS", parseInstanceLabels},
	{"LOCATE_BY_ADDRESS", boolean(func(s *Settings) *bool { return &s.Handler.LocateByAddress })},
	{"NOTIFY_URL", func(s *Settings, _, v string) error {
		if _, err := notify.ParseURL(v); err != nil {
			return err // names the setting, never quotes the URL: it is a secret
		}
		s.Handler.NotifyURL = handler.Secret(v)
		return nil
	}},
	{"NOTIFY_SECRET", func(s *Settings, _, v string) error { s.Handler.NotifySecret = handler.Secret(v); return nil }},
	{"LOG_LEVEL", parseLogLevel},
	{"GOGC", parseGOGC},
	{"FC_RUNTIME_API", func(s *Settings, _, v string) error { s.FCRuntimeAPI = v; return nil }},
	{"HTTPS_PROXY", parseHTTPSProxy},
	{"NO_PROXY", func(s *Settings, _, v string) error { s.noProxy = v; return nil }},
	{"FC_SERVER_PORT", parsePort},
	{"FC_CUSTOM_LISTEN_PORT", parsePort},
	{"ALIBABA_CLOUD_ACCESS_KEY_ID", func(s *Settings, _, v string) error { s.Standby.Credentials.AccessKeyID = v; return nil }},
	{"ALIBABA_CLOUD_ACCESS_KEY_SECRET", func(s *Settings, _, v string) error { s.Standby.Credentials.AccessKeySecret = v; return nil }},
	{"ALIBABA_CLOUD_SECURITY_TOKEN", func(s *Settings, _, v string) error { s.Standby.Credentials.SecurityToken = v; return nil }},
	{"DEBUG", func(_ *Settings, name, v string) error {
		if slices.Contains(strings.Split(v, ","), "sdk") {
			return fmt.Errorf("%s=sdk makes the Alibaba Cloud SDK print every request with its security token: remove it", name)
		}
		return nil
	}},
}

// Names are the environment variables Load reads.
var Names = func() []string {
	var names []string
	for _, v := range variables {
		names = append(names, v.name)
	}
	return names
}()

// Load parses the settings from getenv (os.Getenv in main) and reports
// every bad one at once, each with how to fix it.
func Load(getenv func(string) string) (Settings, error) {
	s := Settings{Handler: handler.Config{MaxEventAge: handler.DefaultMaxEventAge}, Standby: standby.Config{MaxInstances: standby.DefaultMaxInstances, Lease: standby.DefaultLease, LeaseEnd: standby.LeaseReport},
		LogLevel: slog.LevelInfo, ListenPort: 9000, GCPercent: defaultGCPercent}
	var problems []error
	for _, v := range variables {
		if value := getenv(v.name); value != "" {
			if err := v.parse(&s, v.name, value); err != nil {
				problems = append(problems, err)
			}
		}
	}
	if c := s.Standby.Credentials; (c.AccessKeyID == "") != (c.AccessKeySecret == "") {
		problems = append(problems, errors.New("ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET must be set together (or neither, to use the role's credentials)"))
	}
	if g, allowed := s.Standby.ScalingGroupID, s.Standby.AllowedGroups; g != "" && len(allowed) > 0 && !slices.Contains(allowed, g) {
		problems = append(problems, fmt.Errorf("SCALING_GROUP_ID=%q is not in ALLOWED_SCALING_GROUP_IDS: every event naming no group would be refused", g))
	}
	s.Proxy = s.proxy()
	s.Handler.Proxy = s.Proxy
	return s, errors.Join(problems...)
}

// boolean parses true or false (or 1 and 0) into the field it picks.
func boolean(field func(*Settings) *bool) func(s *Settings, name, v string) error {
	return func(s *Settings, name, v string) error {
		switch v = strings.ToLower(v); v {
		case "false", "0":
			*field(s) = false
		case "true", "1":
			*field(s) = true
		default:
			return fmt.Errorf("%s=%q: want true or false", name, v)
		}
		return nil
	}
}

func parseAllowedGroups(s *Settings, name, v string) error {
	var bad []error
	for id := range strings.SplitSeq(v, ",") {
		if id = strings.TrimSpace(id); id == "" {
			continue
		} else if !standby.ValidGroupID(id) {
			bad = append(bad, fmt.Errorf("%s: %q is not a scaling group ID; want a comma-separated list such as asg-bp1a,asg-bp1b", name, id))
		}
		s.Standby.AllowedGroups = append(s.Standby.AllowedGroups, id)
	}
	return errors.Join(bad...)
}

// maxInstanceLabels bounds INSTANCE_LABELS: each alert is looked at for
// every one of them.
const maxInstanceLabels = 10

// parseInstanceLabels parses the alert labels that name an instance, in
// the order they are tried: comma-separated label names as Prometheus
// spells them ([a-zA-Z_][a-zA-Z0-9_]*), none twice.
func parseInstanceLabels(s *Settings, name, v string) error {
	var labels []string
	var bad []error
	for label := range strings.SplitSeq(v, ",") {
		switch label = strings.TrimSpace(label); {
		case label == "":
			continue
		case !labelName(label):
			bad = append(bad, fmt.Errorf("%s: %q is not a label name (letters, digits and _, not beginning with a digit); want a comma-separated list such as instance_id,instanceId", name, label))
		case slices.Contains(labels, label):
			bad = append(bad, fmt.Errorf("%s: %q is given twice", name, label))
		}
		labels = append(labels, label)
	}
	switch {
	case len(labels) == 0:
		bad = append(bad, fmt.Errorf("%s=%q names no label; leave it unset for instance_id,instanceId", name, v))
	case len(labels) > maxInstanceLabels:
		bad = append(bad, fmt.Errorf("%s names %d labels, more than %d", name, len(labels), maxInstanceLabels))
	}
	s.Handler.InstanceLabels = labels
	return errors.Join(bad...)
}

// labelName: a Prometheus label name, [a-zA-Z_][a-zA-Z0-9_]*.
func labelName(s string) bool {
	for i, c := range s {
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}

// share parses a count such as 2 or a percentage such as 50% into the
// Share field gives; a zero is no guard, unless zero is refused (a cap of
// none would park nothing: DRY_RUN says that).
func share(field func(*Settings) *standby.Share, zeroRefused bool) func(*Settings, string, string) error {
	return func(s *Settings, name, v string) error {
		v = strings.TrimSpace(v)
		if v == "" {
			return nil
		}
		number, percent := strings.CutSuffix(v, "%")
		n, err := strconv.Atoi(number)
		switch {
		case err != nil || n < 0 || percent && n > 100:
			return fmt.Errorf("%s=%q: want a count such as 2, or a percentage such as 50%%", name, v)
		case n == 0 && zeroRefused:
			return fmt.Errorf("%s=%q: want at least 1 (or 1%%), or leave it unset for no cap; DRY_RUN=true is how to change nothing", name, v)
		case percent:
			field(s).Percent = n
		default:
			field(s).Count = n
		}
		return nil
	}
}

func parseMaxEventAge(s *Settings, name, v string) error {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	d, err := time.ParseDuration(v)
	if v == "0" {
		d, err = 0, nil
	}
	if err != nil || d < 0 || d > 0 && d < time.Minute {
		return fmt.Errorf("%s=%q: want a duration of a minute or more, such as 1h or 30m, or 0 to act on events of any age", name, v)
	}
	s.Handler.MaxEventAge = d
	return nil
}

func parseLogLevel(s *Settings, name, v string) error {
	switch v = strings.ToLower(v); v {
	case "info":
		s.LogLevel = slog.LevelInfo
	case "debug":
		s.LogLevel = slog.LevelDebug
	case "warn":
		s.LogLevel = slog.LevelWarn
	case "error":
		s.LogLevel = slog.LevelError
	default:
		return fmt.Errorf("%s=%q: want debug, info, warn or error", name, v)
	}
	return nil
}

func parsePort(s *Settings, name, v string) error {
	port, err := strconv.Atoi(v)
	if err != nil || port < 0 || port > 65535 {
		return fmt.Errorf("%s=%q: want a port number", name, v)
	}
	s.ListenPort = port
	return nil
}

// parseEndpoint accepts scheme://host[:port]. Plain HTTP is allowed only to
// a loopback address (an emulator): credentials never cross a network in
// clear text.
func parseEndpoint(v string) (*url.URL, error) {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return nil, errors.New("want scheme://host[:port], e.g. https://ess.aliyuncs.com")
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, errors.New("plain http is allowed only to a loopback address; use https")
		}
	default:
		return nil, errors.New("the scheme must be https (or http to a loopback emulator)")
	}
	u.Path = ""
	return u, nil
}
