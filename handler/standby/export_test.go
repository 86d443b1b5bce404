package standby

import (
	"context"
	"time"
)

// WithoutBackoff makes the service retry and poll at once: the tests decide
// what Auto Scaling answers, and need not wait for it.
func (s *Service) WithoutBackoff() *Service {
	s.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	return s
}
