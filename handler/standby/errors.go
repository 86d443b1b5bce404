package standby

import (
	"errors"
	"net/http"
)

// Kind classifies a failure by what the caller can do about it. The zero
// value is Internal, so an unclassified failure fails safe.
type Kind int

const (
	Internal     Kind = iota // our fault or unknown: 500
	Invalid                  // bad input: 400
	Unauthorized             // caller not authenticated: 401
	Forbidden                // RAM or a guard says no: 403
	NotFound                 // group or instance does not exist: 404
	Conflict                 // group busy, instance in the wrong state: 409
	Throttled                // Auto Scaling throttled us: 429
	Unavailable              // Auto Scaling failed or unreachable: 502
	Timeout                  // out of time: 504
)

// statusByKind is the one table from kinds to HTTP statuses.
var statusByKind = map[Kind]int{
	Internal:     http.StatusInternalServerError,
	Invalid:      http.StatusBadRequest,
	Unauthorized: http.StatusUnauthorized,
	Forbidden:    http.StatusForbidden,
	NotFound:     http.StatusNotFound,
	Conflict:     http.StatusConflict,
	Throttled:    http.StatusTooManyRequests,
	Unavailable:  http.StatusBadGateway,
	Timeout:      http.StatusGatewayTimeout,
}

// Status is the HTTP status that answers a failure of this kind.
func (k Kind) Status() int { return statusByKind[k] }

// Error is the only error type that crosses the handler boundary. Code and
// Message are safe to show to callers; Cause is for the operator's log only
// and must itself never carry a credential.
type Error struct {
	Kind    Kind
	Code    string // an ESS error code passed through, or one of ours
	Message string // safe for callers
	Cause   error  // internal; logged, never returned
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }
func (e *Error) Unwrap() error { return e.Cause }

// AsError returns err as an *Error, classifying anything else as internal
// with a message that reveals nothing.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: Internal, Code: "InternalError", Message: "internal error", Cause: err}
}
