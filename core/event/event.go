// Package event is the CloudEvents 1.0 envelope that every stored event
// carries (docs/PROTOCOL.md, "Envelope"), and the checks on event types and
// ids. The rules an incoming event must pass are core/ingest's.
package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
)

// ErrType is returned for a malformed event type.
var ErrType = errors.New("event: invalid type")

// CorePrefixes are the type prefixes of the events the router sends itself
// (presence.join, access.revoked, …): no publisher or plugin may use them.
var CorePrefixes = []string{"presence.", "access."}

// CoreOwned reports whether t is a type only the router itself sends, or
// one that looks like it: case is ignored ("ACCESS.REVOKED"), and the bare
// prefix ("presence") counts too, so that a client switching on the type
// cannot be misled.
func CoreOwned(t string) bool {
	t = strings.ToLower(t)
	for _, p := range CorePrefixes {
		if strings.HasPrefix(t, p) || t == strings.TrimSuffix(p, ".") {
			return true
		}
	}
	return false
}

// Envelope is a CloudEvent with Switchboard's extensions.
type Envelope struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Time            string          `json:"time"`
	Subject         string          `json:"subject,omitempty"`
	CorrelationID   string          `json:"correlationid,omitempty"`
	Actor           string          `json:"actor,omitempty"`
	DataContentType string          `json:"datacontenttype"`
	Data            json.RawMessage `json:"data"`
}

// TimeFormat is RFC 3339 in UTC with milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// NewID returns a new event id (a ULID: sortable by time).
func NewID() string { return ulid.Make().String() }

// New stamps an envelope: a new id and the current time.
func New(source, typ string, data json.RawMessage) *Envelope {
	return &Envelope{SpecVersion: "1.0", ID: NewID(), Source: source, Type: typ,
		Time: time.Now().UTC().Format(TimeFormat), DataContentType: "application/json", Data: data}
}

// Encode returns the envelope as compact JSON on one line (SSE needs it).
func (e *Envelope) Encode() ([]byte, error) {
	if len(e.Data) > 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, e.Data); err != nil {
			return nil, fmt.Errorf("event: data: %w", err)
		}
		e.Data = buf.Bytes()
	} else {
		e.Data = json.RawMessage("null")
	}
	return json.Marshal(e)
}

// ValidType checks an event type's syntax: 1 to 128 characters from
// [A-Za-z0-9._-], starting with a letter or digit. Whether a caller may use
// it is not its business (see CoreOwned).
func ValidType(t string) error {
	if t == "" || len(t) > 128 {
		return fmt.Errorf("%w: %q: want 1 to 128 characters", ErrType, t)
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			i > 0 && (c == '.' || c == '_' || c == '-')
		if !ok {
			return fmt.Errorf("%w: %q: want characters from [A-Za-z0-9._-]", ErrType, t)
		}
	}
	return nil
}

// ValidID checks a caller-given event id: 1 to 128 characters from
// [A-Za-z0-9._:-].
func ValidID(id string) error {
	if id == "" || len(id) > 128 {
		return fmt.Errorf("event: invalid id %q: want 1 to 128 characters", id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return fmt.Errorf("event: invalid id %q: want characters from [A-Za-z0-9._:-]", id)
		}
	}
	return nil
}
