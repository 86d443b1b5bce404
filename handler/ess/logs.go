package ess

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"ess-standby/handler/standby"
)

// Log Service's API is not the RPC API the SDK speaks: a project is a host
// of its own (<project>.<region>.log.aliyuncs.com), and a request is signed
// with Log Service's HMAC-SHA1 over its method, headers and resource. The
// drill reads the function's log with it, to see what the function decided
// under dry run; the function never does.
var (
	logService      = product{"Log", "0.6.0", "log"}
	getLogStoreLogs = operator(logService, "GetLogStoreLogs")
)

// LogStore names a Log Service logstore: the one the function logs to.
type LogStore struct{ Project, Name string }

// LogEntry is one log as Log Service returns it: its fields (for FC's
// logs: message, the line the function wrote, and __topic__, functionName,
// qualifier), and when it was written.
type LogEntry struct {
	Time   time.Time
	Fields map[string]string
}

// maxLogLines is the most Log Service returns for one query.
const maxLogLines = 100

// Log Service's names: a project's is a label of a host name.
var (
	projectName  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	logstoreName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$`)
)

// SearchLogs runs a query (Log Service's search syntax) over store's logs
// written in [from, to), newest first, and returns at most 100 of them.
func (c *Client) SearchLogs(ctx context.Context, s standby.Session, store LogStore, query string, from, to time.Time) ([]LogEntry, error) {
	release, err := c.place(ctx, "reading the log")
	if err != nil {
		return nil, err
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, c.callTimeout)
	defer cancel()
	if !projectName.MatchString(store.Project) || !logstoreName.MatchString(store.Name) {
		return nil, &standby.Error{Kind: standby.Invalid, Code: "InvalidParameter",
			Message: fmt.Sprintf("%q/%q is not a Log Service project and logstore: lower-case letters, digits and hyphens (a logstore also _), 3 to 63", store.Project, store.Name)}
	}
	params := url.Values{"type": {"log"}, "from": {strconv.FormatInt(from.Unix(), 10)}, "to": {strconv.FormatInt(to.Unix(), 10)},
		"query": {query}, "line": {strconv.Itoa(maxLogLines)}, "offset": {"0"}, "reverse": {"true"}}
	path := "/logstores/" + url.PathEscape(store.Name)
	// Log Service reads the project from the Host: <project>.<endpoint>.
	scheme, host, dial := "https", s.Region+".log.aliyuncs.com", ""
	if e := c.logEndpoint; e != nil {
		scheme, host = e.Scheme, e.Host
		if e.Scheme == "http" {
			// Plain HTTP goes to loopback only (settings refuse it elsewhere):
			// an emulator, dialled as given, the project named in the Host
			// alone, so that nothing in clear leaves the machine.
			dial = e.Host
		}
	}
	target := cmp.Or(dial, store.Project+"."+host)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+target+path+"?"+params.Encode(), nil)
	if err != nil {
		return nil, &standby.Error{Kind: standby.Invalid, Code: "InvalidParameter", Message: "the Log Service endpoint is not a valid host", Cause: errorf(s, "%s: %v", getLogStoreLogs.name, err)}
	}
	req.Host = store.Project + "." + host
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	req.Header.Set("x-log-apiversion", logService.version)
	req.Header.Set("x-log-signaturemethod", "hmac-sha1")
	req.Header.Set("x-log-bodyrawsize", "0")
	if s.Credentials.SecurityToken != "" {
		req.Header.Set("x-acs-security-token", s.Credentials.SecurityToken)
	}
	req.Header.Set("Authorization", "LOG "+s.Credentials.AccessKeyID+":"+logSignature(s.Credentials.AccessKeySecret, req.Method, path, params, req.Header))
	client := http.Client{Transport: contextTransport{ctx: ctx, base: c.transport}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return nil, translateLogs(ctx, s, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, translateLogs(ctx, s, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ ErrorCode, ErrorMessage string }
		if json.Unmarshal(body, &e) != nil || e.ErrorCode == "" {
			return nil, &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: "Log Service answered with an unreadable error",
				Cause: errorf(s, "%s: HTTP %d without an error code", getLogStoreLogs.name, resp.StatusCode)}
		}
		return nil, &standby.Error{Kind: kindOf(e.ErrorCode, resp.StatusCode), Code: e.ErrorCode, Message: safeLogMessage(s, e.ErrorCode, e.ErrorMessage),
			Cause: errorf(s, "%s: Log Service answered HTTP %d %s (RequestId %s)", getLogStoreLogs.name, resp.StatusCode, e.ErrorCode, resp.Header.Get("x-log-requestid"))}
	}
	return logEntries(s, body)
}

// logEntries decodes GetLogStoreLogs' answer: an array of logs, each an
// object of fields whose values are strings (__time__ may be a number).
func logEntries(s standby.Session, body []byte) ([]LogEntry, error) {
	var logs []map[string]json.RawMessage
	if err := json.Unmarshal(body, &logs); err != nil || len(logs) > maxLogLines {
		return nil, &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: "Log Service answered GetLogStoreLogs with what is not a list of logs",
			Cause: errorf(s, "%s: %d logs, %v", getLogStoreLogs.name, len(logs), err)}
	}
	entries := make([]LogEntry, 0, len(logs))
	for _, l := range logs {
		e := LogEntry{Fields: map[string]string{}}
		for k, raw := range l {
			var v string
			if json.Unmarshal(raw, &v) != nil {
				v = string(raw) // a number
			}
			e.Fields[k] = v
		}
		sec, err := strconv.ParseInt(e.Fields["__time__"], 10, 64)
		if err != nil {
			return nil, &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: "Log Service answered a log without its time",
				Cause: errorf(s, "%s: __time__ %q", getLogStoreLogs.name, e.Fields["__time__"])}
		}
		e.Time = time.Unix(sec, 0)
		entries = append(entries, e)
	}
	return entries, nil
}

// logSignature is Log Service's request signature: Base64(HMAC-SHA1(secret,
// method \n Content-MD5 \n Content-Type \n Date \n x-log-* and x-acs-*
// headers, lower-cased and sorted, as name:value lines \n the path and the
// sorted query, unescaped)). Two of Log Service's SDKs give the test its
// vectors; the emulator checks requests with a signature of its own.
func logSignature(secret, method, path string, query url.Values, h http.Header) string {
	var names []string
	for name := range h {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-log-") || strings.HasPrefix(l, "x-acs-") {
			names = append(names, l)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n%s\n%s\n", method, h.Get("Content-MD5"), h.Get("Content-Type"), h.Get("Date"))
	for _, name := range names {
		fmt.Fprintf(&b, "%s:%s\n", name, strings.TrimSpace(h.Get(name)))
	}
	b.WriteString(path)
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range query {
			if !yield(k) {
				return
			}
		}
	})
	for i, k := range keys {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		b.WriteString(sep + k + "=" + query.Get(k))
	}
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// safeLogMessage is safeMessage for Log Service, whose answer to a bad
// signature may quote what was signed.
func safeLogMessage(s standby.Session, code, msg string) string {
	if code == "SignatureNotMatch" || leaks(s, msg) || msg == "" {
		return "Log Service refused the call (" + code + ")"
	}
	return capped(msg)
}

// translateLogs is translate for a Log Service call, which has no SDK
// error: a transport failure, a timeout, or an answer too large.
func translateLogs(ctx context.Context, s standby.Session, err error) error {
	var ue *url.Error
	switch {
	case errors.Is(err, errAnswerTooLarge):
		return &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: "Log Service sent an answer too large to read", Cause: errorf(s, "%s: %v", getLogStoreLogs.name, err)}
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return &standby.Error{Kind: standby.Timeout, Code: "Timeout", Message: "Log Service did not answer in time", Cause: errorf(s, "%s: %s", getLogStoreLogs.name, transportText(ue, err))}
	}
	return &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: "Log Service is unreachable", Cause: errorf(s, "%s: %s", getLogStoreLogs.name, transportText(ue, err))}
}
