// Package essemu is an in-memory Auto Scaling (ESS, API 2014-08-28) served
// over real HTTP on a loopback port: what local mode runs the function
// against, and what the tests do. It is an ordinary package, not test code. It speaks the
// RPC protocol as the SDK sends it, verifies every request's HMAC-SHA1
// signature and STS token against the keys it was given, and implements
// EnterStandby, ExitStandby, DescribeScalingInstances and
// DescribeScalingActivities over scaling groups whose instances have
// lifecycle states and SLB weights; ECS's tags, statuses and simulated
// events (ecs.go), and its instances found by private IP in a VPC
// (addresses.go); ECI's tags of elastic container instances, which ECS's
// tag actions refuse (eci.go); and Log Service's log search, for the drill
// (logs.go). Every API is served on the one URL, told apart by version.
//
// What it models, from the API documentation: only InService instances
// enter Standby; their SLB weight becomes 0; ExitStandby restores the
// configured weight. (Scale-in and health checks, which leave Standby
// instances alone, are not modelled: the function never meets them.) A ClientToken reused with the
// same parameters returns the first call's activity and starts nothing. It
// records every call, so tests can assert what was, or was not, sent.
package essemu

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Lifecycle states, as DescribeScalingInstances reports them.
const (
	InService = "InService"
	Standby   = "Standby"
	Pending   = "Pending"
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
	// VpcID is the VPC the group's instances are in, which
	// DescribeScalingGroups answers; "": the classic network.
	VpcID     string
	Instances []Instance
}

// Instance seeds an instance of a group.
type Instance struct {
	ID             string
	LifecycleState string
	Weight         int               // configured SLB weight; 0 means the default, 50
	Tags           map[string]string // its tags (ECI's for an eci- instance), as other writers left them
	// PrivateIP is its private IPv4 address, in its group's VPC (the
	// classic network's internal address in a group without one), by which
	// ECS's DescribeInstances finds an ECS instance.
	PrivateIP string
}

// InstanceState is an instance as the emulator holds it now.
type InstanceState struct {
	ID, ScalingGroupID, LifecycleState, HealthStatus string
	Weight                                           int // current SLB weight
}

// Call is one request the emulator received.
type Call struct {
	Action        string
	Version       string     // the API's: ECI's tag actions have ECS's names
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

	srv     *http.Server
	cert    *x509.Certificate // of an HTTPS emulator
	serving sync.WaitGroup    // requests being served: added to under mu, while not closed
	closed  bool              // guarded by mu: Close has begun, no request is served
	keys    map[string]Key
	seed    []Group

	mu         sync.Mutex
	now        func() time.Time
	w          *world
	calls      []Call
	faults     []fault
	holds      []hold
	newConns   int
	handshakes int
	inFlight   int // requests being served now
	mostAtOnce int // the most ever served at once
	// simulated are the simulated system events scheduled; onSimulated,
	// when set, is told of each as EventBridge would deliver it.
	simulated   []SimulatedEvent
	undelivered []SimulatedEvent
	onSimulated func(SimulatedEvent)
	logStores   []*logStore // Log Service's, which ShipLogs fills
}

type hold struct {
	action  string
	arrived chan struct{}
	release chan struct{}
}

// Fault makes calls fail, answer late, or answer what Auto Scaling should
// not, once their signature has passed.
type Fault struct {
	Action        string        // the action it applies to; "*" for every action
	Group         string        // only calls naming this ScalingGroupId, if set
	After         int           // let this many matching calls through first
	Every         int           // only every Every-th matching call (0 or 1: each)
	Times         int           // at most this many times (0: no limit)
	Status        int           // answer this HTTP status with Code and Message (0: answer normally)
	Code, Message string        // the error, when Status is set
	Delay         time.Duration // answer this much later: a latency spike
	// Answer, when set, is what a successful call answers instead of its
	// result (RequestId added), and the call changes nothing: an answer
	// missing what it should carry.
	Answer map[string]any
	// Param, if set, keeps the fault to calls carrying this parameter:
	// InstanceId.1 singles out DescribeScalingInstances' reads by ID from
	// its counts and lists, which share the action.
	Param string
	// Version, if set, keeps the fault to calls under this API version:
	// 2018-08-08 singles out ECI's tag actions from ECS's of the same name.
	Version string
}

type fault struct {
	Fault
	seen, applied int
}

// takeFault returns the fault that applies to the next call of action,
// with params, if any.
func (s *Server) takeFault(action string, params url.Values) *Fault {
	for i := range s.faults {
		f := &s.faults[i]
		if f.Action != "*" && f.Action != action || f.Group != "" && f.Group != params.Get("ScalingGroupId") ||
			f.Param != "" && !params.Has(f.Param) || f.Version != "" && f.Version != params.Get("Version") || f.Times > 0 && f.applied >= f.Times {
			continue
		}
		f.seen++
		if f.seen <= f.After || f.Every > 1 && (f.seen-f.After)%f.Every != 0 {
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
	s := newServer(keys, groups)
	s.start(nil)
	return s
}

// NewTLSServer is NewServer over HTTPS, with a certificate for 127.0.0.1
// that Certificate returns, so that TLS handshakes are real and counted.
func NewTLSServer(keys []Key, groups ...Group) *Server {
	s := newServer(keys, groups)
	cert, parsed, err := selfSigned()
	if err != nil {
		panic("essemu: no certificate: " + err.Error())
	}
	s.cert = parsed
	s.start(&tls.Config{Certificates: []tls.Certificate{cert}, GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		s.mu.Lock()
		s.handshakes++
		s.mu.Unlock()
		return nil, nil
	}})
	return s
}

func newServer(keys []Key, groups []Group) *Server {
	s := &Server{keys: map[string]Key{}, seed: groups, now: time.Now}
	for _, k := range keys {
		s.keys[k.ID] = k
	}
	s.w = newWorld(groups)
	return s
}

// start serves on a free loopback port, over TLS when tlsConfig is given.
func (s *Server) start(tlsConfig *tls.Config) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("essemu: no loopback port: " + err.Error()) // as net/http/httptest does: nothing works without one
	}
	scheme := "http"
	if tlsConfig != nil {
		ln, scheme = tls.NewListener(ln, tlsConfig), "https"
	}
	s.URL = scheme + "://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s, ConnState: func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.mu.Lock()
			s.newConns++
			s.mu.Unlock()
		}
	}}
	go s.srv.Serve(ln) //nolint:errcheck // ends with Close
}

// Close stops the emulator and waits for the requests it is serving. A
// request that arrives meanwhile is not served: a WaitGroup may not grow
// from zero while Wait runs.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.srv.Close()
	s.serving.Wait()
}

// selfSigned makes a certificate for the loopback addresses, its own root.
func selfSigned() (tls.Certificate, *x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{Organization: []string{"essemu"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	parsed, err := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, parsed, err
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
