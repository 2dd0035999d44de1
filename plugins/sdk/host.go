package sdk

import (
	"context"
	"log/slog"

	"github.com/uptrace/bun"
)

// Host is the plugin's view of the core, handed to the factory given to
// Serve.
type Host interface {
	// Name is the plugin's name in the config file.
	Name() string
	// Logger writes to the core's log, tagged with the plugin's name.
	Logger() *slog.Logger
	// DataDir is a directory the plugin owns.
	DataDir() string
	// DB opens (once) the plugin's database: SQLite in DataDir unless the
	// config gives a PostgreSQL DSN. It holds the plugin's outbox table,
	// and the relay that streams the outbox to the core starts with it.
	DB(ctx context.Context) (*bun.DB, error)
	// Tx runs fn in a transaction of DB. Events passed to emit are written
	// to the outbox in the same transaction: they are delivered if and only
	// if the transaction commits, in order, exactly once. When emit was
	// given a RevokeAccess item, Tx returns only once the revocation is
	// applied on every node (an answer sent after it cannot leak an event
	// to the revoked connections); if that takes longer than ctx allows, it
	// returns a 503 *Error saying the change is saved and the revocation on
	// its way.
	Tx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx, emit func(...*Event)) error) error
	// Emit delivers events outside any transaction: through the outbox
	// when DB is open, else straight to the core (waiting for the ack).
	Emit(ctx context.Context, events ...*Event) error
	// Authorize asks the owner of room (another plugin or the core)
	// whether p may join it. nil means yes; an *Error says why not.
	Authorize(ctx context.Context, p Principal, room string) error
	// Revoke makes connections leave rooms (membership ended) and returns
	// once they have, on every node (see Tx).
	Revoke(ctx context.Context, r Revocation) error
}

// Revocation says whose connections leave which rooms.
type Revocation struct {
	// User whose connections leave; "" means everyone's.
	User string
	// Rooms to leave.
	Rooms []string
	// RecheckKinds: rooms of these kinds are authorized again and left if
	// no longer allowed (e.g. "task" when a project membership ends).
	RecheckKinds []string
	// Reason is shown to the clients.
	Reason string
}
