// Package bus runs the NATS side of a node: the embedded nats-server (or a
// connection to an external cluster), the JetStream history stream, and the
// three operations the rest of the core needs from it:
//
//   - Publish stores an event in a room's history subject; JetStream
//     assigns its sequence (the `seq` clients see), deduplicates by
//     Nats-Msg-Id within the stream's duplicate window, and republishes the
//     stored message with its sequence on the room's live subject.
//   - SubscribeLive receives a room's live events on this node.
//   - Replay reads a set of rooms' history from a sequence, merged in
//     sequence order, for `since` / Last-Event-ID resume.
//
// Subjects come from core/room, the one place that maps rooms to
// subjects.
package bus
