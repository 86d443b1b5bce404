package essemu

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The emulator's check of Log Service's signature is written apart from
// the client's, and held to the same vectors: the Go SDK's
// (aliyun-log-go-sdk, TestSignatureGet) and one made with the Node.js SDK
// (@alicloud/log 1.2.6) for a GetLogStoreLogs request.
func TestLogSignatureIsTheSDKs(t *testing.T) {
	for _, tt := range []struct {
		secret, target string
		headers        map[string]string
		want           string
	}{
		{"mockAccessKeySecret", "/logstores",
			map[string]string{"x-log-apiversion": "0.6.0", "x-log-signaturemethod": "hmac-sha1", "x-log-bodyrawsize": "0", "Date": "Mon, 3 Jan 2010 08:33:47 GMT"},
			"Rwm6cTKzoti4HWoe+GKcb6Kv07E="},
		{"drill-secret-value", "/logstores/default-logs?type=log&from=1764583200&to=1764583800&query=invocation%20and%20%22e-bp1%20xyz%22%20and%20%E5%90%8D&line=100&offset=0&reverse=true",
			map[string]string{"Date": "Tue, 01 Dec 2026 10:00:00 GMT", "x-log-apiversion": "0.6.0", "x-log-signaturemethod": "hmac-sha1", "x-log-bodyrawsize": "0",
				"x-acs-security-token": "CAIS-token+/=", "Accept": "application/json"},
			"Ghgh3B4m18BSpJTgDq767TPP1f4="},
	} {
		r := httptest.NewRequest(http.MethodGet, tt.target, nil)
		for k, v := range tt.headers {
			r.Header.Set(k, v)
		}
		if got := logSignature(tt.secret, r); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.target, got, tt.want)
		}
	}
}

// The query language, as far as it is modelled: terms (words, or quoted
// phrases) and field:value pairs joined by and, matched as Log Service's
// full-text index splits text; anything else is refused.
func TestLogQueries(t *testing.T) {
	log := map[string]string{"__topic__": "FCLogs:ess-standby", "message": `{"level":"WARN","msg":"invocation","rule":"SystemMaintenance.Reboot/e-bp1sim"}`}
	for _, tt := range []struct {
		query      string
		ok, wanted bool
	}{
		{"", true, true},
		{"invocation", true, true},
		{`invocation and "e-bp1sim"`, true, true},
		{`INVOCATION and warn`, true, true},
		{`__topic__:"FCLogs:ess-standby" and e-bp1sim`, true, true},
		{`__topic__:"FCLogs:other" and e-bp1sim`, true, false},
		{`"SystemMaintenance.Reboot/e-bp1sim"`, true, true},
		{`"e-bp1"`, true, false}, // words, not substrings
		{"invocation and e-other", true, false},
		{"invocation | select count(*) as failures", false, false},
		{"invocation or ERROR", false, false},
		{`"unbalanced`, false, false},
	} {
		terms, ok := parseQuery(tt.query)
		if ok != tt.ok || (ok && matches(log, terms) != tt.wanted) {
			t.Errorf("%q: ok %t, matches %t; want %t, %t", tt.query, ok, ok && matches(log, terms), tt.ok, tt.wanted)
		}
	}
}
