package sdk

import (
	"github.com/oklog/ulid/v2"
)

// Event is an event a plugin emits. The core wraps it in a CloudEvent
// (source switchboard/plugins/NAME), checks Data against the type's schema
// and stores it once per room.
type Event struct {
	ID            string // unique; made by NewEvent. It deduplicates end to end.
	Type          string
	Rooms         []string
	Data          any // marshalled to JSON
	Subject       string
	Actor         string
	CorrelationID string

	revoke      *Revocation // set by RevokeAccess: this item is a revocation, not an event
	traceparent string      // the emitting request's trace context (trace.go)
}

// RevokeAccess makes a revocation an item of an emit, so that it is written
// to the outbox in the same transaction as the change that ends the access
// (a removed member, a deleted project): a crash between the two cannot
// lose it. The core applies it in outbox order, after the events emitted
// before it:
//
//	emit(sdk.NewEvent("pm.team.member_removed", m).To("project:"+pid, "user:"+uid),
//		sdk.RevokeAccess(sdk.Revocation{User: uid, Rooms: []string{"project:" + pid}}))
func RevokeAccess(r Revocation) *Event { return &Event{revoke: &r} }

// Revocation returns the revocation of an item made by RevokeAccess, or
// nil for an event.
func (e *Event) Revocation() *Revocation { return e.revoke }

// NewEvent makes an event of type typ with a new id.
func NewEvent(typ string, data any) *Event {
	return &Event{ID: ulid.Make().String(), Type: typ, Data: data}
}

// To adds rooms.
func (e *Event) To(rooms ...string) *Event { e.Rooms = append(e.Rooms, rooms...); return e }

// About sets the CloudEvent subject, e.g. "task/t1".
func (e *Event) About(subject string) *Event { e.Subject = subject; return e }

// For copies the caller and correlation id of r into the event.
func (e *Event) For(r *Request) *Event {
	if r != nil {
		if r.Principal != nil {
			e.Actor = r.Principal.User
		}
		e.CorrelationID = r.CorrelationID
	}
	return e
}
