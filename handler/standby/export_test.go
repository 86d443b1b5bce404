package standby

import (
	"context"
	"time"

	"ess-standby/handler/standby/internal/batch"
)

// WithoutBackoff makes the service retry and poll at once: the tests decide
// what Auto Scaling answers, and need not wait for it.
func (s *Service) WithoutBackoff() *Service {
	s.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	return s
}

// MergeWhen holds the state reads of each region until n requests wait for
// them, however long that takes: the tests decide what arrives together.
func (s *Service) MergeWhen(n int) *Service {
	s.reads = batch.New(time.Hour, s.readStates, batch.WithFull(func(waiting int) bool { return waiting >= n }))
	return s
}

// Token is the ClientToken a call derives.
var Token = token

// Saw notes, as another request's read would, that instances read as found.
func (s *Service) Saw(found ...ScalingInstance) {
	m := map[string]ScalingInstance{}
	for _, in := range found {
		m[in.InstanceID] = in
	}
	s.moved.saw(m)
}
