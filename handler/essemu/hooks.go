package essemu

import (
	"crypto/x509"
	"sync"
)

// What tests see of the emulator, and how they steer it.

// Reset restores the seeded groups and forgets calls, tokens and faults.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w = newWorld(s.seed)
	s.calls, s.faults, s.logStores = nil, nil, nil
}

// Calls returns the calls received so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// MostAtOnce is the most requests the emulator has served at once.
func (s *Server) MostAtOnce() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mostAtOnce
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

// ClearFaults removes every fault: Auto Scaling is well again.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
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

// InState counts the instances in a lifecycle state, in every group.
func (s *Server) InState(state string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, g := range s.w.groups {
		for _, in := range g.instances {
			if in.state == state {
				n++
			}
		}
	}
	return n
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

// Certificate is the HTTPS emulator's certificate, for clients to trust.
func (s *Server) Certificate() *x509.Certificate { return s.cert }

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
