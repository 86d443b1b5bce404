package handler

import (
	"context"
	"log/slog"

	"ess-standby/handler/standby"
)

// sweep runs the timer's sweep of the leases, and logs a line for each
// instance someone must hear of: a lease over (ERROR, so that the alert
// fires), an exit refused or failed (ERROR), an instance parked by this
// function whose tags are still owed, or whose tags say a lease no setting
// makes (ERROR), an instance parked by someone else (WARN). The
// invocation's own line counts them.
func (h *Handler) sweep(ctx context.Context, inv standby.Invocation, req standby.Request) (report, standby.Stats, error) {
	swept, st, err := h.svc.Sweep(ctx, inv, req)
	for _, l := range swept.Instances {
		level, msg := slog.LevelError, "lease ended"
		switch l.Result {
		case standby.Leased, standby.Returned:
			continue
		case standby.NotParked:
			level, msg = slog.LevelWarn, "in Standby, not parked by this function"
		case standby.Untagged:
			msg = "parked by this function, its tags not written"
		case standby.LeaseInvalid:
			msg = "in Standby, its tags' lease cannot be trusted"
		case standby.LeaseEnded:
		default:
			msg = "lease ended, not taken back"
		}
		h.log.LogAttrs(ctx, level, msg, slog.String("request_id", inv.RequestID), slog.String("instance", l.InstanceID),
			slog.String("group", l.ScalingGroupID), slog.String("until", l.Until), slog.String("result", l.Result),
			slog.String("source", l.Tags[standby.TagSource]), slog.String("rule", l.Tags[standby.TagRule]),
			slog.String("event", l.Tags[standby.TagEvent]), slog.String("reason", l.Reason))
	}
	return report{Sweep: &swept}, st, err
}
