package handler

import (
	"testing"

	"ess-standby/handler/standby"
)

// Every kind of failure has its status, and no two share one.
func TestEveryKindHasItsStatus(t *testing.T) {
	want := map[standby.Kind]int{standby.Internal: 500, standby.Invalid: 400, standby.Unauthorized: 401, standby.Forbidden: 403,
		standby.NotFound: 404, standby.Conflict: 409, standby.Throttled: 429, standby.Unavailable: 502, standby.Timeout: 504}
	for kind := standby.Internal; kind <= standby.Timeout; kind++ {
		if statusByKind[kind] != want[kind] {
			t.Errorf("kind %d answers %d, want %d", kind, statusByKind[kind], want[kind])
		}
	}
	if len(statusByKind) != len(want) {
		t.Errorf("%d kinds have a status, want %d", len(statusByKind), len(want))
	}
}
