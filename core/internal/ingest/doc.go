// Package ingest is the one way into the router for an event from outside
// the core: POST /v1/publish (core/internal/api) and a plugin's Emit
// (core/internal/pluginhost) are thin adapters over it, so both obey one
// set of rules and stamp one envelope. The hub's own events (presence.*,
// access.*) do not come through here.
//
// Check applies the rules, in this order; the first broken one refuses the
// whole batch with a *Refusal (a bad_request, 400 on HTTP) that says which
// event and why:
//
//  1. a batch holds 1 to publish.max_batch events;
//  2. type: 1 to 128 characters from [A-Za-z0-9._-];
//  3. type: not core-owned (presence.*, access.*): only the router sends those;
//  4. rooms: 1 to publish.max_rooms, each kind:id, none twice; on the
//     publish API of a kind that exists (built in or owned by a plugin). A
//     plugin's rooms are checked for syntax only: it relays its outbox as
//     soon as it starts, before the kinds of later plugins are known.
//     An API key limited to room and type patterns (auth api_key "NAME"
//     blocks, see Scope) publishes only within them: outside is a
//     *Refusal with Forbidden set (forbidden, 403), naming the type or
//     room;
//  5. id: [A-Za-z0-9._:-]{1,128} when given; required from a plugin (its
//     outbox id);
//  6. data: present, one JSON value, no object with a key twice (at any
//     depth; CheckJSON, whose error names the key and its JSON pointer);
//  7. type in the catalogue: data must match the type's JSON Schema, and
//     the error gives each failing keyword with its JSON pointer
//     ("at /data/title: …"). Type not in the catalogue: a plugin may emit
//     only the types it declared (its Source holds just those), the
//     publish API accepts it unless publish.strict_types is on;
//  8. time, when given (a plugin's), is RFC 3339;
//  9. stamping: the CloudEvents 1.0 envelope gets the id (the caller's or a
//     new ULID), the source (switchboard/api or switchboard/plugins/NAME),
//     the time (the caller's or now), subject, correlationid, actor and
//     datacontenttype; encoded, it is at most publish.max_event_bytes.
//
// Store then writes each event once per room to history (Nats-Msg-Id
// "id|room" when the caller gave the id, so a retry stores nothing), and a
// plugin's event once to the event log that other plugins subscribe to.
package ingest
