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
	redact   *redactor
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
// enough for "sign not match", never a page of HTML. The credentials go
// before the cut: a token the cut splits is no longer the token, and the
// replacer would let its head through (issue 26, case 12). Cleaning comes
// first, since dropping an invalid byte can join a token split by it.
func vendorMessage(r *redactor, s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, strings.ToValidUTF8(s, ""))
	return r.Replace(truncate(r.Replace(strings.TrimSpace(s)), 100))
}

// minFragment is the shortest run of a credential taken for a leak. The
// credentials are random, so a run this long is no coincidence; a shorter
// one, such as the few characters of a token a vendor's own cut leaves at
// the end of its message, gives away too little to matter.
const minFragment = 8

// redactor removes every credential the notifier holds from a text: the
// secret, the URL's query and each of its values, and the path's last
// segment (Lark's hook token), each also in its URL-escaped form; and then
// any run of minFragment bytes or more of one, which a vendor echoing
// part of a credential, or a cut, leaves behind.
type redactor struct {
	whole *strings.Replacer
	// parts are the credentials whose runs are removed. The raw query is
	// not among them: its key names ("access_token=") are no secret, and
	// its values are here on their own.
	parts []string
}

func newRedactor(u *url.URL, secret string) *redactor {
	var olds, parts []string
	add := func(s string, minLen int, part bool) {
		if len(s) < minLen {
			return
		}
		forms := []string{s, url.QueryEscape(s), url.PathEscape(s)}
		olds = append(olds, forms...)
		if part {
			parts = append(parts, forms...)
		}
	}
	add(secret, 1, true)
	if u != nil {
		add(u.RawQuery, 1, false)
		for _, vs := range u.Query() {
			for _, v := range vs {
				add(v, 4, true)
			}
		}
		if i := strings.LastIndexByte(u.Path, '/'); i >= 0 {
			add(u.Path[i+1:], 8, true)
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
	slices.Sort(parts)
	return &redactor{whole: strings.NewReplacer(pairs...), parts: slices.Compact(parts)}
}

// Replace redacts s: whole credentials first, then what is left of one.
// It runs only on the error path, over a few hundred bytes, so the plain
// search is cheap enough.
func (r *redactor) Replace(s string) string {
	s = r.whole.Replace(s)
	// hide[i] marks a byte of s inside a run of a credential.
	var hide []bool
	for _, p := range r.parts {
		for i := 0; i+minFragment <= len(s); i++ {
			if n := longestRun(s[i:], p); n >= minFragment {
				if hide == nil {
					hide = make([]bool, len(s))
				}
				for j := i; j < i+n; j++ {
					hide[j] = true
				}
			}
		}
	}
	if hide == nil {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case !hide[i]:
			b.WriteByte(s[i])
		case i == 0 || !hide[i-1]:
			b.WriteString("[redacted]")
		}
	}
	return b.String()
}

// longestRun is the length of the longest prefix of s found anywhere in p.
func longestRun(s, p string) int {
	best := 0
	for j := range len(p) {
		n := 0
		for n < len(s) && j+n < len(p) && s[n] == p[j+n] {
			n++
		}
		best = max(best, n)
	}
	return best
}
