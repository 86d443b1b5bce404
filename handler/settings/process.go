package settings

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// defaultGCPercent is GOGC when unset (Settings.GCPercent says why).
const defaultGCPercent = 80

// parseGOGC reads GOGC as Go's runtime does, off or a percentage, but
// refuses what the runtime would silently read as 100.
func parseGOGC(s *Settings, name, v string) error {
	if strings.EqualFold(v, "off") {
		s.GCPercent = -1
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return fmt.Errorf("%s=%q: want a percentage such as 100, or off", name, v)
	}
	s.GCPercent = int(n)
	return nil
}

// parseHTTPSProxy reads the proxy of the outbound HTTPS calls: an http,
// https or socks5 URL, or host:port meaning http://host:port, as Go's
// net/http reads it; what net/http would fail each call on is refused.
func parseHTTPSProxy(s *Settings, name, v string) error {
	if !strings.Contains(v, "://") {
		v = "http://" + v
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5" || u.Hostname() == "" {
		return fmt.Errorf("%s: not a proxy URL such as http://proxy.example:3128", name) // never quoted: it may hold a password
	}
	s.httpsProxy = v
	return nil
}

// proxy is the proxy picker of HTTPS_PROXY and NO_PROXY; nil without
// HTTPS_PROXY. Only HTTPS is proxied: every outbound call is HTTPS but to
// a loopback emulator, which is never proxied.
func (s *Settings) proxy() func(*url.URL) (*url.URL, error) {
	if s.httpsProxy == "" {
		return nil
	}
	proxy, _ := url.Parse(s.httpsProxy) // parseHTTPSProxy checked it
	except := parseNoProxy(s.noProxy)
	return func(target *url.URL) (*url.URL, error) {
		if target.Scheme != "https" || except.matches(target) {
			return nil, nil
		}
		return proxy, nil
	}
}
