package sdk

import (
	"context"
	"encoding/json"
)

// EventHandler receives events of the types in Info.Subscriptions (any
// plugin's), to keep projections: at least once, one at a time, in the
// order they were stored. Returning an error asks for redelivery later, so
// handlers must be idempotent (upsert, delete-if-exists).
type EventHandler interface {
	HandleEvent(ctx context.Context, d *Delivery) error
}

// Delivery is one delivered event.
type Delivery struct {
	ID            string
	Type          string
	Source        string
	Subject       string
	Actor         string
	CorrelationID string
	Time          string
	Data          json.RawMessage
	Seq           uint64 // position in the event log
	Redelivered   bool
}

// Decode unmarshals the event's data into v.
func (d *Delivery) Decode(v any) error { return json.Unmarshal(d.Data, v) }
