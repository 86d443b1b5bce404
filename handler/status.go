package handler

import (
	"net/http"

	"ess-standby/handler/standby"
)

// statusByKind is the one table from kinds of failure to the HTTP status
// that answers them.
var statusByKind = map[standby.Kind]int{
	standby.Internal:     http.StatusInternalServerError,
	standby.Invalid:      http.StatusBadRequest,
	standby.Unauthorized: http.StatusUnauthorized,
	standby.Forbidden:    http.StatusForbidden,
	standby.NotFound:     http.StatusNotFound,
	standby.Conflict:     http.StatusConflict,
	standby.Throttled:    http.StatusTooManyRequests,
	standby.Unavailable:  http.StatusBadGateway,
	standby.Timeout:      http.StatusGatewayTimeout,
}
