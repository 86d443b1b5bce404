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
	"ess-standby/handler/standby"
)

// Settings are the function's environment variables, parsed.
type Settings struct {
	Standby     standby.Config // the core's
	Handler     handler.Config
	ESSEndpoint *url.URL // nil: the SDK's endpoint for the region, over HTTPS
	LogLevel    slog.Level
	ListenPort  int // server mode: FC_CUSTOM_LISTEN_PORT, else FC_SERVER_PORT, else 9000
	// MaxConcurrentCalls bounds the Auto Scaling calls in flight in the
	// process (MAX_CONCURRENT_CALLS); 0 is the client's default.
	MaxConcurrentCalls int
}

// Names are the environment variables Load reads.
var Names = []string{"ESS_ENDPOINT", "ALIBABA_CLOUD_REGION_ID", "FC_REGION", "SCALING_GROUP_ID", "ALLOWED_SCALING_GROUP_IDS", "AUTH_TOKEN", "DRY_RUN",
	"MAX_INSTANCES", "MIN_IN_SERVICE", "MAX_EVENT_AGE", "MAX_CONCURRENT_CALLS", "WAIT", "EXIT_ON_OK", "LOG_LEVEL",
	"FC_CUSTOM_LISTEN_PORT", "FC_SERVER_PORT", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN", "DEBUG"}

// Load parses the settings from getenv (os.Getenv in main) and reports
// every bad one at once, each with how to fix it.
func Load(getenv func(string) string) (Settings, error) {
	core := standby.Config{
		Region:         strings.TrimSpace(getenv("ALIBABA_CLOUD_REGION_ID")),
		FCRegion:       strings.TrimSpace(getenv("FC_REGION")),
		ScalingGroupID: strings.TrimSpace(getenv("SCALING_GROUP_ID")),
		Credentials: standby.Credentials{
			AccessKeyID:     getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"),
			AccessKeySecret: getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
			SecurityToken:   getenv("ALIBABA_CLOUD_SECURITY_TOKEN"),
		},
	}
	s := Settings{Handler: handler.Config{MaxEventAge: handler.DefaultMaxEventAge}}
	var problems []error
	bad := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }

	if v := core.Region; v != "" && !standby.ValidRegionID(v) {
		bad("ALIBABA_CLOUD_REGION_ID=%q is not a region ID such as cn-hangzhou", v)
	}
	if v := core.ScalingGroupID; v != "" && !standby.ValidGroupID(v) {
		bad("SCALING_GROUP_ID=%q is not a scaling group ID such as asg-bp1fo0dbtsbmqa9h5dl3", v)
	}
	if c := core.Credentials; (c.AccessKeyID == "") != (c.AccessKeySecret == "") {
		bad("ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET must be set together (or neither, to use the role's credentials)")
	}
	if v := getenv("ESS_ENDPOINT"); v != "" {
		u, err := parseEndpoint(v)
		if err != nil {
			bad("ESS_ENDPOINT=%q: %v", v, err)
		}
		s.ESSEndpoint = u
	}
	if v := getenv("AUTH_TOKEN"); v != "" {
		if len(v) < 16 || len(v) > 256 || strings.ContainsAny(v, " &=#%+/?") || !standby.PrintableASCII(v) {
			bad("AUTH_TOKEN must be 16 to 256 printable characters without spaces or URL delimiters (& = # %% + / ?); e.g. openssl rand -hex 24")
		}
		s.Handler.AuthToken = handler.Secret(v)
	}
	for name, setting := range map[string]*bool{"DRY_RUN": &core.DryRun, "WAIT": &core.Wait, "EXIT_ON_OK": &s.Handler.ExitOnOK} {
		switch v := strings.ToLower(getenv(name)); v {
		case "", "false", "0":
		case "true", "1":
			*setting = true
		default:
			bad("%s=%q: want true or false", name, v)
		}
	}
	for id := range strings.SplitSeq(getenv("ALLOWED_SCALING_GROUP_IDS"), ",") {
		if id = strings.TrimSpace(id); id == "" {
			continue
		} else if !standby.ValidGroupID(id) {
			bad("ALLOWED_SCALING_GROUP_IDS: %q is not a scaling group ID; want a comma-separated list such as asg-bp1a,asg-bp1b", id)
		}
		core.AllowedGroups = append(core.AllowedGroups, id)
	}
	core.MaxInstances = standby.DefaultMaxInstances
	if v := getenv("MAX_INSTANCES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > standby.MaxNamed {
			bad("MAX_INSTANCES=%q: want a number from 1 to %d", v, standby.MaxNamed)
		}
		core.MaxInstances = n
	}
	if v := getenv("MAX_CONCURRENT_CALLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			bad("MAX_CONCURRENT_CALLS=%q: want a number from 1 to 200", v)
		}
		s.MaxConcurrentCalls = n
	}
	if v := strings.TrimSpace(getenv("MAX_EVENT_AGE")); v != "" {
		d, err := time.ParseDuration(v)
		if v == "0" {
			d, err = 0, nil
		}
		if err != nil || d < 0 || d > 0 && d < time.Minute {
			bad("MAX_EVENT_AGE=%q: want a duration of a minute or more, such as 1h or 30m, or 0 to act on events of any age", v)
		}
		s.Handler.MaxEventAge = d
	}
	if v := strings.TrimSpace(getenv("MIN_IN_SERVICE")); v != "" {
		number, percent := strings.CutSuffix(v, "%")
		n, err := strconv.Atoi(number)
		switch {
		case err != nil || n < 0 || percent && n > 100:
			bad("MIN_IN_SERVICE=%q: want a count such as 2, or a percentage such as 50%%", v)
		case percent:
			core.MinInService.Percent = n
		default:
			core.MinInService.Count = n
		}
	}
	s.ListenPort = 9000
	for _, name := range []string{"FC_SERVER_PORT", "FC_CUSTOM_LISTEN_PORT"} { // the later wins
		if v := getenv(name); v != "" {
			port, err := strconv.Atoi(v)
			if err != nil || port < 0 || port > 65535 {
				bad("%s=%q: want a port number", name, v)
			}
			s.ListenPort = port
		}
	}
	switch v := strings.ToLower(getenv("LOG_LEVEL")); v {
	case "", "info":
		s.LogLevel = slog.LevelInfo
	case "debug":
		s.LogLevel = slog.LevelDebug
	case "warn":
		s.LogLevel = slog.LevelWarn
	case "error":
		s.LogLevel = slog.LevelError
	default:
		bad("LOG_LEVEL=%q: want debug, info, warn or error", v)
	}
	if slices.Contains(strings.Split(getenv("DEBUG"), ","), "sdk") {
		bad("DEBUG=sdk makes the Alibaba Cloud SDK print every request with its security token: remove it")
	}
	s.Standby = core
	return s, errors.Join(problems...)
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
