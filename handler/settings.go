package handler

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Settings are the function's environment variables, parsed once at start.
type Settings struct {
	Handler     Config
	ESSEndpoint *url.URL // nil: the SDK's endpoint for the region, over HTTPS
	LogLevel    slog.Level
	ListenPort  int // server mode: FC_CUSTOM_LISTEN_PORT, else FC_SERVER_PORT, else 9000
}

// SettingNames are the environment variables LoadSettings reads.
var SettingNames = []string{"ESS_ENDPOINT", "ALIBABA_CLOUD_REGION_ID", "FC_REGION", "SCALING_GROUP_ID", "DRY_RUN", "AUTH_TOKEN", "LOG_LEVEL",
	"FC_CUSTOM_LISTEN_PORT", "FC_SERVER_PORT", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN", "DEBUG"}

// notYet are settings of the design that this version does not implement.
// Setting one is refused rather than ignored: an operator who sets
// ALLOWED_SCALING_GROUP_IDS must not believe it protects anything.
var notYet = []string{"ALLOWED_SCALING_GROUP_IDS", "MAX_INSTANCES", "MIN_IN_SERVICE", "WAIT", "EXIT_ON_OK"}

// LoadSettings parses the settings from getenv (os.Getenv in main) and
// reports every bad one at once, each with how to fix it.
func LoadSettings(getenv func(string) string) (Settings, error) {
	s := Settings{Handler: Config{
		Region:         strings.TrimSpace(getenv("ALIBABA_CLOUD_REGION_ID")),
		FCRegion:       strings.TrimSpace(getenv("FC_REGION")),
		ScalingGroupID: strings.TrimSpace(getenv("SCALING_GROUP_ID")),
		Credentials: Credentials{
			AccessKeyID:     getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"),
			AccessKeySecret: getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
			SecurityToken:   getenv("ALIBABA_CLOUD_SECURITY_TOKEN"),
		},
	}}
	var problems []error
	bad := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }

	if v := s.Handler.Region; v != "" && !regionIDPattern.MatchString(v) {
		bad("ALIBABA_CLOUD_REGION_ID=%q is not a region ID such as cn-hangzhou", v)
	}
	if v := s.Handler.ScalingGroupID; v != "" && !groupIDPattern.MatchString(v) {
		bad("SCALING_GROUP_ID=%q is not a scaling group ID such as asg-bp1fo0dbtsbmqa9h5dl3", v)
	}
	if c := s.Handler.Credentials; (c.AccessKeyID == "") != (c.AccessKeySecret == "") {
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
		if len(v) < 16 || len(v) > 256 || strings.ContainsAny(v, " &=#%+/?") || !printableASCII(v) {
			bad("AUTH_TOKEN must be 16 to 256 printable characters without spaces or URL delimiters (& = # %% + / ?); e.g. openssl rand -hex 24")
		}
		s.Handler.AuthToken = Secret(v)
	}
	switch v := strings.ToLower(getenv("DRY_RUN")); v {
	case "", "false", "0":
	case "true", "1":
		s.Handler.DryRun = true
	default:
		bad("DRY_RUN=%q: want true or false", v)
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
	for _, name := range notYet {
		if getenv(name) != "" {
			bad("%s is not supported by this version: unset it", name)
		}
	}
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
