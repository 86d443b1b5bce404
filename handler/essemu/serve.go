package essemu

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// ServeHTTP answers a request: Log Service's by its path, any other as an
// RPC call of Auto Scaling's, ECS's or ECI's API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.admit() {
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	}
	defer s.leave()
	if strings.HasPrefix(r.URL.Path, "/logstores/") {
		s.serveLogs(w, r) // Log Service's API, on a project's host
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed request", http.StatusBadRequest)
		return
	}
	s.serveRPC(w, r.Method, r.Form)
}

// admit counts a request in, unless Close has begun; leave counts it out.
func (s *Server) admit() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.serving.Add(1)
	s.inFlight++
	s.mostAtOnce = max(s.mostAtOnce, s.inFlight)
	return true
}

func (s *Server) leave() {
	s.mu.Lock()
	s.inFlight--
	s.mu.Unlock()
	s.serving.Done()
}

// serveRPC answers an RPC call, made with method and params: once it is
// released if held, authenticated, late if a fault delays it, and
// recorded.
func (s *Server) serveRPC(w http.ResponseWriter, method string, params url.Values) {
	call := Call{Action: params.Get("Action"), Version: params.Get("Version"), AccessKeyID: params.Get("AccessKeyId"), SecurityToken: params.Get("SecurityToken"), Params: actionParams(params)}
	s.awaitRelease(call.Action)
	requestID, f, apiErr := s.admitCall(method, params, &call)
	if f != nil && f.Delay > 0 {
		time.Sleep(f.Delay) // the latency spike being simulated, not a wait for anything
	}
	body := s.answer(params, &call, requestID, f, apiErr)
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(call.Status)
	_ = json.NewEncoder(w).Encode(body) // the client went away: nothing to do
}

// awaitRelease makes the first call of a held action wait until it is
// released (Hold).
func (s *Server) awaitRelease(action string) {
	s.mu.Lock()
	i := slices.IndexFunc(s.holds, func(h hold) bool { return h.action == action })
	var held hold
	if i >= 0 {
		held = s.holds[i]
		s.holds = slices.Delete(s.holds, i, i+1)
	}
	s.mu.Unlock()
	if i >= 0 {
		close(held.arrived)
		<-held.release
	}
}

// admitCall names a call, authenticates it and, if it passes, takes the
// fault that applies to it.
func (s *Server) admitCall(method string, params url.Values, call *Call) (requestID string, f *Fault, apiErr *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	requestID = s.w.requestID(params)
	if apiErr = s.authenticate(method, params, call); apiErr == nil {
		f = s.takeFault(call.Action, params)
	}
	return requestID, f, apiErr
}

// answer runs an admitted call (refused with apiErr, if not nil) as the
// fault f, if any, has it answer, records it, and returns the body to
// answer; then the simulated events it scheduled are delivered.
func (s *Server) answer(params url.Values, call *Call, requestID string, f *Fault, apiErr *apiError) any {
	s.mu.Lock()
	var result map[string]any
	if apiErr == nil {
		result, apiErr = s.run(params, call, f)
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
	s.calls = append(s.calls, *call)
	deliver := s.takeUndelivered()
	s.mu.Unlock()
	deliver()
	return body
}

// run is what an authenticated call answers: the fault's error or answer,
// when f sets one, or else its action's. s.mu is held.
func (s *Server) run(params url.Values, call *Call, f *Fault) (map[string]any, *apiError) {
	switch {
	case f != nil && f.Status != 0:
		return nil, &apiError{status: f.Status, code: f.Code, message: f.Message}
	case f != nil && f.Answer != nil:
		return maps.Clone(f.Answer), nil
	}
	return s.serveAction(params, call.Action, call.Version)
}

// takeUndelivered takes the simulated events not yet delivered, and
// returns what delivers them, once s.mu is released. s.mu is held.
func (s *Server) takeUndelivered() (deliver func()) {
	events, hook := s.undelivered, s.onSimulated
	s.undelivered = nil
	return func() {
		if hook == nil {
			return
		}
		for _, ev := range events {
			go hook(ev) // EventBridge delivers after ECS has answered
		}
	}
}

// actionFunc serves one action of an API. s.mu is held.
type actionFunc func(s *Server, params url.Values) (map[string]any, *apiError)

// onWorld is an actionFunc that only the world's state answers.
func onWorld(serve func(w *world, params url.Values) (map[string]any, *apiError)) actionFunc {
	return func(s *Server, params url.Values) (map[string]any, *apiError) { return serve(s.w, params) }
}

// essActions are the actions of Auto Scaling's API.
var essActions = map[string]actionFunc{
	"EnterStandby":              enterStandby.serve,
	"ExitStandby":               exitStandby.serve,
	"DescribeScalingInstances":  onWorld((*world).describeInstances),
	"DescribeScalingActivities": onWorld((*world).describeActivities),
	"DescribeScalingGroups":     onWorld((*world).describeGroups),
}

// apis are the actions of each API the emulator serves, by its version.
var apis = map[string]map[string]actionFunc{essVersion: essActions, ecsVersion: ecsActions, eciVersion: eciActions}

// serveAction runs an authenticated request's action, under the API its
// version names (authenticate checked that it serves the action); one that
// no API has is answered as Auto Scaling answers an action it does not
// know. s.mu is held.
func (s *Server) serveAction(params url.Values, action, apiVersion string) (map[string]any, *apiError) {
	if serve, ok := apis[apiVersion][action]; ok {
		return serve(s, params)
	}
	return nil, errorf(404, "InvalidApi.NotFound", "Specified api is not found, please check your url and method.")
}
