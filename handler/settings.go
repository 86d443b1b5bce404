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
var SettingNames = []string{"ESS_ENDPOINT", "ALIBABA_CLOUD_REGION_ID", "FC_REGION", "SCALING_GROUP_ID", "ALLOWED_SCALING_GROUP_IDS", "AUTH_TOKEN", "DRY_RUN",
	"MAX_INSTANCES", "MIN_IN_SERVICE", "WAIT", "EXIT_ON_OK", "LOG_LEVEL",
	"FC_CUSTOM_LISTEN_PORT", "FC_SERVER_PORT", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN", "DEBUG"}

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

	if v := s.Handler.Region; v != "" && !validRegionID(v) {
		bad("ALIBABA_CLOUD_REGION_ID=%q is not a region ID such as cn-hangzhou", v)
	}
	if v := s.Handler.ScalingGroupID; v != "" && !validGroupID(v) {
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
	for name, setting := range map[string]*bool{"DRY_RUN": &s.Handler.DryRun, "WAIT": &s.Handler.Wait, "EXIT_ON_OK": &s.Handler.ExitOnOK} {
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
		} else if !validGroupID(id) {
			bad("ALLOWED_SCALING_GROUP_IDS: %q is not a scaling group ID; want a comma-separated list such as asg-bp1a,asg-bp1b", id)
		}
		s.Handler.AllowedGroups = append(s.Handler.AllowedGroups, id)
	}
	s.Handler.MaxInstances = defaultMaxInstances
	if v := getenv("MAX_INSTANCES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			bad("MAX_INSTANCES=%q: want a number from 1 to 1000", v)
		}
		s.Handler.MaxInstances = n
	}
	if v := strings.TrimSpace(getenv("MIN_IN_SERVICE")); v != "" {
		number, percent := strings.CutSuffix(v, "%")
		n, err := strconv.Atoi(number)
		switch {
		case err != nil || n < 0 || percent && n > 100:
			bad("MIN_IN_SERVICE=%q: want a count such as 2, or a percentage such as 50%%", v)
		case percent:
			s.Handler.MinInService.Percent = n
		default:
			s.Handler.MinInService.Count = n
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
