package notify

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"
)

// sendError is what Send returns. It keeps only what is safe to log: the
// kind, the endpoint's host and path (see where), the number of attempts,
// the last HTTP status, the vendor's code and a short cleaned message, and
// the transport's cause with the *url.Error — which quotes the full URL,
// access_token included — peeled off.
type sendError struct {
	kind     Kind
	where    string
	attempts int
	f        failure
	redact   *strings.Replacer
}

func (e *sendError) Error() string {
	var reason string
	switch {
	case e.f.cause != nil:
		reason = e.f.cause.Error()
	case e.f.code != "":
		reason = fmt.Sprintf("HTTP %d, %s code %s", e.f.status, e.kind, e.f.code)
		if e.f.msg != "" {
			reason += ": " + e.f.msg
		}
	case e.f.status != 0:
		reason = fmt.Sprintf("HTTP %d", e.f.status)
		if e.kind != Webhook {
			reason += " without the vendor's confirmation"
		}
	default:
		reason = "not sent"
	}
	plural := "s"
	if e.attempts == 1 {
		plural = ""
	}
	s := fmt.Sprintf("notify: %s %s: %s (%d attempt%s)", e.kind, e.where, reason, e.attempts, plural)
	// A last line of defence: a vendor message or a transport error that
	// echoes the secret, the token or the query loses it here.
	return e.redact.Replace(s)
}

// Unwrap gives the cause, so errors.Is(err, context.DeadlineExceeded)
// works; the cause never holds the URL.
func (e *sendError) Unwrap() error { return e.f.cause }

// stripURL peels the *url.Error that http.Client.Do wraps every error in.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// vendorMessage keeps at most 100 printable bytes of a vendor's message:
// enough for "sign not match", never a page of HTML.
func vendorMessage(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, strings.ToValidUTF8(s, ""))
	return truncate(strings.TrimSpace(s), 100)
}

// redactor replaces every credential the notifier holds: the secret, the
// URL's query and each of its values, and the path's last segment (Lark's
// hook token), each also in its URL-escaped form.
func redactor(u *url.URL, secret string) *strings.Replacer {
	var olds []string
	add := func(s string, minLen int) {
		if len(s) >= minLen {
			olds = append(olds, s, url.QueryEscape(s), url.PathEscape(s))
		}
	}
	add(secret, 1)
	if u != nil {
		add(u.RawQuery, 1)
		for _, vs := range u.Query() {
			for _, v := range vs {
				add(v, 4)
			}
		}
		if i := strings.LastIndexByte(u.Path, '/'); i >= 0 {
			add(u.Path[i+1:], 8)
		}
	}
	// Longest first, so a value inside the raw query does not leave the
	// rest of the query behind.
	slices.SortFunc(olds, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	olds = slices.Compact(olds)
	pairs := make([]string, 0, 2*len(olds))
	for _, o := range olds {
		pairs = append(pairs, o, "[redacted]")
	}
	return strings.NewReplacer(pairs...)
}
