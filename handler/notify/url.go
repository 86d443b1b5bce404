package notify

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Kind names the receiver's protocol. KindOf reads it from the URL's host.
type Kind string

const (
	DingTalk Kind = "dingtalk" // DingTalk custom robot (钉钉自定义机器人)
	Lark     Kind = "lark"     // Lark / Feishu custom bot (飞书自定义机器人)
	Webhook  Kind = "webhook"  // anything else: the Event as JSON
)

// KindOf tells the receiver's protocol from the URL's host. The hosts are
// matched exactly, so a look-alike such as oapi.dingtalk.com.example.net
// is a plain webhook and gets no vendor signature.
func KindOf(u *url.URL) Kind {
	if u == nil {
		return Webhook
	}
	switch strings.ToLower(strings.TrimSuffix(u.Hostname(), ".")) {
	case "oapi.dingtalk.com":
		return DingTalk
	case "open.feishu.cn", "open.larksuite.com":
		return Lark
	}
	return Webhook
}

// maxURLBytes bounds NOTIFY_URL; real robot URLs are under 200 bytes.
const maxURLBytes = 2048

// ParseURL checks NOTIFY_URL: https only (http only to a loopback host, so
// tests can use httptest), a host, no user info, and for DingTalk an
// access_token. Its errors name at most the host and the scheme, never the
// query or the path: DingTalk's access_token sits in the query and Lark's
// hook token in the path, and either one lets anyone post to the group.
func ParseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("notify: NOTIFY_URL is empty")
	}
	if len(raw) > maxURLBytes {
		return nil, fmt.Errorf("notify: NOTIFY_URL is %d bytes, more than %d", len(raw), maxURLBytes)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error quotes the whole URL, query and all.
		return nil, errors.New("notify: NOTIFY_URL is not a valid URL")
	}
	host := u.Hostname()
	switch {
	case u.Opaque != "" || host == "":
		return nil, errors.New("notify: NOTIFY_URL has no host; want https://host/path")
	case u.User != nil:
		return nil, fmt.Errorf("notify: NOTIFY_URL for %s carries user info; a signing key belongs in NOTIFY_SECRET", host)
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(host):
	default:
		return nil, fmt.Errorf("notify: NOTIFY_URL for %s uses scheme %q; only https is allowed (http only to loopback)", host, u.Scheme)
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("notify: NOTIFY_URL for %s has a #fragment, which is never sent", host)
	}
	if KindOf(u) == DingTalk && u.Query().Get("access_token") == "" {
		return nil, errors.New("notify: NOTIFY_URL for oapi.dingtalk.com has no access_token parameter")
	}
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// where names the endpoint in errors: host and path, except that for Lark
// and generic webhooks the path's last segment is elided, because there it
// is usually the token (Lark's /open-apis/bot/v2/hook/<token>, Slack-style
// /services/T…/B…/<token>).
func where(u *url.URL, kind Kind) string {
	p := u.EscapedPath()
	if kind != DingTalk {
		if i := strings.LastIndexByte(p, '/'); i >= 0 && i < len(p)-1 {
			p = p[:i+1] + "…"
		}
	}
	return u.Host + p
}
