package handler

import (
	"context"

	"ess-standby/handler/standby"
)

// SetLocate puts locate in the place of the core's address lookup
// (standby.Service.Locate), so that a test decides what each address
// holds.
func (h *Handler) SetLocate(locate func(ctx context.Context, inv standby.Invocation, region string, ips []string) (map[string]string, map[string]error)) {
	h.locate = locate
}
