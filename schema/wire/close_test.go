package wire_test

import (
	"testing"

	"github.com/switchboard-rt/switchboard/schema/wire"
)

// A client reconnects after every close but a normal one and its own bugs.
func TestReasonRetry(t *testing.T) {
	for _, c := range []struct {
		r     wire.Reason
		retry bool
	}{
		{wire.ReasonNormal, false},
		{wire.ReasonProtocol, false},
		{wire.ReasonUTF8, false},
		{wire.ReasonTooBig, false},
		{wire.ReasonShutdown, true},
		{wire.ReasonIdle, true},
		{wire.ReasonSlow, true},
		{wire.ReasonAbusive, true},
		{wire.ReasonInternal, true},
		{wire.ReasonTokenExpired, true},
		{wire.ReasonWriteErr, true},
	} {
		if got := c.r.Retry(); got != c.retry {
			t.Errorf("%d %s: Retry() = %v, want %v", c.r.Code, c.r.Text, got, c.retry)
		}
	}
}
