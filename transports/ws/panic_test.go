package ws_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/switchboard-rt/switchboard/schema/wire"
	"github.com/switchboard-rt/switchboard/test/testnode"
	"github.com/switchboard-rt/switchboard/transports/ws"
)

// A panic while handling one connection's frames closes that connection
// with 1011 internal_error and is counted; the node and its other
// connections carry on (issue 7 finding 8).
func TestPanicInConnectionClosesOnlyIt(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	ws.SetReadHook(t, func(user string) {
		if user == "boom" {
			panic("injected panic while reading")
		}
	})
	good := n.DialWS(n.Token("u1"))
	good.Join("user:u1")
	bad := n.DialWS(n.Token("boom"))
	bad.Send(`{"op":"join","room":"user:boom","ref":"1"}`)
	if code, reason := bad.WaitClosed(); code != wire.ReasonInternal.Code || reason != wire.ReasonInternal.Text {
		t.Fatalf("panicking connection closed with %d %q, want %d %q", code, reason, wire.ReasonInternal.Code, wire.ReasonInternal.Text)
	}
	n.PublishOK("demo.after", map[string]int{"n": 1}, "user:u1")
	if ev := good.NextEvent().CloudEvent(t); ev["type"] != "demo.after" {
		t.Fatalf("other connection got %v, want demo.after", ev)
	}
	if got := testutil.ToFloat64(n.Server.Metrics().Panics.WithLabelValues("ws_conn")); got != 1 {
		t.Errorf("switchboard_panics_total{where=ws_conn} = %v, want 1", got)
	}
}
