package hub

// MaxFormats is how many wire formats a hub can serve.
const MaxFormats = 4

// Format identifies a wire format registered with RegisterFormat.
type Format uint8

// Event is one event as it reaches a node: from the live subscription, or
// from history during a replay.
type Event struct {
	Room string
	Seq  uint64 // position in history; 0 for live-only events (presence)
	Type string // CloudEvent type
	Data []byte // the CloudEvent, compact JSON

	frames [MaxFormats][]byte
	order  uint64 // arrival order on this node (live events)
	stored int64  // when history stored it, Unix nanoseconds; 0: unknown (latency.go)
	lazy   bool   // presence: queued without waking a writer (lazy.go)
}

// Encoder turns an Event into the bytes of one wire frame. The result is
// shared by every connection of that format and must not be modified.
type Encoder interface {
	Encode(ev *Event) []byte
}

// EncoderFunc adapts a function to Encoder.
type EncoderFunc func(ev *Event) []byte

// Encode calls f.
func (f EncoderFunc) Encode(ev *Event) []byte { return f(ev) }

type format struct {
	name string
	enc  Encoder
}
