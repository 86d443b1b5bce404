package standby

import "errors"

// Kind classifies a failure by what the caller can do about it; the
// handler maps each to its answer's status. The zero value is Internal, so
// an unclassified failure fails safe.
type Kind int

const (
	Internal     Kind = iota // our fault or unknown
	Invalid                  // bad input
	Unauthorized             // caller not authenticated
	Forbidden                // RAM or a guard says no
	NotFound                 // group or instance does not exist
	Conflict                 // group busy, instance in the wrong state
	Throttled                // Auto Scaling throttled us
	Unavailable              // Auto Scaling failed or unreachable
	Timeout                  // out of time
)

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
