package essemu

import (
	"net/url"
	"testing"
)

func TestWellFormed(t *testing.T) {
	complete := func(mutate func(url.Values)) url.Values {
		v := url.Values{"Action": {"EnterStandby"}, "Version": {essVersion}, "AccessKeyId": {"k"}, "SignatureMethod": {"HMAC-SHA1"},
			"SignatureVersion": {"1.0"}, "SignatureNonce": {"1"}, "Timestamp": {"t"}, "Signature": {"s"}}
		mutate(v)
		return v
	}
	tests := []struct {
		name     string
		params   url.Values
		wantCode string
	}{
		{"complete", complete(func(url.Values) {}), ""},
		{"no action", complete(func(v url.Values) { v.Del("Action") }), "MissingParameter"},
		{"no timestamp", complete(func(v url.Values) { v.Del("Timestamp") }), "MissingParameter"},
		{"an empty nonce", complete(func(v url.Values) { v.Set("SignatureNonce", "") }), ""},
		{"no signature", complete(func(v url.Values) { v.Del("Signature") }), "IncompleteSignature"},
		{"ECS's version", complete(func(v url.Values) { v.Set("Version", ecsVersion) }), "NoSuchVersion"},
		{"ECI's tag action", complete(func(v url.Values) { v.Set("Action", "TagResources"); v.Set("Version", eciVersion) }), ""},
		{"HMAC-SHA256", complete(func(v url.Values) { v.Set("SignatureMethod", "HMAC-SHA256") }), "IncompleteSignature"},
		{"signature version 2.0", complete(func(v url.Values) { v.Set("SignatureVersion", "2.0") }), "IncompleteSignature"},
		{"the version before the method", complete(func(v url.Values) { v.Set("Version", "2022-02-22"); v.Set("SignatureMethod", "") }), "NoSuchVersion"},
	}
	for _, tt := range tests {
		var code string
		if err := wellFormed(tt.params); err != nil {
			code = err.code
		}
		if code != tt.wantCode {
			t.Errorf("%s: %q, want %q", tt.name, code, tt.wantCode)
		}
	}
}

func TestSecurityToken(t *testing.T) {
	sts, plain := Key{ID: "STS.k", Secret: "s", Token: "CAIS"}, Key{ID: "LTAI", Secret: "s"}
	tests := []struct {
		key      Key
		token    string
		wantCode string
	}{
		{sts, "CAIS", ""},
		{sts, "", "MissingSecurityToken"},
		{sts, "CAIS-other", "InvalidSecurityToken.MismatchWithAccessKey"},
		{plain, "", ""},
		{plain, "CAIS", "InvalidSecurityToken.MismatchWithAccessKey"},
	}
	for _, tt := range tests {
		var code string
		if err := securityToken(tt.key, tt.token); err != nil {
			code = err.code
		}
		if code != tt.wantCode {
			t.Errorf("key %s, token %q: %q, want %q", tt.key.ID, tt.token, code, tt.wantCode)
		}
	}
}
