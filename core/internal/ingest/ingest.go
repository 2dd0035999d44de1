package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-rt/switchboard/core/event"
	"github.com/switchboard-rt/switchboard/core/internal/bus"
	"github.com/switchboard-rt/switchboard/core/metrics"
	"github.com/switchboard-rt/switchboard/core/room"
)

// Options configure an Ingest. Zero bounds mean no bound.
type Options struct {
	MaxBatch      int   // events per call (publish.max_batch)
	MaxRooms      int   // rooms per event (publish.max_rooms)
	MaxEventBytes int64 // an event, encoded (publish.max_event_bytes)
	// StrictTypes refuses, on the publish API, types the catalogue does
	// not know (publish.strict_types).
	StrictTypes bool
	// KnownKind reports whether rooms of a kind exist (built in, or owned
	// by a plugin). Nil: any kind.
	KnownKind func(kind string) bool
	Bus       *bus.Bus         // where Store writes; Check needs none
	Metrics   *metrics.Metrics // nil: none
}

// Ingest applies the rules and stores what passes. It is safe for
// concurrent use.
type Ingest struct{ o Options }

// New returns an Ingest.
func New(o Options) *Ingest { return &Ingest{o: o} }

// Source is who hands events in. Make one with API or Plugin.
type Source struct {
	name   string // the CloudEvents source
	plugin string // "" for the publish API
	types  Types
	scope  Scope // nil: any room and type
}

// Scope limits the rooms and types an API key may publish (an
// auth.KeyScope).
type Scope interface {
	AllowsRoom(room string) bool
	AllowsType(typ string) bool
}

// APIKey is the publish API for a key limited to scope: an event whose
// type or any room is outside it is refused as forbidden. A nil scope is
// API(types).
func APIKey(types Types, scope Scope) Source {
	s := API(types)
	s.scope = scope
	return s
}

// API is the publish API: types tells it the whole catalogue.
func API(types Types) Source {
	if types == nil {
		types = NoTypes
	}
	return Source{name: "switchboard/api", types: types}
}

// Plugin is the plugin name; types are the event types it declared.
func Plugin(name string, types Types) Source {
	if types == nil {
		types = NoTypes
	}
	return Source{name: "switchboard/plugins/" + name, plugin: name, types: types}
}

// Name is the CloudEvents source of the source's events.
func (s Source) Name() string { return s.name }

// Event is one event as a source hands it in.
type Event struct {
	// ID is the idempotency key: the same ID again within the history's
	// duplicate window stores nothing. Empty: a new id, no deduplication
	// (publish API only; a plugin's events always carry their outbox id).
	ID            string
	Rooms         []string
	Type          string
	Data          json.RawMessage
	Subject       string
	Actor         string
	CorrelationID string
	Time          string // RFC 3339; empty: now
}

// Refusal is an event (or a batch) that breaks a rule: the caller's to
// fix, a bad_request on the wire.
type Refusal struct {
	Index int // the event's position in the batch; -1: the batch itself
	Msg   string
	// Forbidden: the event is well formed but outside the API key's
	// scope (forbidden on the wire, 403), not a bad_request.
	Forbidden bool
}

func (r *Refusal) Error() string { return r.Msg }

// outOfScope is a refusal for being outside an API key's scope.
type outOfScope string

func (e outOfScope) Error() string { return string(e) }

// Batch is events that passed Check, ready to Store.
type Batch struct {
	src    Source
	events []checked
}

type checked struct {
	env   *event.Envelope
	rooms []room.Room
	data  []byte // the encoded envelope
	dedup bool   // the caller gave the id
}

// Result is what storing one event gave.
type Result struct {
	ID        string            `json:"id"`
	Seqs      map[string]uint64 `json:"seqs"`      // room → seq
	Duplicate bool              `json:"duplicate"` // every room had it already
}

// Publish is Check then Store.
func (g *Ingest) Publish(ctx context.Context, src Source, evs []Event) ([]Result, error) {
	b, err := g.Check(src, evs)
	if err != nil {
		return nil, err
	}
	return g.Store(ctx, b)
}

// Check applies the rules (see the package doc) to every event and stamps
// each envelope; it stores nothing. The error is a *Refusal for the first
// event that breaks a rule.
func (g *Ingest) Check(src Source, evs []Event) (*Batch, error) {
	if len(evs) == 0 {
		return nil, &Refusal{Index: -1, Msg: "no events"}
	}
	if g.o.MaxBatch > 0 && len(evs) > g.o.MaxBatch {
		return nil, &Refusal{Index: -1, Msg: fmt.Sprintf("at most %d events per call (publish.max_batch)", g.o.MaxBatch)}
	}
	b := &Batch{src: src, events: make([]checked, len(evs))}
	for i := range evs {
		if err := g.check(src, &evs[i], &b.events[i]); err != nil {
			return nil, &Refusal{Index: i, Msg: err.Error(), Forbidden: errors.As(err, new(outOfScope))}
		}
	}
	return b, nil
}

func (g *Ingest) check(src Source, ev *Event, out *checked) error {
	if err := event.ValidType(ev.Type); err != nil {
		return fmt.Errorf("type: %w", err)
	}
	if event.CoreOwned(ev.Type) {
		return fmt.Errorf("type %q: presence.* and access.* events are sent by the router itself", ev.Type)
	}
	rooms, err := g.rooms(src, ev.Rooms)
	if err != nil {
		return err
	}
	if src.scope != nil {
		if !src.scope.AllowsType(ev.Type) {
			return outOfScope(fmt.Sprintf("type %q is outside the API key's types", ev.Type))
		}
		for i, r := range ev.Rooms {
			if !src.scope.AllowsRoom(r) {
				return outOfScope(fmt.Sprintf("rooms[%d]: %q is outside the API key's rooms", i, r))
			}
		}
	}
	if ev.ID != "" {
		if err := event.ValidID(ev.ID); err != nil {
			return fmt.Errorf("id: %w", err)
		}
	} else if src.plugin != "" {
		return fmt.Errorf("id: required from a plugin")
	}
	if len(ev.Data) == 0 {
		return fmt.Errorf("data: required (any JSON value)")
	}
	sch, known := src.types.Schema(ev.Type)
	doc, err := decodeJSON(ev.Data, known)
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	switch {
	case known:
		if sch == nil {
			break
		}
		if err := sch.Validate(doc); err != nil {
			return fmt.Errorf("data does not match the schema of %s: %s", ev.Type, schemaError(err))
		}
	case src.plugin != "":
		return fmt.Errorf("type %q is not declared by plugin %q", ev.Type, src.plugin)
	case g.o.StrictTypes:
		return fmt.Errorf("type %q is not in the catalogue (publish.strict_types is on); see GET /v1/catalog", ev.Type)
	}
	env := event.New(src.name, ev.Type, ev.Data)
	if ev.ID != "" {
		env.ID = ev.ID
	}
	if ev.Time != "" {
		if _, err := time.Parse(time.RFC3339Nano, ev.Time); err != nil {
			return fmt.Errorf("time %q: want RFC 3339", ev.Time)
		}
		env.Time = ev.Time
	}
	env.Subject, env.Actor, env.CorrelationID = ev.Subject, ev.Actor, ev.CorrelationID
	data, err := env.Encode()
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if max := g.o.MaxEventBytes; max > 0 && int64(len(data)) > max {
		return fmt.Errorf("event is %d bytes encoded; at most %d (publish.max_event_bytes)", len(data), max)
	}
	*out = checked{env: env, rooms: rooms, data: data, dedup: ev.ID != ""}
	return nil
}

// rooms parses an event's rooms: at least one, at most MaxRooms, each
// well formed, of a known kind (publish API), and none twice.
func (g *Ingest) rooms(src Source, names []string) ([]room.Room, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("rooms: at least one room is required")
	}
	if max := g.o.MaxRooms; max > 0 && len(names) > max {
		return nil, fmt.Errorf("rooms: at most %d rooms per event (publish.max_rooms)", max)
	}
	rooms := make([]room.Room, len(names))
	for i, name := range names {
		r, err := room.Parse(name)
		if err != nil {
			return nil, fmt.Errorf("rooms[%d]: malformed room %q: want kind:id with id [A-Za-z0-9_.-]{1,128}", i, name)
		}
		// A plugin relays its outbox as soon as it starts, before the
		// kinds of plugins started after it are known: its rooms are
		// checked for syntax only.
		if src.plugin == "" && g.o.KnownKind != nil && !g.o.KnownKind(r.Kind) {
			return nil, fmt.Errorf("rooms[%d]: unknown room kind %q", i, r.Kind)
		}
		for _, prev := range rooms[:i] {
			if prev == r {
				return nil, fmt.Errorf("rooms[%d]: %q listed twice", i, name)
			}
		}
		rooms[i] = r
	}
	return rooms, nil
}

// Store writes a checked batch to history, once per event and room, in
// one asynchronous round (Nats-Msg-Id "id|room" when the caller gave the
// id). A plugin's event is also written once to the event log, which other
// plugins subscribe to; the publish API's are not (an API key must not
// feed the plugins' projections). On error some events may be stored:
// retrying with the same ids is safe.
func (g *Ingest) Store(ctx context.Context, b *Batch) ([]Result, error) {
	var msgs []bus.Message
	for _, c := range b.events {
		for _, r := range c.rooms {
			m := bus.Message{Room: r, Type: c.env.Type, Data: c.data, CorrelationID: c.env.CorrelationID}
			if c.dedup {
				m.MsgID = c.env.ID + "|" + r.String()
			}
			msgs = append(msgs, m)
		}
	}
	var acks []bus.Ack
	var err error
	if b.src.plugin == "" {
		acks, err = g.o.Bus.Publish(ctx, msgs...)
	} else {
		k := 0
		for _, c := range b.events {
			var a []bus.Ack
			a, err = g.o.Bus.PublishLogged(ctx, msgs[k:k+len(c.rooms)], c.env.Type, c.env.ID, c.data)
			if err != nil {
				break
			}
			acks = append(acks, a...)
			k += len(c.rooms)
		}
	}
	if err != nil {
		if g.o.Metrics != nil {
			g.o.Metrics.PublishErrors.Inc()
		}
		return nil, fmt.Errorf("ingest: store from %s: %w", b.src.name, err)
	}
	results := make([]Result, len(b.events))
	k := 0
	for i, c := range b.events {
		res := Result{ID: c.env.ID, Seqs: make(map[string]uint64, len(c.rooms)), Duplicate: true}
		for _, r := range c.rooms {
			res.Seqs[r.String()] = acks[k].Seq
			res.Duplicate = res.Duplicate && acks[k].Duplicate
			if !acks[k].Duplicate && g.o.Metrics != nil {
				g.o.Metrics.Published.Inc()
			}
			k++
		}
		results[i] = res
	}
	return results, nil
}
