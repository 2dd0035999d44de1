package hub

import (
	"context"
	"sync"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// Authorizer decides whether a principal may join a room. It returns nil,
// or an *wire.Error (forbidden, not_found, …) that is shown to the client.
type Authorizer interface {
	Authorize(ctx context.Context, p *auth.Principal, r room.Room) error
}

// AuthorizerFunc adapts a function to Authorizer.
type AuthorizerFunc func(ctx context.Context, p *auth.Principal, r room.Room) error

// Authorize calls f.
func (f AuthorizerFunc) Authorize(ctx context.Context, p *auth.Principal, r room.Room) error {
	return f(ctx, p, r)
}

// Kinds is the Authorizer that dispatches on the room kind. The built-in
// kinds are user: (only that user) and workspace: (users whose token lists
// the workspace). project: and task: are known kinds whose owner is a
// plugin: until one registers, joining them is forbidden. Unknown kinds are
// bad requests.
type Kinds struct {
	mu    sync.RWMutex
	kinds map[string]Authorizer
}

var _ Authorizer = (*Kinds)(nil)

// NewAuthorizer returns a Kinds with the built-in kinds.
func NewAuthorizer() *Kinds {
	k := &Kinds{kinds: map[string]Authorizer{}}
	k.Set("user", AuthorizerFunc(func(_ context.Context, p *auth.Principal, r room.Room) error {
		if p.User != r.ID {
			return wire.Errorf(wire.Forbidden, "room %s belongs to another user", r)
		}
		return nil
	}))
	k.Set("workspace", AuthorizerFunc(func(_ context.Context, p *auth.Principal, r room.Room) error {
		if !p.InWorkspace(r.ID) {
			return wire.Errorf(wire.Forbidden, "not a member of workspace %s", r.ID)
		}
		return nil
	}))
	deny := AuthorizerFunc(func(_ context.Context, _ *auth.Principal, r room.Room) error {
		return wire.Errorf(wire.Forbidden, "no plugin owns %s rooms", r.Kind)
	})
	k.Set("project", deny)
	k.Set("task", deny)
	return k
}

// Set makes a the authorizer for rooms of kind (replacing any other).
func (k *Kinds) Set(kind string, a Authorizer) {
	k.mu.Lock()
	k.kinds[kind] = a
	k.mu.Unlock()
}

// Known reports whether kind has an authorizer: a built-in kind or one a
// plugin owns.
func (k *Kinds) Known(kind string) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.kinds[kind] != nil
}

// Authorize dispatches on r.Kind.
func (k *Kinds) Authorize(ctx context.Context, p *auth.Principal, r room.Room) error {
	k.mu.RLock()
	a := k.kinds[r.Kind]
	k.mu.RUnlock()
	if a == nil {
		return wire.Errorf(wire.BadRequest, "unknown room kind %q", r.Kind)
	}
	return a.Authorize(ctx, p, r)
}
