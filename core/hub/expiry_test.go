package hub

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/schema/wire"
	"github.com/switchboard-rt/switchboard/test/poll"
)

// errFormat is testFormat that also frames errors, as the transports do.
type errFormat struct{}

func (errFormat) Encode(ev *Event) []byte          { return testFormat(ev) }
func (errFormat) EncodeError(e *wire.Error) []byte { return []byte("error|" + string(e.Code)) }

func newExpiryHub(t *testing.T, grace time.Duration) (*Hub, *memBroker, Format) {
	t.Helper()
	b := newMemBroker()
	h := New(Options{Broker: b, ExpiryGrace: grace})
	return h, b, h.RegisterFormat("test", errFormat{})
}

// waitDisconnect waits for the sink's Disconnect.
func waitDisconnect(t *testing.T, s *sink, within time.Duration) wire.Reason {
	t.Helper()
	select {
	case r := <-s.reason:
		return r
	case <-time.After(within):
		t.Fatalf("client not disconnected within %s", within)
		return wire.Reason{}
	}
}

func (s *sink) all() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [][]byte
	for _, f := range s.flushes {
		out = append(out, f...)
	}
	return out
}

func TestExpiredTokenEndsTheClient(t *testing.T) {
	h, b, f := newExpiryHub(t, 0)
	s := newSink()
	exp := time.Now().Add(200 * time.Millisecond)
	c := h.NewClient(&auth.Principal{User: "u1", Expires: exp}, f, s, 1<<20)
	r := mustRoom(t, "user:u1")
	if err := c.Enter(context.Background(), []room.Room{r}, JoinOptions{}); err != nil {
		t.Fatalf("Enter before expiry = %v", err)
	}
	if got := waitDisconnect(t, s, 5*time.Second); got != wire.ReasonTokenExpired {
		t.Fatalf("disconnect reason = %+v, want %+v", got, wire.ReasonTokenExpired)
	}
	if time.Now().Before(exp) {
		t.Fatalf("disconnected before exp")
	}
	frames := s.all()
	if len(frames) == 0 || string(frames[len(frames)-1]) != "error|token_expired" {
		t.Fatalf("last frame = %q, want the token_expired error", frames)
	}
	if n := c.RoomCount(); n != 0 {
		t.Fatalf("in %d rooms after expiry", n)
	}
	b.store(r, "x", []byte("after"))
	for _, fr := range s.all() {
		if bytes.Contains(fr, []byte("after")) {
			t.Fatalf("event published after expiry delivered: %q", fr)
		}
	}
}

// Enter refuses an expired token itself, whether or not the timer fired.
func TestEnterRefusedAfterExpiry(t *testing.T) {
	h, _, f := newExpiryHub(t, 0)
	c := h.NewClient(&auth.Principal{User: "u1", Expires: time.Now().Add(-time.Second)}, f, newSink(), 1<<20)
	err := c.Enter(context.Background(), []room.Room{mustRoom(t, "user:u1")}, JoinOptions{})
	if e := wire.As(err); e.Code != wire.TokenExpired || e.Code.Status() != 401 {
		t.Fatalf("Enter with an expired token = %v, want token_expired (401)", err)
	}
}

func TestExpiryGrace(t *testing.T) {
	h, _, f := newExpiryHub(t, 300*time.Millisecond)
	s := newSink()
	exp := time.Now().Add(-50 * time.Millisecond)
	c := h.NewClient(&auth.Principal{User: "u1", Expires: exp}, f, s, 1<<20)
	if err := c.Enter(context.Background(), []room.Room{mustRoom(t, "user:u1")}, JoinOptions{}); err != nil {
		t.Fatalf("Enter within the grace = %v", err)
	}
	if got := waitDisconnect(t, s, 5*time.Second); got != wire.ReasonTokenExpired {
		t.Fatalf("disconnect reason = %+v, want token_expired", got)
	}
	if d := time.Since(exp); d < 300*time.Millisecond {
		t.Fatalf("ended %s after exp, before the 300ms grace", d)
	}
}

func TestRefresh(t *testing.T) {
	h, b, f := newExpiryHub(t, 0)
	s := newSink()
	first := time.Now().Add(300 * time.Millisecond)
	c := h.NewClient(&auth.Principal{User: "u1", Workspaces: []string{"w1", "w2"}, Expires: first}, f, s, 1<<20)
	ctx := context.Background()
	w1, w2 := mustRoom(t, "workspace:w1"), mustRoom(t, "workspace:w2")
	if err := c.Enter(ctx, []room.Room{w1, w2}, JoinOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Refresh(ctx, &auth.Principal{User: "u2", Workspaces: []string{"w1", "w2"}, Expires: time.Now().Add(time.Hour)}); wire.As(err).Code != wire.Forbidden {
		t.Fatalf("Refresh with another user's token = %v, want forbidden", err)
	}
	if c.Principal().User != "u1" || c.RoomCount() != 2 {
		t.Fatalf("a refused refresh changed the client: %v, %d rooms", c.Principal(), c.RoomCount())
	}
	if err := c.Refresh(ctx, &auth.Principal{User: "u1", Workspaces: []string{"w1"}, Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatalf("Refresh = %v", err)
	}
	// w2 was left before Refresh returned, with access.revoked.
	if n := c.RoomCount(); n != 1 {
		t.Fatalf("in %d rooms after a refresh without w2, want 1", n)
	}
	poll.Until(t, "access.revoked for workspace:w2", func() bool {
		for _, fr := range s.all() {
			if bytes.HasPrefix(fr, []byte("workspace:w2|0|")) && bytes.Contains(fr, []byte(TypeAccessRevoked)) {
				return true
			}
		}
		return false
	})
	// The first token's expiry passes; the client stays and receives.
	time.Sleep(time.Until(first) + 100*time.Millisecond)
	b.store(w1, "x", []byte("later"))
	b.store(w2, "x", []byte("leak"))
	poll.Until(t, "the w1 event after the first exp", func() bool {
		for _, fr := range s.all() {
			if bytes.Contains(fr, []byte("later")) {
				return true
			}
		}
		return false
	})
	for _, fr := range s.all() {
		if bytes.Contains(fr, []byte("leak")) {
			t.Fatalf("event of a revoked room delivered: %q", fr)
		}
	}
	select {
	case r := <-s.reason:
		t.Fatalf("refreshed client disconnected: %+v", r)
	default:
	}
}

// An expired client cannot refresh: it reconnects with a fresh token.
func TestRefreshAfterExpiryRefused(t *testing.T) {
	h, _, f := newExpiryHub(t, 0)
	c := h.NewClient(&auth.Principal{User: "u1", Expires: time.Now().Add(-time.Second)}, f, newSink(), 1<<20)
	err := c.Refresh(context.Background(), &auth.Principal{User: "u1", Expires: time.Now().Add(time.Hour)})
	if wire.As(err).Code != wire.TokenExpired {
		t.Fatalf("Refresh after expiry = %v, want token_expired", err)
	}
}

// The clients share one expiry timer: each ends at its own deadline, a
// refreshed one at its new deadline, and a client that disconnected first
// leaves nothing queued.
func TestExpiryQueue(t *testing.T) {
	h, _, f := newExpiryHub(t, 0)
	start := time.Now()
	const n = 20
	sinks := make([]*sink, n)
	clients := make([]*Client, n)
	for i := n - 1; i >= 0; i-- { // queued latest first: the heap orders them
		sinks[i] = newSink()
		clients[i] = h.NewClient(&auth.Principal{User: "u1", Expires: start.Add(time.Duration(100+20*i) * time.Millisecond)}, f, sinks[i], 1<<20)
	}
	late := newSink()
	refreshed := h.NewClient(&auth.Principal{User: "u2", Expires: start.Add(100 * time.Millisecond)}, f, late, 1<<20)
	if err := refreshed.Refresh(context.Background(), &auth.Principal{User: "u2", Expires: start.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	gone := h.NewClient(&auth.Principal{User: "u3", Expires: start.Add(time.Hour)}, f, newSink(), 1<<20)
	gone.Close(wire.ReasonNormal)
	for i, s := range sinks {
		if got := waitDisconnect(t, s, 5*time.Second); got != wire.ReasonTokenExpired {
			t.Fatalf("client %d: disconnect reason %+v, want token expired", i, got)
		}
		if at := start.Add(time.Duration(100+20*i) * time.Millisecond); time.Now().Before(at) {
			t.Fatalf("client %d ended before its deadline %v", i, at)
		}
	}
	select {
	case r := <-late.reason:
		t.Fatalf("the refreshed client ended at its first deadline: %+v", r)
	default:
	}
	poll.Until(t, "the closed client to leave the queue", func() bool {
		h.expiries.mu.Lock()
		defer h.expiries.mu.Unlock()
		return len(h.expiries.items) == 1 && h.expiries.items[0].c == refreshed
	})
}
