package standbytest_test

import (
	"testing"

	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
)

// The fake the core's tests use keeps the contract the SDK client keeps.
func TestFakeConforms(t *testing.T) {
	standbytest.Conformance(t, func(t *testing.T, groups map[string]map[string]string) standbytest.Subject {
		f := standbytest.NewFake(standbytest.Region, groups)
		return standbytest.Subject{
			Cloud:      f.Cloud(),
			Session:    standby.Session{Region: standbytest.Region},
			Fail:       func(method string, n int, err *standby.Error) { f.Fail(method, n, err) },
			State:      f.State,
			Tags:       f.Tags,
			SetTags:    f.SetTags,
			SetStatus:  f.SetStatus,
			SetVPC:     f.SetVPC,
			SetAddress: f.SetAddress,
		}
	})
}
