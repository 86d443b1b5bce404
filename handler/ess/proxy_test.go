package ess

import (
	"net/http"
	"net/url"
	"testing"
)

// The calls go through the proxy the settings give, and through none when
// they give none, whatever the environment says: no hidden input.
func TestTransportProxyIsTheConfigs(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://from-the-environment:3128")
	if tr := newTransport(nil, nil, 1).(*http.Transport); tr.Proxy != nil {
		t.Error("no proxy configured, but the transport has a proxy picker")
	}
	want := &url.URL{Scheme: "http", Host: "proxy.internal:3128"}
	tr := newTransport(nil, func(*url.URL) (*url.URL, error) { return want, nil }, 1).(*http.Transport)
	req, _ := http.NewRequest(http.MethodGet, "https://ess.cn-hangzhou.aliyuncs.com/", nil)
	if got, err := tr.Proxy(req); err != nil || got != want {
		t.Errorf("proxy %v, %v; want %v", got, err, want)
	}
}
