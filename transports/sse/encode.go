package sse

import (
	"encoding/json"
	"strconv"

	"github.com/switchboard-rt/switchboard/core/hub"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// encoder is the hub's encoder for SSE: events (encodeEvent) and the
// error event the hub sends before it ends a stream (token_expired).
type encoder struct{}

var _ hub.ErrorEncoder = encoder{}

func (encoder) Encode(ev *hub.Event) []byte      { return encodeEvent(ev) }
func (encoder) EncodeError(e *wire.Error) []byte { return errorEvent(e) }

// encodeEvent is the hub encoder for SSE:
//
//	id: SEQ
//	event: TYPE
//	data: {"room":R,"seq":SEQ,"event":E}
//
// Live-only events (presence) have no id and no seq.
func encodeEvent(ev *hub.Event) []byte {
	var seq [20]byte
	s := seq[:0]
	if ev.Seq > 0 {
		s = strconv.AppendUint(s, ev.Seq, 10)
	}
	n := len("event: \ndata: {\"room\":\"\",\"event\":}\n\n") + len(ev.Type) + len(ev.Room) + len(ev.Data)
	if len(s) > 0 {
		n += len("id: \n") + len(`"seq":,`) + 2*len(s)
	}
	b := make([]byte, 0, n)
	if len(s) > 0 {
		b = append(b, "id: "...)
		b = append(b, s...)
		b = append(b, '\n')
	}
	b = append(b, "event: "...)
	b = append(b, ev.Type...)
	b = append(b, "\ndata: {\"room\":\""...)
	b = append(b, ev.Room...)
	b = append(b, "\","...)
	if len(s) > 0 {
		b = append(b, `"seq":`...)
		b = append(b, s...)
		b = append(b, ',')
	}
	b = append(b, `"event":`...)
	b = append(b, ev.Data...)
	b = append(b, "}\n\n"...)
	return b
}

func errorEvent(e *wire.Error) []byte {
	d, _ := json.Marshal(map[string]string{"code": string(e.Code), "message": e.Message})
	return append(append([]byte("event: error\ndata: "), d...), "\n\n"...)
}
