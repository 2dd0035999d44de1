package hub

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// A revocation that lands between a join's authorization and its
// membership (here: while the authorizer answers yes) must not leave the
// client in the room: the join is authorized again, refused, and adds
// nothing (issue 7 finding 1, the join race).
func TestJoinRacingARevocationEndsOutsideTheRoom(t *testing.T) {
	b := newMemBroker()
	kinds := NewAuthorizer()
	h := New(Options{Broker: b, Authorizer: kinds})
	f := h.RegisterFormat("test", testFormat)
	r := mustRoom(t, "project:p1")
	var member atomic.Bool
	member.Store(true)
	var calls atomic.Int32
	kinds.Set("project", AuthorizerFunc(func(ctx context.Context, p *auth.Principal, rr room.Room) error {
		calls.Add(1)
		if !member.Load() {
			return wire.Errorf(wire.Forbidden, "not a member of project %s", rr.ID)
		}
		// The membership ends right after this yes, and the plugin's
		// revocation reaches the hub before the join adds the member.
		member.Store(false)
		h.Revoke(ctx, Revocation{User: p.User, Rooms: []room.Room{r}, Reason: "removed from project"})
		return nil
	}))
	s := newSink()
	c := h.NewClient(&auth.Principal{User: "u2"}, f, s, 1<<20)
	err := c.Enter(context.Background(), []room.Room{r}, JoinOptions{})
	if wire.As(err).Code != wire.Forbidden {
		t.Fatalf("join racing the revocation: %v, want forbidden", err)
	}
	if n := c.RoomCount(); n != 0 {
		t.Fatalf("client in %d rooms after a join that raced its revocation, want 0", n)
	}
	if calls.Load() != 2 {
		t.Fatalf("authorized %d times, want 2 (again after the revocation)", calls.Load())
	}
	b.store(r, "pm.task.updated", []byte(`{}`))
	if got := s.frames.Load(); got != 0 {
		t.Fatalf("%d frames reached the revoked client, want 0", got)
	}
}
