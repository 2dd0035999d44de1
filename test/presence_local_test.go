package test

import (
	"slices"
	"testing"

	"github.com/switchboard-rt/switchboard/test/poll"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

// A node alone (embedded NATS without routes or client port) whose plugins
// do not subscribe to presence keeps presence in the hub's own counts; the
// clients see the same events and listing as with the cluster-wide state.
// A plugin subscribing to presence, or a NATS port other nodes may use,
// keeps the cluster-wide state, and the plugin is told.
func TestPresenceOnALoneNode(t *testing.T) {
	t.Run("in memory", func(t *testing.T) {
		n := testnode.Start(t, testnode.Config(t))
		if n.Server.PresenceClusterWide() {
			t.Fatal("a node alone without presence subscribers keeps cluster-wide presence state")
		}
		checkPresence(t, n)
	})
	t.Run("a plugin listens", func(t *testing.T) {
		n := pluginNode(t, `hub {
  presence_debounce = "100ms"
}`)
		if !n.Server.PresenceClusterWide() {
			t.Fatal("the test plugin subscribes to presence, yet presence is in memory only")
		}
		checkPresence(t, n)
		tok := n.Token("u1", "w1")
		poll.Until(t, "the plugin to be told u2 came and left", func() bool {
			return slices.Equal(told(t, tok, n), []string{"presence.join u1 workspace:w1", "presence.join u2 workspace:w1", "presence.leave u2 workspace:w1"})
		})
	})
	t.Run("a NATS port", func(t *testing.T) {
		cfg := testnode.Config(t)
		cfg.NATS.Listen = "127.0.0.1:-1"
		n := testnode.Start(t, cfg)
		if !n.Server.PresenceClusterWide() {
			t.Fatal("a node other nodes may connect to keeps presence in memory only")
		}
		checkPresence(t, n)
	})
}

// checkPresence: u1 joins workspace:w1, u2 joins twice and leaves twice;
// u1 sees one join and one leave of u2, and the listing follows.
func checkPresence(t *testing.T, n *testnode.Node) {
	t.Helper()
	const r = "workspace:w1"
	tok := n.Token("u1", "w1")
	a := n.DialWS(tok)
	a.Join(r)
	if got := presenceSeen(t, a, r, 1); !slices.Equal(got, []string{"presence.join u1"}) {
		t.Fatalf("u1 saw %q, want its own join", got)
	}
	b1, b2 := n.DialWS(n.Token("u2", "w1")), n.DialWS(n.Token("u2", "w1"))
	b1.Join(r)
	b2.Join(r)
	if got := presenceSeen(t, a, r, 1); !slices.Equal(got, []string{"presence.join u2"}) {
		t.Fatalf("u1 saw %q, want u2's join", got)
	}
	poll.Until(t, "the listing to show u1 and u2", func() bool { return slices.Equal(listed(t, n, tok, r), []string{"u1", "u2"}) })
	b1.Conn.Close()
	b2.Conn.Close()
	if got := presenceSeen(t, a, r, 1); !slices.Equal(got, []string{"presence.leave u2"}) {
		t.Fatalf("u1 saw %q, want u2's leave, once", got)
	}
	poll.Until(t, "the listing to show u1 alone", func() bool { return slices.Equal(listed(t, n, tok, r), []string{"u1"}) })
}
