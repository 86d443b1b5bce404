package settings

import (
	"net/url"
	"strings"
	"testing"
)

// GOGC is read here, as Go's runtime reads it, so that main sets one
// target: 80 unset, off as -1, and a value the runtime would silently read
// as 100 refused.
func TestGOGC(t *testing.T) {
	for _, c := range []struct {
		value string
		want  int
		ok    bool
	}{{"", 80, true}, {"100", 100, true}, {"50", 50, true}, {"off", -1, true}, {"OFF", -1, true}, {"fast", 0, false}, {"80%", 0, false}} {
		s, err := Load(env(map[string]string{"GOGC": c.value}))
		if (err == nil) != c.ok || c.ok && s.GCPercent != c.want {
			t.Errorf("GOGC=%q: GCPercent %d, error %v; want %d, ok %t", c.value, s.GCPercent, err, c.want, c.ok)
		}
	}
}

// FC_RUNTIME_API, which FC's go1 runtime sets, is read here, not by main.
func TestFCRuntimeAPI(t *testing.T) {
	s, err := Load(env(map[string]string{"FC_RUNTIME_API": "127.0.0.1:9001"}))
	if err != nil || s.FCRuntimeAPI != "127.0.0.1:9001" {
		t.Errorf("FCRuntimeAPI %q, %v", s.FCRuntimeAPI, err)
	}
}

// HTTPS_PROXY and NO_PROXY make the one proxy picker every outbound call
// uses: the proxy for an HTTPS host, none for what NO_PROXY names or for
// loopback, and none at all without HTTPS_PROXY. A bad proxy stops
// start-up without quoting it: it may hold a password.
func TestProxy(t *testing.T) {
	s, err := Load(env(nil))
	if err != nil || s.Proxy != nil || s.Handler.Proxy != nil {
		t.Fatalf("unset: Proxy set (%v)", err)
	}
	s, err = Load(env(map[string]string{"HTTPS_PROXY": "proxy.internal:3128", "NO_PROXY": ".aliyuncs.com,10.0.0.0/8"}))
	if err != nil || s.Proxy == nil || s.Handler.Proxy == nil {
		t.Fatalf("Load: %v, Proxy nil %t", err, s.Proxy == nil)
	}
	for target, want := range map[string]string{
		"https://oapi.dingtalk.com/robot/send":  "http://proxy.internal:3128",
		"https://ess.cn-hangzhou.aliyuncs.com/": "",
		"https://10.1.2.3/":                     "",
		"http://127.0.0.1:8080/":                "",
	} {
		u, _ := url.Parse(target)
		proxy, err := s.Proxy(u)
		got := ""
		if proxy != nil {
			got = proxy.String()
		}
		if err != nil || got != want {
			t.Errorf("%s: proxy %q, %v; want %q", target, got, err, want)
		}
	}
	_, err = Load(env(map[string]string{"HTTPS_PROXY": "http://user:hunter2@[bad"}))
	if err == nil || !strings.Contains(err.Error(), "HTTPS_PROXY") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("a bad proxy: %v", err)
	}
}
