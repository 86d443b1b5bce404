package essemu

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
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

func TestReadLogQuery(t *testing.T) {
	valid := func(mutate func(url.Values)) url.Values {
		q := url.Values{"type": {"log"}, "from": {"100"}, "to": {"200"}}
		mutate(q)
		return q
	}
	for _, tt := range []struct {
		name    string
		q       url.Values
		refusal string // how the message begins; "": read
	}{
		{"valid", valid(func(url.Values) {}), ""},
		{"a histogram", valid(func(q url.Values) { q.Set("type", "histogram") }), "type"},
		{"no type", valid(func(q url.Values) { q.Del("type") }), "type"},
		{"no type, no times", url.Values{}, "type"},
		{"from at to", valid(func(q url.Values) { q.Set("from", "200") }), "from"},
		{"no to", valid(func(q url.Values) { q.Del("to") }), "from"},
		{"from in milliseconds' format", valid(func(q url.Values) { q.Set("from", "1.5") }), "from"},
		{"bad times and line", valid(func(q url.Values) { q.Set("to", "x"); q.Set("line", "101") }), "from"},
		{"line 0", valid(func(q url.Values) { q.Set("line", "0") }), ""},
		{"line 100", valid(func(q url.Values) { q.Set("line", "100") }), ""},
		{"line 101", valid(func(q url.Values) { q.Set("line", "101") }), "line"},
		{"line -1", valid(func(q url.Values) { q.Set("line", "-1") }), "line"},
		{"offset -1", valid(func(q url.Values) { q.Set("offset", "-1") }), "line"},
		{"offset x", valid(func(q url.Values) { q.Set("offset", "x") }), "line"},
		{"a query not modelled", valid(func(q url.Values) { q.Set("query", "a or b") }), "the emulator"},
		{"a bad line and query", valid(func(q url.Values) { q.Set("line", "x"); q.Set("query", "a or b") }), "line"},
	} {
		_, err := readLogQuery(tt.q)
		switch {
		case tt.refusal == "" && err != nil:
			t.Errorf("%s: refused: %s", tt.name, err.message)
		case tt.refusal != "" && (err == nil || err.status != 400 || err.code != "ParameterInvalid" || !strings.HasPrefix(err.message, tt.refusal)):
			t.Errorf("%s: %+v, want ParameterInvalid beginning %q", tt.name, err, tt.refusal)
		}
	}
	q, _ := readLogQuery(valid(func(url.Values) {}))
	if q.line != 100 || q.offset != 0 || q.reverse {
		t.Errorf("defaults: %+v, want 100 lines from the first, oldest first", q)
	}
}

// A search keeps the logs from from to before to that hold the terms,
// oldest first unless reversed, and pages them by offset and line.
func TestLogSearch(t *testing.T) {
	store := &logStore{}
	for _, l := range []struct {
		at      int
		message string
	}{{99, "early"}, {100, "first"}, {150, "second"}, {160, "other"}, {199, "third"}, {200, "late"}} {
		store.logs = append(store.logs, map[string]string{"__time__": strconv.Itoa(l.at), "message": l.message})
	}
	for _, tt := range []struct {
		query        string
		line, offset int
		reverse      bool
		want         []string
	}{
		{"", 100, 0, false, []string{"first", "second", "other", "third"}},
		{"", 100, 0, true, []string{"third", "other", "second", "first"}},
		{"", 2, 1, false, []string{"second", "other"}},
		{"", 2, 1, true, []string{"other", "second"}},
		{"", 0, 0, false, nil},
		{"", 100, 4, false, nil},
		{"", 100, 9, false, nil},
		{"message:third", 100, 0, false, []string{"third"}},
		{"second", 100, 0, true, []string{"second"}},
	} {
		terms, _ := parseQuery(tt.query)
		var got []string
		for _, l := range store.search(logQuery{from: 100, to: 200, line: tt.line, offset: tt.offset, reverse: tt.reverse, terms: terms}) {
			got = append(got, l["message"])
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q, %d from %d, reversed %t: %v, want %v", tt.query, tt.line, tt.offset, tt.reverse, got, tt.want)
		}
	}
}
