// Package standard registers the transports that ship with Switchboard,
// WebSocket (transports/ws) and Server-Sent Events (transports/sse). Import
// it for its side effects, as cmd/switchboard does:
//
//	import _ "github.com/switchboard-rt/switchboard/transports/standard"
package standard

import (
	_ "github.com/switchboard-rt/switchboard/transports/sse" // transport "sse"
	_ "github.com/switchboard-rt/switchboard/transports/ws"  // transport "ws"
)
