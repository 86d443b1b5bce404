package handler

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/url"
	"strings"
)

// HTTPRequest is an HTTP-trigger request, whichever runtime delivered it:
// the go1 runtime as a JSON event, the custom runtime as real HTTP.
type HTTPRequest struct {
	Method  string
	Path    string
	Headers map[string]string // names in any case; see Header
	Query   url.Values
	Body    []byte
}

// Header looks a header up case-insensitively: FC keeps the caller's case.
func (r HTTPRequest) Header(name string) string {
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// fcHTTPEvent is the FC 3.0 HTTP trigger event of the go1 runtime. No SDK type
// fits it: fc-runtime-go-sdk's is all pointers, aws-lambda-go's expect a
// numeric timeEpoch and queryStringParameters.
type fcHTTPEvent struct {
	Version         string            `json:"version"`
	RawPath         string            `json:"rawPath"`
	Headers         map[string]string `json:"headers"`
	QueryParameters map[string]string `json:"queryParameters"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	RequestContext  struct {
		HTTP struct {
			Method string `json:"method"`
			Path   string `json:"path"`
		} `json:"http"`
	} `json:"requestContext"`
}

// decodeFCHTTPEvent turns the go1 runtime's HTTP event into an HTTPRequest.
// FC joins repeated query parameters with commas; they stay joined.
func decodeFCHTTPEvent(raw []byte) (HTTPRequest, error) {
	var ev fcHTTPEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return HTTPRequest{}, &Error{Kind: Invalid, Code: "InvalidParameter", Message: "malformed HTTP trigger event"}
	}
	req := HTTPRequest{
		Method:  ev.RequestContext.HTTP.Method,
		Path:    ev.RequestContext.HTTP.Path,
		Headers: ev.Headers,
		Query:   url.Values{},
		Body:    []byte(ev.Body),
	}
	if req.Path == "" {
		req.Path = ev.RawPath
	}
	for k, v := range ev.QueryParameters {
		req.Query.Set(k, v)
	}
	if ev.IsBase64Encoded {
		body, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return HTTPRequest{}, &Error{Kind: Invalid, Code: "InvalidParameter", Message: "body: isBase64Encoded is true but the body is not base64"}
		}
		req.Body = body
	}
	return req, nil
}

// decodeHTTP finds the request in an HTTP-trigger request. The Content-Type
// decides: JSON is the request JSON; a form is either a CloudMonitor alarm
// callback (it has alertState) or API-style parameters; no body means the
// parameters are in the query string.
func decodeHTTP(r HTTPRequest) decoded {
	body := bytes.TrimSpace(r.Body)
	if len(body) == 0 {
		return exitRoute(r, decoded{trigger: "http-query", draft: decodeParams(r.Query)})
	}
	media, _, _ := mime.ParseMediaType(r.Header("Content-Type"))
	var out decoded
	switch {
	case media == "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			out = decoded{trigger: "http-form"}
			out.draft.invalid("body", "not a valid form")
		} else if form.Has("alertState") {
			out = decodeAlarm(form.Get)
			out.trigger = "cms-alarm-callback"
		} else {
			out = decoded{trigger: "http-form", draft: decodeParams(form)}
		}
	case media == "application/json" || strings.HasSuffix(media, "+json") ||
		// Callers such as `s invoke` send JSON as octet-stream or with no type.
		(media == "" || media == "application/octet-stream" || media == "text/plain") && body[0] == '{':
		out = decoded{trigger: "http-json", draft: decodeDirect(body)}
	default:
		out = decoded{trigger: "http"}
		out.draft.invalid("Content-Type", "%s is not accepted; send application/json or application/x-www-form-urlencoded", quote(media))
	}
	for key := range r.Query {
		out.draft.invalid(key, "query parameters are not accepted when the body carries the request")
	}
	return exitRoute(r, out)
}

// exitRoute makes a request to a path ending in /exit an ExitStandby.
func exitRoute(r HTTPRequest, d decoded) decoded {
	if !strings.HasSuffix(strings.TrimSuffix(r.Path, "/"), "/exit") {
		return d
	}
	switch Action(d.draft.action.value) {
	case "":
		d.draft.action = param{name: "path", value: string(ExitStandby)}
	case ExitStandby:
	default:
		d.draft.invalid("Action", "%s contradicts the /exit route", quote(d.draft.action.value))
	}
	return d
}

var errUnauthorized = &Error{Kind: Unauthorized, Code: "Unauthorized",
	Message: "missing or wrong token: send Authorization: Bearer <AUTH_TOKEN>, or ?token=<AUTH_TOKEN> where the caller cannot set headers"}

// authenticate checks the caller's token, from an Authorization: Bearer
// header or a token query parameter (CloudMonitor callbacks can only carry it
// in their URL), in constant time. It returns the request without the token.
func authenticate(r HTTPRequest, want Secret) (HTTPRequest, bool) {
	given := r.Query.Get("token")
	if scheme, token, ok := strings.Cut(r.Header("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
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
