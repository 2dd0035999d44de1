package ws

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/gobwas/ws"

	"github.com/switchboard-rt/switchboard/core/hub"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

var frameCases = []struct {
	in   string
	op   string
	code wire.Code // "" = valid
}{
	{`{"op":"join","room":"project:p1","ref":"1"}`, "join", ""},
	{`{"op":"join","room":"project:p1","ref":"2","since":41}`, "join", ""},
	{`{"op":"leave","room":"project:p1","ref":"3"}`, "leave", ""},
	{`{"op":"ping","ref":"4"}`, "ping", ""},
	{`{"op":"ping","ref":4}`, "ping", ""},
	{`{"op":"ping"}`, "ping", ""},
	{`{"op":"join","room":"project:p1","since":-1}`, "", "bad_request"},
	{`{"op":"join","room":"project:p1","since":"1"}`, "", "bad_request"},
	{`{"op":"leave","room":"project:p1","since":1}`, "leave", "bad_request"},
	{`{"op":"join"}`, "join", "bad_request"},
	{`{"op":"join","room":"p1"}`, "join", "bad_request"},
	{`{"op":"join","room":"project:p 1"}`, "join", "bad_request"},
	{`{"op":"fly"}`, "fly", "bad_request"},
	{`{}`, "", "bad_request"},
	{`[]`, "", "bad_request"},
	{`null`, "", "bad_request"},
	{`not json`, "", "bad_request"},
	{``, "", "bad_request"},
}

func TestDecodeFrame(t *testing.T) {
	for _, c := range frameCases {
		f, err := decodeFrame([]byte(c.in))
		switch {
		case c.code == "" && err != nil:
			t.Errorf("%s: %v", c.in, err)
		case c.code != "" && (err == nil || err.Code != c.code):
			t.Errorf("%s: got %v, want %s", c.in, err, c.code)
		case c.op != "" && f.Op != c.op:
			t.Errorf("%s: op %q", c.in, f.Op)
		}
	}
}

func FuzzDecodeFrame(f *testing.F) {
	for _, c := range frameCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := decodeFrame(b)
		// Every answer, good or bad, must encode to valid JSON.
		var out []byte
		if err != nil {
			out = errorFrame(fr.Ref, err)
		} else {
			out = (&reply{Op: "ok", Ref: fr.Ref, Room: fr.Room}).frame()
		}
		h, rerr := ws.ReadHeader(bytes.NewReader(out))
		if rerr != nil {
			t.Fatalf("reply frame header: %v", rerr)
		}
		payload := out[len(out)-int(h.Length):]
		if !json.Valid(payload) {
			t.Fatalf("reply %q is not JSON (input %q)", payload, b)
		}
		if err == nil && (fr.Op == "join" || fr.Op == "leave") && fr.Room == "" {
			t.Fatalf("accepted %s without a room: %q", fr.Op, b)
		}
	})
}

func TestEncodeEvent(t *testing.T) {
	for _, size := range []int{10, 200, 70000} {
		data := []byte(`{"x":"` + string(bytes.Repeat([]byte("a"), size)) + `"}`)
		for _, seq := range []uint64{0, 42} {
			b := encodeEvent(&hub.Event{Room: "project:p1", Seq: seq, Type: "x", Data: data})
			h, err := ws.ReadHeader(bytes.NewReader(b))
			if err != nil || !h.Fin || h.OpCode != ws.OpText || h.Masked {
				t.Fatalf("header %+v %v", h, err)
			}
			payload := b[len(b)-int(h.Length):]
			var got struct {
				Op, Room string
				Seq      uint64
				Event    json.RawMessage
			}
			if err := json.Unmarshal(payload, &got); err != nil {
				t.Fatalf("payload %q: %v", payload[:40], err)
			}
			if got.Op != "event" || got.Room != "project:p1" || got.Seq != seq || !bytes.Equal(got.Event, data) {
				t.Fatalf("decoded %+v", got)
			}
			if seq == 0 && bytes.Contains(payload, []byte(`"seq"`)) {
				t.Fatal("presence frame carries a seq")
			}
		}
	}
}

func BenchmarkEncodeEvent(b *testing.B) {
	ev := &hub.Event{Room: "project:p1", Seq: 123456, Type: "pm.task.created",
		Data: bytes.Repeat([]byte("x"), 400)}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = encodeEvent(ev)
	}
}
