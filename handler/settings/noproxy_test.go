package settings

import (
	"net/url"
	"testing"
)

// NO_PROXY's entries match as Go's net/http matches them.
func TestNoProxy(t *testing.T) {
	for _, c := range []struct {
		noProxy, target string
		bypass          bool
	}{
		{"", "https://ess.aliyuncs.com/", false},
		{"", "https://127.0.0.1:8443/", true},
		{"", "https://[::1]/", true},
		{"", "https://localhost/", true},
		{"*", "https://ess.aliyuncs.com/", true},
		{"aliyuncs.com", "https://aliyuncs.com/", true},
		{"aliyuncs.com", "https://ess.cn-hangzhou.aliyuncs.com/", true},
		{"aliyuncs.com", "https://notaliyuncs.com/", false},
		{".aliyuncs.com", "https://aliyuncs.com/", false},
		{".aliyuncs.com", "https://ess.aliyuncs.com/", true},
		{"*.aliyuncs.com", "https://ess.aliyuncs.com/", true},
		{"*.aliyuncs.com", "https://aliyuncs.com/", false},
		{" ESS.aliyuncs.com , oapi.dingtalk.com", "https://oapi.dingtalk.com/robot/send", true},
		{"ess.aliyuncs.com:8443", "https://ess.aliyuncs.com/", false},
		{"ess.aliyuncs.com:8443", "https://ess.aliyuncs.com:8443/", true},
		{"ess.aliyuncs.com:443", "https://ess.aliyuncs.com/", true},
		{"10.0.0.0/8", "https://10.20.30.40/", true},
		{"10.0.0.0/8", "https://11.0.0.1/", false},
		{"100.100.1.1", "https://100.100.1.1/", true},
		{"100.100.1.1", "https://100.100.1.2/", false},
		{"10.0.0.0/8", "https://ten.example/", false},
	} {
		u, _ := url.Parse(c.target)
		if got := parseNoProxy(c.noProxy).matches(u); got != c.bypass {
			t.Errorf("NO_PROXY=%q, %s: bypass %t, want %t", c.noProxy, c.target, got, c.bypass)
		}
	}
}
