// Package hub routes live events from rooms to the client connections of
// this node.
//
// A node holds one live NATS subscription per room that has local members
// (ref-counted; dropped when the last member leaves). The broker delivers
// every room's events on one goroutine, in the order the node received
// them, so a client in several rooms sees sequences only grow. Each event is
// encoded once per wire format (see RegisterFormat) and the same bytes are
// queued to every member. Each Client has a queue bounded in bytes and at
// most one writer goroutine, started when frames are queued and gone when
// the queue is empty, which hands every queued frame to its Sink in one
// call (one writev). When a client is idle and its Sink is a DirectWriter,
// the dispatcher writes the frame itself without blocking, for a bounded
// number of members per event and only while no live messages wait behind
// it; what the socket does not take goes to the queue. A client whose
// queue overflows is cut off with wire.ReasonSlow; it never delays the other
// members of a room.
//
// Transports (transports/ws, transports/sse; see core/transport) implement
// Sink and create Clients with Hub.NewClient. The session protocol is here,
// once for every transport (session.go): ParseRoom(s) checks room syntax,
// Client.Enter authorizes and joins (since, the join acknowledgement,
// presence, max rooms) and Client.LeaveRoom leaves, each failing with the
// *wire.Error the client is shown; a transport only frames them. With
// hub.auto_join, Client.AutoJoin joins the rooms of the token on connect
// (Hub.AutoRooms, the autojoin parameter by AutoJoinParam), and Enter
// answers an explicit join of one of them without joining it again
// (autojoin.go).
//
// # Joining with since
//
// Join adds the member in a recovering state, in which live events are
// buffered on the member, then replays history from since, then delivers
// the buffered live events whose sequence is past the last replayed one
// and switches the member to live delivery. Because the live subscription
// exists before the replay starts, no event falls between the two; because
// sequences are compared, none is delivered twice.
//
// # Lock order
//
//	shard.mu → roomState.pmu → roomState.mu → member.mu → Client.mu
//	Client.rmu (the client's room set) is taken before shard.mu and never
//	while holding any of the others.
//
// Client.mu is a leaf: nothing else is locked while it is held.
package hub
