package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Config configures a Notifier.
type Config struct {
	URL    *url.URL // NOTIFY_URL, as ParseURL returns it
	Secret string   // NOTIFY_SECRET: DingTalk's/Lark's signing secret, or the generic webhook's HMAC key; "" = unsigned

	Client *http.Client // nil: a client with sane timeouts, through Proxy
	// Proxy picks a send's proxy (HTTPS_PROXY, NO_PROXY); nil: none. The
	// environment is never read here.
	Proxy func(*url.URL) (*url.URL, error)
	Now   func() time.Time                           // nil: time.Now (tests pin it)
	Sleep func(context.Context, time.Duration) error // nil: a timer; tests pass one returning at once
}

// The retry policy. A notification must not hold up the invocation it
// reports on, so the whole of Send, waits included, fits in sendBudget and
// the caller's deadline. Vendor throttles are minutes long (DingTalk: 20
// messages a minute, then 10 minutes of refusals), so retries are for blips,
// not for waiting a throttle out.
const (
	maxAttempts    = 3
	sendBudget     = 5 * time.Second
	attemptTimeout = 2 * time.Second
	minAttempt     = 100 * time.Millisecond // a retry with less time left is noise
	maxAnswerBytes = 64 << 10               // vendors answer in well under 1 KiB
)

var backoff = []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}

// Retryable vendor codes. Anything else the vendor answers is final: a bad
// signature, a keyword or IP-allowlist refusal, or a bad body will not get
// better by sending again.
var (
	// 130101 "send too fast, exceed 20 times per minute", as DingTalk answers
	// it (quoted in https://github.com/ccfos/nightingale/issues/369); -1
	// "系统繁忙", for which DingTalk's global return codes advise retrying
	// (https://blog.csdn.net/m0_37271466/article/details/86489359 reproduces
	// that table).
	dingTalkRetryable = map[int]bool{130101: true, -1: true}
	// 9499 "too many request" (treated as retryable by
	// kubesphere/notification-manager's Feishu notifier) and 11232, the
	// frequency-control code Feishu returns to custom bots past their
	// 100-a-minute, 5-a-second limit
	// (https://github.com/openclaw/openclaw/issues/70879).
	larkRetryable = map[int]bool{9499: true, 11232: true}
)

// Notifier sends Events to one endpoint. It is safe for concurrent use.
type Notifier struct {
	url    *url.URL
	kind   Kind
	secret string
	client *http.Client
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
	redact *redactor

	// The policy, in fields so tests can shrink it.
	budget, attemptTimeout time.Duration
	backoff                []time.Duration
}

// New returns a Notifier for cfg. A nil cfg.URL gives a Notifier whose Send
// reports that nothing is configured.
func New(cfg Config) *Notifier {
	n := &Notifier{
		secret:         cfg.Secret,
		now:            cfg.Now,
		sleep:          cfg.Sleep,
		budget:         sendBudget,
		attemptTimeout: attemptTimeout,
		backoff:        backoff,
	}
	if cfg.URL != nil {
		u := *cfg.URL // the caller may reuse its URL
		n.url = &u
	}
	n.kind = KindOf(n.url)
	n.redact = newRedactor(n.url, n.secret)
	if n.now == nil {
		n.now = time.Now
	}
	if n.sleep == nil {
		n.sleep = sleep
	}
	if cfg.Client != nil {
		c := *cfg.Client
		n.client = &c
	} else {
		n.client = defaultClient(cfg.Proxy)
	}
	// Never follow a redirect: DingTalk answers a throttled robot with a
	// 302, and following one would post the message, and for a vendor its
	// signature, to a host NOTIFY_URL does not name.
	n.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return n
}

func defaultClient(proxy func(*url.URL) (*url.URL, error)) *http.Client {
	t := &http.Transport{ForceAttemptHTTP2: true, IdleConnTimeout: 90 * time.Second}
	if d, ok := http.DefaultTransport.(*http.Transport); ok {
		t = d.Clone()
	}
	t.Proxy = nil
	if proxy != nil {
		t.Proxy = func(r *http.Request) (*url.URL, error) { return proxy(r.URL) }
	}
	t.DialContext = (&net.Dialer{Timeout: attemptTimeout, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = attemptTimeout
	t.ResponseHeaderTimeout = attemptTimeout
	t.MaxIdleConns = 2
	return &http.Client{Transport: t, Timeout: sendBudget}
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// failure is one attempt's outcome when it was not a success.
type failure struct {
	status int    // HTTP status, 0 if no answer arrived
	code   string // the vendor's error code, "" if none
	msg    string // the vendor's message, cleaned and short
	cause  error  // transport or context error, URL stripped
	retry  bool
}

// message is what every attempt sends; only signatures change per attempt.
type message struct {
	title, text string // DingTalk and Lark
	body        []byte // generic webhook
}

// Send delivers ev as one message. It returns nil only once the vendor has
// confirmed: DingTalk's HTTP 200 with errcode 0, Lark's code 0 (or, from
// older deployments, StatusCode 0), a webhook's 2xx. It tries at most three
// times, retrying only transport errors, HTTP 429 and 5xx, and the vendors'
// rate-limit codes, and never runs past ctx's deadline or five seconds.
func (n *Notifier) Send(ctx context.Context, ev Event) error {
	if n == nil || n.url == nil {
		return errors.New("notify: no NOTIFY_URL configured")
	}
	e := &sendError{kind: n.kind, where: where(n.url, n.kind), redact: n.redact}
	if err := ctx.Err(); err != nil {
		e.f.cause = err
		return e
	}
	m, err := n.message(ev)
	if err != nil {
		e.f.cause = err
		return e
	}
	ctx, cancel := context.WithTimeout(ctx, n.budget)
	defer cancel()
	for {
		e.attempts++
		f, ok := n.attempt(ctx, m)
		if ok {
			return nil
		}
		e.f = f
		if !f.retry || e.attempts == maxAttempts {
			return e
		}
		wait := n.backoff[min(e.attempts-1, len(n.backoff)-1)]
		if dl, _ := ctx.Deadline(); time.Until(dl) < wait+minAttempt {
			return e
		}
		if n.sleep(ctx, wait) != nil {
			return e
		}
	}
}

func (n *Notifier) message(ev Event) (message, error) {
	switch n.kind {
	case DingTalk:
		title, text := render(ev, true)
		return message{title: title, text: text}, nil
	case Lark:
		title, text := render(ev, false)
		return message{title: title, text: text}, nil
	}
	body, err := encode(boundEvent(ev))
	return message{body: body}, err
}

// encode is json.Marshal without HTML escaping, which would turn each
// '<', '>' and '&' into six bytes.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding the message: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// attempt makes one request, under its own timeout.
func (n *Notifier) attempt(ctx context.Context, m message) (failure, bool) {
	ctx, cancel := context.WithTimeout(ctx, n.attemptTimeout)
	defer cancel()
	req, err := n.request(ctx, m)
	if err != nil {
		return failure{cause: err}, false
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return failure{cause: stripURL(err), retry: true}, false
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		// The status line arrived but not the confirmation.
		return failure{status: resp.StatusCode, cause: stripURL(err), retry: true}, false
	}
	return n.judge(resp.StatusCode, answer)
}

// request builds one attempt's request, signed with this attempt's time.
func (n *Notifier) request(ctx context.Context, m message) (*http.Request, error) {
	u := *n.url
	body := m.body
	contentType := "application/json"
	var err error
	switch n.kind {
	case DingTalk:
		body, err = encode(map[string]any{
			"msgtype":  "markdown",
			"markdown": map[string]string{"title": m.title, "text": m.text},
		})
		if n.secret != "" {
			ts := strconv.FormatInt(n.now().UnixMilli(), 10)
			q := u.Query()
			q.Set("timestamp", ts)
			q.Set("sign", dingTalkSign(n.secret, ts))
			u.RawQuery = q.Encode()
		}
		contentType = "application/json; charset=utf-8" // DingTalk asks for UTF-8 explicitly
	case Lark:
		v := larkBody{MsgType: "text"}
		v.Content.Text = m.text
		if n.secret != "" {
			v.Timestamp = strconv.FormatInt(n.now().Unix(), 10)
			v.Sign = larkSign(n.secret, v.Timestamp)
		}
		body, err = encode(v)
		contentType = "application/json; charset=utf-8"
	}
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, errors.New("building the request failed") // its error would quote the URL
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "ess-standby-notify")
	if n.kind == Webhook && n.secret != "" {
		ts := strconv.FormatInt(n.now().Unix(), 10)
		req.Header.Set("X-Ess-Standby-Timestamp", ts)
		req.Header.Set("X-Ess-Standby-Signature", webhookSign(n.secret, ts, body))
	}
	return req, nil
}

type larkBody struct {
	Timestamp string `json:"timestamp,omitempty"`
	Sign      string `json:"sign,omitempty"`
	MsgType   string `json:"msg_type"`
	Content   struct {
		Text string `json:"text"`
	} `json:"content"`
}

// judge reads an answer. Only the vendor's explicit confirmation counts:
// an HTTP 200 from a proxy or a captive portal is not a delivered message.
func (n *Notifier) judge(status int, answer []byte) (failure, bool) {
	f := failure{status: status, retry: status == http.StatusTooManyRequests || status >= 500}
	var a vendorAnswer
	var retryable map[int]bool
	switch n.kind {
	case DingTalk:
		a, retryable = dingTalkAnswer(answer), dingTalkRetryable
	case Lark:
		a, retryable = larkAnswer(answer), larkRetryable
	default:
		return f, status >= 200 && status < 300
	}
	switch {
	case a.code == nil:
		return f, false
	case status == http.StatusOK && *a.code == 0:
		return f, true
	}
	// The vendor's code says why, whatever the HTTP status (Lark answers
	// a rate limit with HTTP 400 and the code in the body).
	f.code, f.msg = strconv.Itoa(*a.code), vendorMessage(n.redact, a.msg)
	f.retry = f.retry || retryable[*a.code]
	return f, false
}

// vendorAnswer is what a vendor's answer says: its code (nil when it
// carries none, or is no JSON) and its message.
type vendorAnswer struct {
	code *int
	msg  string
}

func dingTalkAnswer(answer []byte) vendorAnswer {
	var a struct {
		Errcode *int   `json:"errcode"`
		Errmsg  string `json:"errmsg"`
	}
	if json.Unmarshal(answer, &a) != nil {
		return vendorAnswer{}
	}
	return vendorAnswer{code: a.Errcode, msg: a.Errmsg}
}

func larkAnswer(answer []byte) vendorAnswer {
	var a struct {
		Code          *int   `json:"code"`
		Msg           string `json:"msg"`
		StatusCode    *int   `json:"StatusCode"` // older answers carry only these two
		StatusMessage string `json:"StatusMessage"`
	}
	switch {
	case json.Unmarshal(answer, &a) != nil:
		return vendorAnswer{}
	case a.Code == nil:
		return vendorAnswer{code: a.StatusCode, msg: a.StatusMessage}
	}
	return vendorAnswer{code: a.Code, msg: a.Msg}
}
