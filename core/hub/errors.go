package hub

import "github.com/switchboard-rt/switchboard/schema/wire"

// Sentinels for the hub's own refusals.
var (
	ErrClosed    = &wire.Error{Code: wire.BadRequest, Message: "connection closed"}
	ErrNotJoined = &wire.Error{Code: wire.NotFound, Message: "not in room"}
)
