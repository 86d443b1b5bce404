package handler

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/url"
	"strings"

	"ess-standby/handler/standby"
	"ess-standby/handler/trigger"
)

// Secret is a setting that must never print, such as AUTH_TOKEN.
type Secret string

func (Secret) String() string               { return "REDACTED" }
func (Secret) GoString() string             { return "REDACTED" }
func (Secret) LogValue() slog.Value         { return slog.StringValue("REDACTED") }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"REDACTED"`), nil }

var errUnauthorized = &standby.Error{Kind: standby.Unauthorized, Code: "Unauthorized",
	Message: "missing or wrong token: send Authorization: Bearer <AUTH_TOKEN>, or ?token=<AUTH_TOKEN> where the caller cannot set headers"}

// authenticate checks the caller's token, from an Authorization: Bearer
// header or a token query parameter (CloudMonitor callbacks can only carry it
// in their URL), in constant time. It returns the request without the token.
// A header or parameter given twice is ambiguous, and refused.
func authenticate(r trigger.HTTPRequest, want Secret) (trigger.HTTPRequest, bool) {
	header, ok := r.Unique("Authorization")
	if !ok || len(r.Query["token"]) > 1 {
		return r, false
	}
	given := r.Query.Get("token")
	if scheme, token, ok := strings.Cut(header, " "); ok && strings.EqualFold(scheme, "Bearer") {
		given = strings.TrimSpace(token)
	}
	g, w := sha256.Sum256([]byte(given)), sha256.Sum256([]byte(want))
	if given == "" || subtle.ConstantTimeCompare(g[:], w[:]) != 1 {
		return r, false
	}
	query := url.Values{}
	for k, v := range r.Query {
		if k != "token" {
			query[k] = v
		}
	}
	r.Query = query
	return r, true
}
