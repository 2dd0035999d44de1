// Package core wires a Switchboard node: config → bus (embedded NATS and
// JetStream) → hub → transports → HTTP API.
//
// The path of one event:
//
//	POST /v1/publish (or a plugin, later)        core/internal/api
//	  → stamp the CloudEvent envelope              core/event
//	  → store one message per room in JetStream    core/internal/bus
//	    (subject room.<kind>.<id>, Nats-Msg-Id dedup, seq assigned)
//	  → JetStream republishes it with its seq on live.room.<kind>.<id>
//	  → the node's subscription for that room      core/hub
//	  → encoded once per wire format, queued to each member
//	  → each connection's writer: one writev       transports/ws, transports/sse
package core
