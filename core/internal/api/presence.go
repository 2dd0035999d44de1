package api

import (
	"context"
	"net/http"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/internal/presence"
	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/core/web"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// Presence answers GET /v1/rooms/{room}/presence.
type Presence struct {
	// Authorize decides like a join (hub.Hub.Authorize).
	Authorize func(ctx context.Context, p *auth.Principal, r room.Room) error
	// Users lists the users present in the room, cluster-wide, with their
	// display claims.
	Users func(r room.Room) []presence.User
}

// presence lists the users present in a room anywhere in the cluster
// (docs/PROTOCOL.md §8), to a client who may join it.
func (a *API) presence(w http.ResponseWriter, r *http.Request) {
	p, err := a.o.Auth.FromRequest(r)
	if err != nil {
		web.RefuseBeforeBody(w, wire.NewError(wire.Unauthorized, err.Error()))
		return
	}
	rm, err := room.Parse(r.PathValue("room"))
	if err != nil {
		wire.Write(w, wire.NewError(wire.BadRequest, err.Error()))
		return
	}
	if err := a.o.Presence.Authorize(r.Context(), p, rm); err != nil {
		wire.Write(w, wire.As(err))
		return
	}
	users := a.o.Presence.Users(rm)
	if users == nil {
		users = []presence.User{} // [], not null
	}
	writeJSON(w, http.StatusOK, map[string]any{"room": rm.String(), "users": users})
}
