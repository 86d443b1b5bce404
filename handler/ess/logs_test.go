package ess_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"ess-standby/handler/ess"
	"ess-standby/handler/essemu"
	"ess-standby/handler/standby"
)

// The signature is Log Service's SDKs': the Go SDK's own test vector
// (aliyun-log-go-sdk, signature_test.go, TestSignatureGet), and one made
// with the Node.js SDK (@alicloud/log 1.2.6, which s logs uses, through its
// _sign) for a GetLogStoreLogs request with a query, an STS token and text
// that escaping would change.
func TestLogSignatureIsTheSDKs(t *testing.T) {
	for _, tt := range []struct {
		name, secret, path string
		query              url.Values
		headers            map[string]string
		want               string
	}{
		{"aliyun-log-go-sdk", "mockAccessKeySecret", "/logstores", nil,
			map[string]string{"x-log-apiversion": "0.6.0", "x-log-signaturemethod": "hmac-sha1", "x-log-bodyrawsize": "0", "Date": "Mon, 3 Jan 2010 08:33:47 GMT"},
			"Rwm6cTKzoti4HWoe+GKcb6Kv07E="},
		{"@alicloud/log", "drill-secret-value", "/logstores/default-logs",
			url.Values{"type": {"log"}, "from": {"1764583200"}, "to": {"1764583800"}, "query": {`invocation and "e-bp1 xyz" and 名`}, "line": {"100"}, "offset": {"0"}, "reverse": {"true"}},
			map[string]string{"Date": "Tue, 01 Dec 2026 10:00:00 GMT", "x-log-apiversion": "0.6.0", "x-log-signaturemethod": "hmac-sha1", "x-log-bodyrawsize": "0",
				"x-acs-security-token": "CAIS-token+/=", "Accept": "application/json"},
			"Ghgh3B4m18BSpJTgDq767TPP1f4="},
	} {
		h := http.Header{}
		for k, v := range tt.headers {
			h.Set(k, v)
		}
		if got := ess.LogSignature(tt.secret, "GET", tt.path, tt.query, h); got != tt.want {
			t.Errorf("%s: signature %s, want %s", tt.name, got, tt.want)
		}
	}
}

// toEmulator sends every request to the emulator, keeping its Host: a
// hosts-file entry for Log Service's project hosts. It records the URLs.
type toEmulator struct {
	addr string
	urls []string
}

func (t *toEmulator) RoundTrip(r *http.Request) (*http.Response, error) {
	t.urls = append(t.urls, r.URL.Scheme+"://"+r.URL.Host+r.URL.Path)
	r = r.Clone(r.Context())
	r.Host, r.URL.Scheme, r.URL.Host = r.URL.Host, "http", t.addr
	return http.DefaultTransport.RoundTrip(r)
}

func logClient(t *testing.T, cfg ess.Config) (*ess.Client, *essemu.Server, *toEmulator) {
	t.Helper()
	emu := essemu.NewServer([]essemu.Key{stsKey})
	t.Cleanup(emu.Close)
	c := ess.New(cfg)
	rt := &toEmulator{addr: strings.TrimPrefix(emu.URL, "http://")}
	ess.UseTransport(c, rt)
	return c, emu, rt
}

// The drill reads what FC shipped of the function's output: the query finds
// the lines that name the event, newest first, on the project's own host
// (the region's endpoint over HTTPS, unless LOG_ENDPOINT says otherwise),
// signed with the session's key and token.
func TestSearchLogsFindsWhatFCShipped(t *testing.T) {
	store := ess.LogStore{Project: "serverless-cn-hangzhou-3f9c", Name: "default-logs"}
	for _, tt := range []struct {
		endpoint string
		wantURL  string
	}{
		{"", "https://serverless-cn-hangzhou-3f9c.cn-hangzhou.log.aliyuncs.com/logstores/default-logs"},
		{"https://cn-hangzhou-intranet.log.aliyuncs.com", "https://serverless-cn-hangzhou-3f9c.cn-hangzhou-intranet.log.aliyuncs.com/logstores/default-logs"},
	} {
		var cfg ess.Config
		if tt.endpoint != "" {
			cfg.LogEndpoint, _ = url.Parse(tt.endpoint)
		}
		c, emu, rt := logClient(t, cfg)
		emu.ShipLogs(store.Project, store.Name, "ess-standby", `{"msg":"invocation","rule":"SystemMaintenance.Reboot/e-other"}`+"\n"+
			`{"msg":"invocation","rule":"SystemMaintenance.Reboot/e-bp1sim"}`+"\n"+`{"msg":"notice","rule":"SystemMaintenance.Reboot/e-bp1sim"}`)
		now := time.Now()
		got, err := c.SearchLogs(t.Context(), session(), store, `invocation and "e-bp1sim"`, now.Add(-time.Minute), now.Add(time.Minute))
		if err != nil || len(got) != 1 || !strings.Contains(got[0].Fields["message"], "e-bp1sim") || got[0].Fields["__topic__"] != "FCLogs:ess-standby" || now.Sub(got[0].Time) > time.Minute {
			t.Errorf("%s: %+v, %v", tt.endpoint, got, err)
		}
		calls := emu.Calls()
		if len(calls) != 1 || !calls[0].SignatureOK || calls[0].SecurityToken != stsKey.Token || calls[0].Status != 200 || len(rt.urls) != 1 || rt.urls[0] != tt.wantURL {
			t.Errorf("%s: calls %+v to %v, want one verified call to %s", tt.endpoint, calls, rt.urls, tt.wantURL)
		}
	}
}

// A plain-HTTP endpoint, which settings allow to loopback only, is dialled
// as given, with the project in the Host header alone: nothing in clear
// leaves the machine, and Log Service (here the emulator) still reads the
// project from the Host.
func TestSearchLogsOnALoopbackEndpoint(t *testing.T) {
	emu := essemu.NewServer([]essemu.Key{stsKey})
	t.Cleanup(emu.Close)
	u, _ := url.Parse(emu.URL)
	c := ess.New(ess.Config{LogEndpoint: u})
	emu.ShipLogs("p-ess", "default-logs", "ess-standby", `{"msg":"invocation","rule":"StateChange"}`)
	now := time.Now()
	got, err := c.SearchLogs(t.Context(), session(), ess.LogStore{Project: "p-ess", Name: "default-logs"}, "invocation", now.Add(-time.Minute), now.Add(time.Minute))
	if err != nil || len(got) != 1 {
		t.Errorf("%+v, %v", got, err)
	}
}

// Log Service's refusals come back as errors of their kind, with messages
// that quote no credential; a log that is not one is no answer.
func TestSearchLogsFailures(t *testing.T) {
	store := ess.LogStore{Project: "p-ess", Name: "default-logs"}
	wrongSecret := session()
	wrongSecret.Credentials.AccessKeySecret = "not-the-secret"
	noToken := session()
	noToken.Credentials.SecurityToken = ""
	now := time.Now()
	for _, tt := range []struct {
		name  string
		s     standby.Session
		store ess.LogStore
		query string
		kind  standby.Kind
		code  string
	}{
		{"no such project", session(), ess.LogStore{Project: "p-none", Name: "default-logs"}, "invocation", standby.NotFound, "ProjectNotExist"},
		{"no such logstore", session(), ess.LogStore{Project: "p-ess", Name: "none"}, "invocation", standby.NotFound, "LogStoreNotExist"},
		{"a wrong secret", wrongSecret, store, "invocation", standby.Forbidden, "SignatureNotMatch"},
		{"no token", noToken, store, "invocation", standby.Forbidden, "Unauthorized"},
		{"a query the emulator does not model", session(), store, "invocation | select count(*)", standby.Invalid, "ParameterInvalid"},
		{"a project that would change the host", session(), ess.LogStore{Project: "evil.example.com/", Name: "default-logs"}, "invocation", standby.Invalid, "InvalidParameter"},
		{"no logstore", session(), ess.LogStore{Project: "p-ess"}, "invocation", standby.Invalid, "InvalidParameter"},
	} {
		c, emu, rt := logClient(t, ess.Config{})
		emu.ShipLogs("p-ess", "default-logs", "ess-standby", `{"msg":"invocation"}`)
		_, err := c.SearchLogs(t.Context(), tt.s, tt.store, tt.query, now.Add(-time.Minute), now.Add(time.Minute))
		if tt.code == "InvalidParameter" && len(rt.urls) != 0 {
			t.Errorf("%s: sent to %v", tt.name, rt.urls)
		}
		e := standby.AsError(err)
		if e.Kind != tt.kind || e.Code != tt.code || strings.Contains(e.Message, stsKey.Secret) || strings.Contains(e.Message, stsKey.Token) {
			t.Errorf("%s: %v (kind %v, %s), want %s", tt.name, err, e.Kind, e.Code, tt.code)
		}
	}
	// Nothing listens: unreachable, and retryable.
	c := ess.New(ess.Config{LogEndpoint: &url.URL{Scheme: "http", Host: "127.0.0.1:1"}})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := c.SearchLogs(ctx, session(), store, "invocation", now.Add(-time.Minute), now); standby.AsError(err).Kind != standby.Unavailable {
		t.Errorf("unreachable: %v", err)
	}
}
