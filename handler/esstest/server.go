// Package esstest is an in-memory Auto Scaling (ESS, API 2014-08-28) served
// over real HTTP, the way net/http/httptest serves a handler. It speaks the
// RPC protocol as the SDK sends it, verifies every request's HMAC-SHA1
// signature and STS token against the keys it was given, and implements
// EnterStandby, ExitStandby, DescribeScalingInstances and
// DescribeScalingActivities over scaling groups whose instances have
// lifecycle states, SLB weights and health.
//
// What it models, from the API documentation: only InService instances
// enter Standby; their SLB weight becomes 0; Standby instances are never
// removed by scale-in and their health is frozen until they leave Standby;
// ExitStandby restores the configured weight. A ClientToken reused with the
// same parameters returns the first call's activity and starts nothing. It
// records every call, so tests can assert what was, or was not, sent.
package esstest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"time"
)

// Lifecycle states, as DescribeScalingInstances reports them.
const (
	InService = "InService"
	Standby   = "Standby"
	Pending   = "Pending"
	Protected = "Protected"
	Removing  = "Removing"
	Stopped   = "Stopped"
)

// Key is a credential the emulator accepts. A Key with a Token is an STS
// credential: requests signed with it must carry that SecurityToken.
type Key struct {
	ID, Secret, Token string
}

// Group seeds a scaling group.
type Group struct {
	ID, Name, Region string
	Disabled         bool // IncorrectScalingGroupStatus for every change
	Instances        []Instance
}

// Instance seeds an instance of a group.
type Instance struct {
	ID             string
	LifecycleState string
	Weight         int // configured SLB weight; 0 means the default, 50
}

// InstanceState is an instance as the emulator holds it now.
type InstanceState struct {
	ID, ScalingGroupID, LifecycleState, HealthStatus string
	Weight                                           int // current SLB weight
}

// Call is one request the emulator received.
type Call struct {
	Action        string
	Params        url.Values // the action's own parameters (common ones removed)
	AccessKeyID   string
	SecurityToken string
	SignatureOK   bool
	Status        int
	Code          string // the error code answered; empty on success
}

// Server is a running emulator. Its methods are safe for concurrent use.
type Server struct {
	URL string

	http *httptest.Server
	keys map[string]Key
	seed []Group

	mu         sync.Mutex
	now        func() time.Time
	w          *world
	calls      []Call
	faults     []fault
	holds      []hold
	newConns   int
	handshakes int
}

type hold struct {
	action  string
	arrived chan struct{}
	release chan struct{}
}

// Fault makes calls fail, or answer late, once their signature has passed.
type Fault struct {
	Action        string        // the action it applies to; "*" for every action
	Every         int           // only every Every-th matching call (0 or 1: each)
	Times         int           // at most this many times (0: no limit)
	Status        int           // answer this HTTP status with Code and Message (0: answer normally)
	Code, Message string        // the error, when Status is set
	Delay         time.Duration // answer this much later: a latency spike
}

type fault struct {
	Fault
	seen, applied int
}

// takeFault returns the fault that applies to the next call of action, if any.
func (s *Server) takeFault(action string) *Fault {
	for i := range s.faults {
		f := &s.faults[i]
		if f.Action != "*" && f.Action != action || f.Times > 0 && f.applied >= f.Times {
			continue
		}
		f.seen++
		if f.Every > 1 && f.seen%f.Every != 0 {
			continue
		}
		f.applied++
		return &f.Fault
	}
	return nil
}

// NewServer starts an emulator on a free loopback port that accepts the
// given keys and holds the given groups.
func NewServer(keys []Key, groups ...Group) *Server {
	s := newUnstarted(keys, groups)
	s.http.Start()
	s.URL = s.http.URL
	return s
}

// NewTLSServer is NewServer over HTTPS, with a certificate for 127.0.0.1
// that Certificate returns, so that TLS handshakes are real and counted.
func NewTLSServer(keys []Key, groups ...Group) *Server {
	s := newUnstarted(keys, groups)
	s.http.TLS = &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		s.mu.Lock()
		s.handshakes++
		s.mu.Unlock()
		return nil, nil
	}}
	s.http.StartTLS()
	s.URL = s.http.URL
	return s
}

// newUnstarted builds an emulator whose HTTP server is not started yet.
func newUnstarted(keys []Key, groups []Group) *Server {
	s := &Server{keys: map[string]Key{}, seed: groups, now: time.Now}
	for _, k := range keys {
		s.keys[k.ID] = k
	}
	s.w = newWorld(groups)
	s.http = httptest.NewUnstartedServer(s)
	s.http.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.mu.Lock()
			s.newConns++
			s.mu.Unlock()
		}
	}
	return s
}

// Certificate is the HTTPS emulator's certificate, for clients to trust.
func (s *Server) Certificate() *x509.Certificate { return s.http.Certificate() }

// AddKey accepts one more key, such as an invocation's fresh STS credentials.
func (s *Server) AddKey(k Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[k.ID] = k
}

// Handshakes counts the TLS handshakes clients began with an HTTPS emulator.
func (s *Server) Handshakes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.handshakes
}

func (s *Server) Close() { s.http.Close() }

// Reset restores the seeded groups and forgets calls, tokens and faults.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w = newWorld(s.seed)
	s.calls, s.faults = nil, nil
}

// Calls returns the calls received so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// NewConnections counts the TCP connections clients have opened.
func (s *Server) NewConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newConns
}

// Inject adds a fault; faults apply in the order they were added.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{Fault: f})
}

// Fail makes the next n calls of action (or of any action, for "*") fail
// with the given HTTP status and error code.
func (s *Server) Fail(action string, n, status int, code, message string) {
	s.Inject(Fault{Action: action, Times: n, Status: status, Code: code, Message: message})
}

// Hold makes the next call of action wait, before it is served, until
// release is called; arrived is closed when that call has come in. Tests use
// it to have a call in flight at a moment of their choosing.
func (s *Server) Hold(action string) (arrived <-chan struct{}, release func()) {
	h := hold{action: action, arrived: make(chan struct{}), release: make(chan struct{})}
	s.mu.Lock()
	s.holds = append(s.holds, h)
	s.mu.Unlock()
	var once sync.Once
	return h.arrived, func() { once.Do(func() { close(h.release) }) }
}

// SetClock replaces the emulator's clock, against which request timestamps
// are checked.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// Instances reports every instance, in seed order.
func (s *Server) Instances() []InstanceState {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []InstanceState
	for _, g := range s.w.groups {
		for _, in := range g.instances {
			out = append(out, in.snapshot())
		}
	}
	return out
}

// Instance reports one instance; false if it is in no group.
func (s *Server) Instance(id string) (InstanceState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.w.instance(id)
	if in == nil {
		return InstanceState{}, false
	}
	return in.snapshot(), true
}

// ActivityState is a scaling activity as the emulator holds it.
type ActivityState struct {
	ID, ScalingGroupID, Description string
	InstanceIDs                     []string
}

// Activities reports the activities started so far, oldest first.
func (s *Server) Activities() []ActivityState {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ActivityState
	for _, a := range s.w.activities {
		out = append(out, ActivityState{ID: a.id, ScalingGroupID: a.groupID, Description: a.description, InstanceIDs: append([]string(nil), a.instances...)})
	}
	return out
}

// ScaleIn removes up to n instances from a group as a scale-in would:
// newest InService first, never Standby or Protected ones.
func (s *Server) ScaleIn(groupID string, n int) (removed []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.w.group(groupID)
	for i := len(g.instances) - 1; i >= 0 && len(removed) < n; i-- {
		if in := g.instances[i]; in.state == InService {
			removed = append(removed, in.id)
			g.instances = append(g.instances[:i], g.instances[i+1:]...)
		}
	}
	return removed
}

// SetHealth reports a health check result. An unhealthy InService instance
// is removed, as ESS does; a Standby instance keeps its reported health
// until it leaves Standby.
func (s *Server) SetHealth(instanceID, health string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.w.instance(instanceID)
	if in == nil {
		return
	}
	if in.state == Standby {
		in.frozenHealth = health
		return
	}
	in.health = health
	if in.state == InService && health == "Unhealthy" {
		g := in.group
		for i, other := range g.instances {
			if other == in {
				g.instances = append(g.instances[:i], g.instances[i+1:]...)
				break
			}
		}
	}
}

// apiError is an error answer, in the gateway's JSON shape. Every field is a
// string: the SDK panics on anything else.
type apiError struct {
	status        int
	code, message string
}

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func missing(name string) *apiError {
	return errorf(400, "MissingParameter", "The input parameter %q that is mandatory for processing this request is not supplied.", name)
}

func invalid(name string) *apiError {
	return errorf(400, "InvalidParameter", "The specified value of parameter %q is not valid.", name)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed request", http.StatusBadRequest)
		return
	}
	params := r.Form
	call := Call{Action: params.Get("Action"), AccessKeyID: params.Get("AccessKeyId"), SecurityToken: params.Get("SecurityToken"), Params: actionParams(params)}

	s.mu.Lock()
	var held *hold
	for i, h := range s.holds {
		if h.action == call.Action {
			held = &h
			s.holds = slices.Delete(s.holds, i, i+1)
			break
		}
	}
	s.mu.Unlock()
	if held != nil {
		close(held.arrived)
		<-held.release
	}

	s.mu.Lock()
	requestID := s.w.requestID()
	apiErr := s.authenticate(r.Method, params, &call)
	var f *Fault
	if apiErr == nil {
		f = s.takeFault(call.Action)
	}
	s.mu.Unlock()
	if f != nil && f.Delay > 0 {
		time.Sleep(f.Delay) // the latency spike being simulated, not a wait for anything
	}

	s.mu.Lock()
	var result map[string]any
	switch {
	case apiErr != nil:
	case f != nil && f.Status != 0:
		apiErr = &apiError{status: f.Status, code: f.Code, message: f.Message}
	default:
		result, apiErr = s.serveAction(params, call.Action)
	}
	call.Status = http.StatusOK
	var body any = result
	if apiErr != nil {
		call.Status, call.Code = apiErr.status, apiErr.code
		body = map[string]string{
			"RequestId": requestID, "HostId": "ess.aliyuncs.com", "Code": apiErr.code, "Message": apiErr.message,
			"Recommend": "https://api.aliyun.com/troubleshoot?q=" + apiErr.code,
		}
	} else {
		result["RequestId"] = requestID
	}
	s.calls = append(s.calls, call)
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(call.Status)
	_ = json.NewEncoder(w).Encode(body) // the client went away: nothing to do
}

// serveAction runs an authenticated request's action. s.mu is held.
func (s *Server) serveAction(params url.Values, action string) (map[string]any, *apiError) {
	switch action {
	case "EnterStandby":
		return s.w.standby(params, true, s.now())
	case "ExitStandby":
		return s.w.standby(params, false, s.now())
	case "DescribeScalingInstances":
		return s.w.describeInstances(params)
	case "DescribeScalingActivities":
		return s.w.describeActivities(params)
	}
	return nil, errorf(404, "InvalidApi.NotFound", "Specified api is not found, please check your url and method.")
}

func (s *Server) authenticate(method string, params url.Values, call *Call) *apiError {
	for _, name := range []string{"Action", "Version", "AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp"} {
		if !params.Has(name) {
			return missing(name)
		}
	}
	if !params.Has("Signature") {
		return errorf(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
	}
	if params.Get("Version") != "2014-08-28" {
		return errorf(400, "NoSuchVersion", "The specified version does not exist.")
	}
	if params.Get("SignatureMethod") != "HMAC-SHA1" || params.Get("SignatureVersion") != "1.0" {
		return errorf(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
	}
	ts, err := time.Parse("2006-01-02T15:04:05Z", params.Get("Timestamp"))
	if err != nil {
		return errorf(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
	}
	if d := s.now().Sub(ts); d > 15*time.Minute || d < -15*time.Minute {
		return errorf(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
	}
	key, ok := s.keys[params.Get("AccessKeyId")]
	if !ok {
		return errorf(400, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	}
	sts := stringToSign(method, params)
	if sign(sts, key.Secret) != params.Get("Signature") {
		// The real gateway quotes its string to sign, security token included.
		return errorf(403, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:%s", sts)
	}
	call.SignatureOK = true
	nonce := params.Get("SignatureNonce")
	if s.w.nonces[nonce] {
		return errorf(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
	}
	s.w.nonces[nonce] = true
	switch token := params.Get("SecurityToken"); {
	case key.Token != "" && token == "":
		return errorf(400, "MissingSecurityToken", "SecurityToken is mandatory for this action.")
	case token != key.Token:
		return errorf(400, "InvalidSecurityToken.MismatchWithAccessKey", "The Security Token does not match the AccessKeyId.")
	}
	return nil
}

// commonParams are sent with every call; Call.Params leaves them out.
var commonParams = []string{"Action", "Version", "Format", "AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "SignatureType", "Timestamp", "SecurityToken"}

func actionParams(all url.Values) url.Values {
	out := url.Values{}
	for k, v := range all {
		out[k] = v
	}
	for _, k := range commonParams {
		delete(out, k)
	}
	return out
}
