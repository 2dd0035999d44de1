// Package room parses and validates room names (`kind:id`) and maps them to
// NATS subjects. It is the one place that knows the mapping.
//
// A room is `kind:id`. kind matches [a-z][a-z0-9_]{0,31}; id matches
// [A-Za-z0-9_.-]{1,128}.
// History subjects are `room.<kind>.<id-escaped>` and live subjects are
// `live.room.<kind>.<id-escaped>`, where the id is escaped so that it is a
// single NATS token ('.' is written as '~').
package room

import (
	"errors"
	"fmt"
	"strings"
)

// Errors returned by Parse. Both wrap ErrInvalid.
var (
	ErrInvalid = errors.New("room: invalid")
	ErrKind    = fmt.Errorf("%w kind", ErrInvalid)
	ErrID      = fmt.Errorf("%w id", ErrInvalid)
)

const (
	// MaxIDLen is the longest id a room may have.
	MaxIDLen = 128
	// MaxKindLen is the longest kind a room may have.
	MaxKindLen = 32
	// HistoryPrefix prefixes every history subject.
	HistoryPrefix = "room."
	// LivePrefix prefixes every live subject (JetStream republishes stored
	// events there, and presence is published there directly).
	LivePrefix = "live.room."
	// HistoryWildcard matches every history subject.
	HistoryWildcard = "room.>"
	// LiveWildcard matches every live subject.
	LiveWildcard = "live.room.>"
)

// Room is a parsed room name.
type Room struct {
	Kind string
	ID   string
}

// String returns `kind:id`.
func (r Room) String() string { return r.Kind + ":" + r.ID }

// Parse validates s and splits it into kind and id.
func Parse(s string) (Room, error) {
	kind, id, ok := strings.Cut(s, ":")
	if !ok {
		return Room{}, fmt.Errorf("%w: %q: want kind:id", ErrInvalid, s)
	}
	if err := validKind(kind); err != nil {
		return Room{}, fmt.Errorf("%w: %q", err, s)
	}
	if err := validID(id); err != nil {
		return Room{}, fmt.Errorf("%w: %q", err, s)
	}
	return Room{Kind: kind, ID: id}, nil
}

func validKind(k string) error {
	if k == "" || len(k) > MaxKindLen {
		return ErrKind
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c >= 'a' && c <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_'):
		default:
			return ErrKind
		}
	}
	return nil
}

func validID(id string) error {
	if id == "" || len(id) > MaxIDLen {
		return ErrID
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		case c == '.':
		default:
			return ErrID
		}
	}
	return nil
}

// escape makes an id a single NATS token: '.' becomes '~' ('~' is not a
// valid id character, so the mapping is reversible).
func escape(id string) string {
	if strings.IndexByte(id, '.') < 0 {
		return id
	}
	return strings.ReplaceAll(id, ".", "~")
}

func unescape(tok string) string {
	if strings.IndexByte(tok, '~') < 0 {
		return tok
	}
	return strings.ReplaceAll(tok, "~", ".")
}

// HistorySubject is the JetStream subject that stores r's events.
func (r Room) HistorySubject() string { return HistoryPrefix + r.Kind + "." + escape(r.ID) }

// LiveSubject is the core NATS subject on which r's live events arrive.
func (r Room) LiveSubject() string { return LivePrefix + r.Kind + "." + escape(r.ID) }

// FromSubject maps a history or live subject back to its room.
func FromSubject(subj string) (Room, error) {
	rest, ok := strings.CutPrefix(subj, LivePrefix)
	if !ok {
		rest, ok = strings.CutPrefix(subj, HistoryPrefix)
	}
	if !ok {
		return Room{}, fmt.Errorf("%w: subject %q", ErrInvalid, subj)
	}
	kind, tok, ok := strings.Cut(rest, ".")
	if !ok {
		return Room{}, fmt.Errorf("%w: subject %q", ErrInvalid, subj)
	}
	return Parse(kind + ":" + unescape(tok))
}
