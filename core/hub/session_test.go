package hub

import (
	"context"
	"testing"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

func TestParseRooms(t *testing.T) {
	rs, err := ParseRooms([]string{"user:u1", "workspace:w1", "user:u1"})
	if err != nil || len(rs) != 2 || rs[0].String() != "user:u1" || rs[1].String() != "workspace:w1" {
		t.Errorf("ParseRooms = %v, %v; want user:u1, workspace:w1 (repeat dropped)", rs, err)
	}
	for _, names := range [][]string{nil, {"user:u1", "nokind"}, {"user:a b"}} {
		if _, err := ParseRooms(names); wire.As(err).Code != wire.BadRequest {
			t.Errorf("ParseRooms(%q) = %v, want bad_request", names, err)
		}
	}
}

func TestEnterAuthorizesEveryRoomFirst(t *testing.T) {
	h, _, f := newTestHub(t)
	c := h.NewClient(&auth.Principal{User: "u1", Workspaces: []string{"w1"}}, f, newSink(), 1<<20)
	ctx := context.Background()
	rooms, _ := ParseRooms([]string{"workspace:w1", "workspace:w2"})
	if err := c.Enter(ctx, rooms, JoinOptions{}); wire.As(err).Code != wire.Forbidden {
		t.Fatalf("Enter with a forbidden room = %v, want forbidden", err)
	}
	if n := c.RoomCount(); n != 0 {
		t.Fatalf("in %d rooms after a refused Enter, want 0", n)
	}
	acked := false
	if err := c.Enter(ctx, rooms[:1], JoinOptions{MaxRooms: 1, Ack: func(JoinAck) { acked = true }}); err != nil || !acked {
		t.Fatalf("Enter = %v, acked %v", err, acked)
	}
	user, _ := ParseRooms([]string{"user:u1"})
	if err := c.Enter(ctx, user, JoinOptions{MaxRooms: 1}); wire.As(err).Code != wire.TooManyRooms {
		t.Errorf("Enter past MaxRooms = %v, want too_many_rooms", err)
	}
	if err := c.LeaveRoom("workspace:w1"); err != nil {
		t.Errorf("LeaveRoom = %v", err)
	}
	if err := c.LeaveRoom("workspace:w1"); wire.As(err).Code != wire.NotFound {
		t.Errorf("LeaveRoom twice = %v, want not_found", err)
	}
	if err := c.LeaveRoom("bad"); wire.As(err).Code != wire.BadRequest {
		t.Errorf("LeaveRoom(bad) = %v, want bad_request", err)
	}
}
