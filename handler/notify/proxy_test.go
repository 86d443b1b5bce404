package notify

import (
	"net/http"
	"net/url"
	"testing"
)

// A notification goes through the proxy the settings give, and through
// none when they give none, whatever the environment says.
func TestClientProxyIsTheConfigs(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://from-the-environment:3128")
	if tr := defaultClient(nil).Transport.(*http.Transport); tr.Proxy != nil {
		t.Error("no proxy configured, but the transport has a proxy picker")
	}
	want := &url.URL{Scheme: "http", Host: "proxy.internal:3128"}
	tr := defaultClient(func(*url.URL) (*url.URL, error) { return want, nil }).Transport.(*http.Transport)
	req, _ := http.NewRequest(http.MethodPost, "https://oapi.dingtalk.com/robot/send", nil)
	if got, err := tr.Proxy(req); err != nil || got != want {
		t.Errorf("proxy %v, %v; want %v", got, err, want)
	}
}
