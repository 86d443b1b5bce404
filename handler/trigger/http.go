package trigger

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"maps"
	"mime"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"

	"ess-standby/handler/standby"
)

// HTTPRequest is an HTTP-trigger request, whichever runtime delivered it:
// the go1 runtime as a JSON event, the custom runtime as real HTTP.
type HTTPRequest struct {
	Method string
	Path   string
	Header http.Header // canonical names; a header sent twice has two values
	Query  url.Values
	Body   []byte
}

// Unique returns a header's value ("" when absent) and whether it was sent
// at most once. A header sent twice, or under two casings of its name, is
// ambiguous: unique is false, and it must not be read.
func (r HTTPRequest) Unique(name string) (value string, unique bool) {
	switch values := r.Header.Values(name); len(values) {
	case 0:
		return "", true
	case 1:
		return values[0], true
	}
	return "", false
}

// httpEvent is the FC 3.0 HTTP trigger's event in the go1 runtime: version,
// rawPath, headers, queryParameters, body, isBase64Encoded, requestContext.
// No SDK type fits it: fc-runtime-go-sdk's is all pointers, aws-lambda-go's
// expect a numeric timeEpoch and queryStringParameters.
type httpEvent struct{}

func (httpEvent) recognises(o object) bool { return o.has("version") && o.has("requestContext") }

// decodeHTTPEvent turns the go1 runtime's HTTP event into the request it
// carries; nil, with the event saying why, when it cannot. FC joins
// repeated query parameters with commas; they stay joined.
func decodeHTTPEvent(o object) (*HTTPRequest, Event) {
	ev := Event{Source: "http"}
	f := fields{obj: o, p: &ev.Draft.Problems}
	call := f.object("requestContext").object("http")
	req := &HTTPRequest{Method: call.str("method"), Path: cmp.Or(call.str("path"), f.str("rawPath")), Header: http.Header{}, Query: url.Values{}}
	headers := f.object("headers")
	for _, name := range sortedKeys(headers.obj) {
		canonical := textproto.CanonicalMIMEHeaderKey(name)
		if req.Header.Get(canonical) != "" {
			f.p.Invalid("headers", "%s is given twice, in two casings", standby.Quote(canonical))
		}
		req.Header.Add(canonical, headers.str(name))
	}
	query := f.object("queryParameters")
	for _, name := range sortedKeys(query.obj) {
		req.Query.Set(name, query.str(name))
	}
	body := f.str("body")
	req.Body = []byte(body)
	if f.boolean("isBase64Encoded") {
		decoded, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			f.p.Invalid("body", "isBase64Encoded is true but the body is not base64")
		}
		req.Body = decoded
	}
	if !ev.Draft.Problems.Empty() {
		return nil, ev
	}
	return req, ev
}

// boolean reads a JSON boolean field; absent or null is false.
func (f fields) boolean(field string) bool {
	raw, ok := f.obj[field]
	var b bool
	if ok && !isNull(raw) && json.Unmarshal(raw, &b) != nil {
		f.p.Invalid(f.name(field), "must be true or false")
	}
	return b
}

func sortedKeys(o object) []string { return slices.Sorted(maps.Keys(o)) }

// pushes are what CloudMonitor posts to a URL as JSON: its event push, its
// subscription's alert, a threshold alarm's callback as JSON.
var pushes = []source{cmsEvent{}, cmsSubscription{}, jsonCallback}

// FromHTTP reads an HTTP-trigger request, once its caller is authenticated,
// with the settings opts. The route /alertmanager reads a group of alerts,
// each its own event; every other route one event or request (fromHTTP).
func FromHTTP(r HTTPRequest, opts Options) Delivery {
	if rt, ok := RouteOf(r.Path); ok && rt.Alerts {
		return alertsFromHTTP(r, opts)
	}
	return Delivery{Events: []Event{fromHTTP(r)}}
}

// fromHTTP reads a request of any route but /alertmanager. The
// Content-Type decides: JSON is the request JSON, or a CloudMonitor push; a
// form is a CloudMonitor alarm callback (it has alertState), a CloudMonitor
// subscription's form, or API-style parameters; no body means the query
// string carries it: a subscription's GET JSON (data=<the JSON>) or GET
// FORM, or API-style parameters. The path is a route (Routes), which says
// the action. What CloudMonitor sent is marked: it retries whatever is not
// answered 2xx.
func fromHTTP(r HTTPRequest) Event {
	var ev Event
	body := bytes.TrimSpace(r.Body)
	contentType, ok := r.Unique("Content-Type")
	media, _, _ := mime.ParseMediaType(contentType)
	switch {
	case !ok:
		ev.Source = "http"
		ev.Draft.Problems.Invalid("Content-Type", "given twice")
	case len(body) == 0:
		return route(r, fromQuery(r.Query))
	case media == "application/x-www-form-urlencoded":
		ev = fromForm(body, "http-form")
	case isJSON(media, body):
		ev = fromJSON(body, "http")
	default:
		ev.Source = "http"
		ev.Draft.Problems.Invalid("Content-Type", "%s is not accepted; send application/json or application/x-www-form-urlencoded", standby.Quote(media))
	}
	noQuery(r, "when the body carries the request", &ev.Draft.Problems)
	return route(r, ev)
}

// isJSON says whether a body of that media type is read as JSON. Callers
// such as `s invoke` send JSON as octet-stream or with no type, and ARMS's
// webhook as text/plain unless told otherwise.
func isJSON(media string, body []byte) bool {
	return media == "application/json" || strings.HasSuffix(media, "+json") ||
		(media == "" || media == "application/octet-stream" || media == "text/plain") && len(body) > 0 && body[0] == '{'
}

// noQuery refuses query parameters (but the token, which is taken off
// before) where the body carries the request: which one counts would be a
// guess.
func noQuery(r HTTPRequest, when string, p *standby.Problems) {
	for _, key := range slices.Sorted(maps.Keys(r.Query)) {
		p.Invalid(standby.Quote(key), "query parameters are not accepted %s", when)
	}
}

// alertsFromHTTP reads the /alertmanager route's body: a group of alerts as
// JSON, and nothing else. What keeps it from being read refuses it whole.
func alertsFromHTTP(r HTTPRequest, opts Options) Delivery {
	const via = "http:alertmanager"
	whole := Event{Source: via, NoRequest: true, RetriedOn5xx: true}
	p := &whole.Draft.Problems
	body := bytes.TrimSpace(r.Body)
	contentType, ok := r.Unique("Content-Type")
	media, _, _ := mime.ParseMediaType(contentType)
	switch {
	case !ok:
		p.Invalid("Content-Type", "given twice")
	case len(body) == 0:
		p.Missing("body", "the route "+r.Path+" reads a group of alerts, as JSON: Alertmanager's webhook, ARMS's $alertmanager_content, Grafana's webhook contact point")
	case !isJSON(media, body):
		p.Invalid("Content-Type", "%s is not accepted on %s; send application/json", standby.Quote(media), r.Path)
	}
	noQuery(r, "on "+r.Path, p)
	if p.Empty() {
		switch o, err := parseObject(body); {
		case err != nil:
			p.Invalid("body", "%v", err)
		case !(alertmanager{}).recognises(o):
			p.Invalid("body", "not a group of alerts: it lacks receiver and alerts, which Alertmanager's, ARMS's and Grafana's webhooks all carry")
		default:
			return decodeAlerts(o, opts, via)
		}
	}
	return Delivery{Source: via, Events: []Event{whole}}
}

// fromJSON reads a JSON body (or a GET's data parameter): a CloudMonitor
// push, or the request JSON.
func fromJSON(body []byte, via string) Event {
	o, err := parseObject(body)
	if err == nil && (alertmanager{}).recognises(o) {
		ev := Event{Source: via + ":alertmanager", NoRequest: true}
		ev.Draft.Problems.Invalid("path", "a group of alerts (Alertmanager's, ARMS's or Grafana's webhook) is read on the route /alertmanager only")
		return ev
	}
	ev := decodeOne(o, err, pushes, direct{})
	switch {
	case ev.Source == "direct":
		ev.Source = via + "-json"
	case ev.Source == jsonCallback.name:
		ev.SenderRetries = true
	default:
		ev.Source, ev.SenderRetries = via+":"+ev.Source, true
	}
	return ev
}

// fromQuery reads a request carried by its query string: a CloudMonitor
// subscription's GET JSON, one parameter data holding the alert's JSON; its
// GET FORM, the POST FORM's fields as parameters; or API-style parameters.
func fromQuery(q url.Values) Event {
	switch {
	case q.Has("data") && len(q) == 1:
		ev := fromJSON([]byte(q.Get("data")), "http-get")
		once(q, &ev.Draft.Problems)
		return ev
	case q.Has("alert") && q.Has("subscription"):
		return fromForm([]byte(q.Encode()), "http-get-form")
	}
	return Event{Source: "http-query", Draft: readParams(q)}
}

// fromForm reads a form (a body, or a GET's parameters): a CloudMonitor
// alarm callback, a CloudMonitor subscription's form (its fields hold JSON),
// or API-style parameters.
func fromForm(body []byte, via string) Event {
	var ev Event
	form, err := ParseQuery(string(body))
	switch {
	case err != nil:
		ev.Source = via
		ev.Draft.Problems.Invalid("body", "not a valid form: %v", err)
	case form.Has("alertState"):
		ev.Source, ev.SenderRetries = "cms-alarm-callback", true
		once(form, &ev.Draft.Problems)
		readAlarm(alarmFields{get: form.Get, name: func(f string) string { return f }, p: &ev.Draft.Problems}, &ev)
	case form.Has("alert") && form.Has("subscription"):
		once(form, &ev.Draft.Problems)
		o := object{}
		for key, values := range form {
			// Its fields hold JSON objects; the others are plain strings.
			if v := strings.TrimSpace(values[0]); strings.HasPrefix(v, "{") {
				o[key] = json.RawMessage(v)
			} else {
				o[key], _ = json.Marshal(v) // a string always marshals
			}
		}
		cmsSubscription{}.decode(fields{obj: o, p: &ev.Draft.Problems}, &ev)
		ev.Source, ev.SenderRetries = via+":"+ev.Source, true
	default:
		ev.Source, ev.Draft = via, readParams(form)
	}
	return ev
}

// once refuses a form field given more than once: which one to read would
// be a guess.
func once(form url.Values, p *standby.Problems) {
	for _, key := range slices.Sorted(maps.Keys(form)) {
		if len(form[key]) > 1 {
			p.Invalid(standby.Quote(key), "given %d times", len(form[key]))
		}
	}
}

// Route is one path of the HTTP trigger. On an exit route the request is
// an ExitStandby; on the alerts route, each alert says (firing parks,
// resolved is an end); on the others it is what the request says
// (EnterStandby unless it names its Action).
type Route struct {
	Path   string
	Exit   bool
	Alerts bool // reads a group of alerts, and nothing else
}

// Routes are the HTTP trigger's paths, matched exactly: any other path is
// answered 404 naming these, so that a typo never does what was not asked.
// /alarm and /cms name what CloudMonitor's callbacks are wired to, and each
// reads every payload the HTTP trigger takes but alerts; /alertmanager
// reads a group of alerts alone, whose alerts say themselves what they
// ask, so that no route can turn a firing alert into an exit.
var Routes = []Route{
	{Path: "/"}, {Path: "/standby"}, {Path: "/alarm"}, {Path: "/cms"},
	{Path: "/exit", Exit: true}, {Path: "/standby/exit", Exit: true},
	{Path: "/alertmanager", Alerts: true},
}

// RouteOf is the route of a path, matched exactly.
func RouteOf(path string) (Route, bool) {
	for _, r := range Routes {
		if r.Path == path {
			return r, true
		}
	}
	return Route{}, false
}

// route applies the request's route: an exit route makes it an
// ExitStandby, which an Action the request names must agree with.
func route(r HTTPRequest, ev Event) Event {
	rt, ok := RouteOf(r.Path)
	switch action := standby.Action(ev.Draft.Action.Value); {
	case !ok:
		ev.Draft.Problems.Invalid("path", "%s is not a route of this function", standby.Quote(r.Path))
	case !rt.Exit:
	case action == "":
		ev.Draft.Action = standby.Param{Name: "path", Value: string(standby.ExitStandby)}
	case action != standby.ExitStandby:
		ev.Draft.Problems.Invalid(ev.Draft.Action.Name, "%s contradicts the %s route", standby.Quote(ev.Draft.Action.Value), r.Path)
	}
	return ev
}
