package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/switchboard-rt/switchboard/core/internal/bus/bustest"
)

// taskSchema stands for a catalogued type with required fields.
const taskSchema = `{"type":"object","required":["id","projectId","title"],
 "properties":{"id":{"type":"string"},"projectId":{"type":"string"},"title":{"type":"string","minLength":1},
  "tags":{"type":"array","items":{"type":"string"}}}}`

func catalogue(t testing.TB) Types {
	t.Helper()
	s, err := Compile("pm.task.created", []byte(taskSchema))
	if err != nil {
		t.Fatal(err)
	}
	return TypesFunc(func(typ string) (*jsonschema.Schema, bool) {
		if typ == "pm.task.created" {
			return s, true
		}
		return nil, false
	})
}

func knownKind(k string) bool {
	return k == "user" || k == "workspace" || k == "project" || k == "task"
}

func testIngest(strict bool) *Ingest {
	return New(Options{MaxBatch: 3, MaxRooms: 2, MaxEventBytes: 1024, StrictTypes: strict, KnownKind: knownKind})
}

const okTask = `{"id":"t1","projectId":"p1","title":"Write"}`

func TestCheckRules(t *testing.T) {
	types := catalogue(t)
	api, plugin := API(types), Plugin("tasks", types)
	ev := func(mod func(*Event)) Event {
		e := Event{ID: "e1", Rooms: []string{"project:p1"}, Type: "pm.task.created", Data: json.RawMessage(okTask)}
		if mod != nil {
			mod(&e)
		}
		return e
	}
	for _, tc := range []struct {
		name   string
		src    Source
		strict bool
		ev     Event
		want   string // "" accepts; else a substring of the refusal
	}{
		{"catalogued, valid", api, false, ev(nil), ""},
		{"catalogued, valid, from its plugin", plugin, false, ev(nil), ""},
		{"uncatalogued type on the API", api, false, ev(func(e *Event) { e.Type, e.Data = "app.note", json.RawMessage(`{"x":1}`) }), ""},
		{"uncatalogued type, strict", api, true, ev(func(e *Event) { e.Type = "app.note" }),
			`type "app.note" is not in the catalogue (publish.strict_types is on)`},
		{"type not declared by the plugin", plugin, false, ev(func(e *Event) { e.Type = "pm.other" }),
			`type "pm.other" is not declared by plugin "tasks"`},
		{"missing required fields", api, false, ev(func(e *Event) { e.Data = json.RawMessage(`{"id":"t1"}`) }),
			"data does not match the schema of pm.task.created: at /data: missing properties 'projectId', 'title'"},
		{"wrong field type", api, false, ev(func(e *Event) {
			e.Data = json.RawMessage(`{"id":"t1","projectId":"p1","title":"x","tags":["a",2]}`)
		}), "at /data/tags/1: got number, want string"},
		{"schema applies to plugins too", plugin, false, ev(func(e *Event) { e.Data = json.RawMessage(`{"id":"t1","projectId":"p1","title":""}`) }),
			"at /data/title: minLength"},
		{"presence is core-owned", api, false, ev(func(e *Event) { e.Type = "presence.join" }),
			`type "presence.join": presence.* and access.* events are sent by the router itself`},
		{"access is core-owned", api, false, ev(func(e *Event) { e.Type = "access.revoked" }), `type "access.revoked": presence.*`},
		{"core-owned from a plugin", plugin, false, ev(func(e *Event) { e.Type = "access.granted" }), "sent by the router itself"},
		{"bad type", api, false, ev(func(e *Event) { e.Type = "a b" }), `type: event: invalid type: "a b"`},
		{"no type", api, false, ev(func(e *Event) { e.Type = "" }), "type: event: invalid type"},
		{"no rooms", api, false, ev(func(e *Event) { e.Rooms = nil }), "rooms: at least one room is required"},
		{"too many rooms", api, false, ev(func(e *Event) { e.Rooms = []string{"user:a", "user:b", "user:c"} }),
			"rooms: at most 2 rooms per event (publish.max_rooms)"},
		{"malformed room", api, false, ev(func(e *Event) { e.Rooms = []string{"user"} }), `rooms[0]: malformed room "user"`},
		{"unknown kind", api, false, ev(func(e *Event) { e.Rooms = []string{"bogus:x"} }), `rooms[0]: unknown room kind "bogus"`},
		{"unknown kind from a plugin: syntax only", plugin, false, ev(func(e *Event) { e.Rooms = []string{"label:x"} }), ""},
		{"room twice", api, false, ev(func(e *Event) { e.Rooms = []string{"user:a", "user:a"} }), `rooms[1]: "user:a" listed twice`},
		{"bad id", api, false, ev(func(e *Event) { e.ID = "a b" }), `id: event: invalid id "a b"`},
		{"no id from the API", api, false, ev(func(e *Event) { e.ID = "" }), ""},
		{"no id from a plugin", plugin, false, ev(func(e *Event) { e.ID = "" }), "id: required from a plugin"},
		{"no data", api, false, ev(func(e *Event) { e.Data = nil }), "data: required (any JSON value)"},
		{"data not JSON", api, false, ev(func(e *Event) { e.Type, e.Data = "app.note", json.RawMessage(`{`) }), "data: invalid JSON"},
		{"duplicate key in data", api, false, ev(func(e *Event) {
			e.Type, e.Data = "app.note", json.RawMessage(`{"a":{"b":1,"b":2}}`)
		}), `data: duplicate key "b" at /a/b`},
		{"duplicate key in catalogued data", plugin, false, ev(func(e *Event) {
			e.Data = json.RawMessage(`{"id":"t1","projectId":"p1","title":"x","title":"y"}`)
		}), `data: duplicate key "title" at /title`},
		{"bad time", plugin, false, ev(func(e *Event) { e.Time = "yesterday" }), `time "yesterday": want RFC 3339`},
		{"too large", api, false, ev(func(e *Event) {
			e.Type, e.Data = "app.note", json.RawMessage(`"`+strings.Repeat("x", 1024)+`"`)
		}), "bytes encoded; at most 1024 (publish.max_event_bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := testIngest(tc.strict).Check(tc.src, []Event{tc.ev})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("accepted, want %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("got %q, want %q", err, tc.want)
			}
			var rf *Refusal
			if err != nil && (!errors.As(err, &rf) || rf.Index != 0) {
				t.Fatalf("error %#v: want a *Refusal for event 0", err)
			}
		})
	}
}

func TestCheckBatch(t *testing.T) {
	g := testIngest(false)
	one := Event{Rooms: []string{"user:u1"}, Type: "app.e", Data: json.RawMessage(`1`)}
	bad := one
	bad.Rooms = []string{"nope"}
	for _, tc := range []struct {
		name  string
		evs   []Event
		index int
		want  string
	}{
		{"empty", nil, -1, "no events"},
		{"too many", []Event{one, one, one, one}, -1, "at most 3 events per call (publish.max_batch)"},
		{"second is bad", []Event{one, bad}, 1, `rooms[0]: malformed room "nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := g.Check(API(nil), tc.evs)
			var rf *Refusal
			if !errors.As(err, &rf) || rf.Index != tc.index || !strings.Contains(rf.Msg, tc.want) {
				t.Fatalf("got %v, want index %d %q", err, tc.index, tc.want)
			}
		})
	}
}

func TestStamp(t *testing.T) {
	g := testIngest(false)
	evs := []Event{{Rooms: []string{"user:u1"}, Type: "app.e", Data: json.RawMessage(`{ "n" : 1 }`),
		Subject: "s", Actor: "u2", CorrelationID: "c-1"}}
	for _, tc := range []struct {
		src  Source
		ev   Event
		want map[string]any
	}{
		{API(nil), evs[0], map[string]any{"source": "switchboard/api", "subject": "s", "actor": "u2", "correlationid": "c-1"}},
		{Plugin("p", TypesFunc(func(string) (*jsonschema.Schema, bool) { return nil, true })),
			Event{ID: "o-1", Rooms: []string{"user:u1"}, Type: "app.e", Data: json.RawMessage(`{"n":1}`), Time: "2026-11-22T10:00:00.123Z"},
			map[string]any{"source": "switchboard/plugins/p", "id": "o-1", "time": "2026-11-22T10:00:00.123Z"}},
	} {
		b, err := g.Check(tc.src, []Event{tc.ev})
		if err != nil {
			t.Fatal(err)
		}
		var env map[string]any
		if err := json.Unmarshal(b.events[0].data, &env); err != nil {
			t.Fatal(err)
		}
		if env["specversion"] != "1.0" || env["datacontenttype"] != "application/json" || env["type"] != "app.e" ||
			env["id"] == "" || env["time"] == "" {
			t.Fatalf("envelope %v", env)
		}
		for k, v := range tc.want {
			if env[k] != v {
				t.Errorf("%s = %v, want %v (envelope %v)", k, env[k], v, env)
			}
		}
		if !strings.Contains(string(b.events[0].data), `"data":{"n":1}`) {
			t.Errorf("data not compacted: %s", b.events[0].data)
		}
	}
}

func TestStore(t *testing.T) {
	b := bustest.Open(t, "ingest-test")
	g := New(Options{KnownKind: knownKind, Bus: b})
	ctx := context.Background()
	evs := []Event{
		{ID: "e1", Rooms: []string{"user:u1", "workspace:w1"}, Type: "app.a", Data: json.RawMessage(`1`)},
		{Rooms: []string{"user:u1"}, Type: "app.b", Data: json.RawMessage(`2`)},
	}
	first, err := g.Publish(ctx, API(nil), evs)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 || first[0].ID != "e1" || first[0].Duplicate || len(first[0].Seqs) != 2 || first[1].Seqs["user:u1"] == 0 {
		t.Fatalf("results %+v", first)
	}
	// The same id again stores nothing and answers the original seqs;
	// an event without id is stored again.
	again, err := g.Publish(ctx, API(nil), evs)
	if err != nil {
		t.Fatal(err)
	}
	if !again[0].Duplicate || again[0].Seqs["user:u1"] != first[0].Seqs["user:u1"] ||
		again[1].Duplicate || again[1].Seqs["user:u1"] <= first[1].Seqs["user:u1"] {
		t.Fatalf("first %+v, again %+v", first, again)
	}
	// A plugin's event goes to its rooms (and the event log).
	res, err := g.Publish(ctx, Plugin("p", TypesFunc(func(string) (*jsonschema.Schema, bool) { return nil, true })),
		[]Event{{ID: "o1", Rooms: []string{"task:t1"}, Type: "app.c", Data: json.RawMessage(`3`)}})
	if err != nil || res[0].Seqs["task:t1"] <= again[1].Seqs["user:u1"] {
		t.Fatalf("plugin event: %+v %v", res, err)
	}
	b.Close()
	if _, err := g.Publish(ctx, API(nil), evs[1:]); err == nil || !strings.Contains(err.Error(), "ingest: store from switchboard/api") {
		t.Fatalf("closed bus: %v", err)
	}
}

// BenchmarkCheck is the cost of the rules for one small catalogued event.
func BenchmarkCheck(b *testing.B) {
	g, types := testIngest(false), catalogue(b)
	evs := []Event{{ID: "e1", Rooms: []string{"project:p1", "task:t1"}, Type: "pm.task.created", Data: json.RawMessage(okTask)}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Check(API(types), evs); err != nil {
			b.Fatal(err)
		}
	}
}

// scope is an API key's scope for the tests: rooms of kind project and
// workspace:w1; types under pm.
type scope struct{}

func (scope) AllowsRoom(r string) bool {
	return strings.HasPrefix(r, "project:") || r == "workspace:w1"
}
func (scope) AllowsType(t string) bool { return strings.HasPrefix(t, "pm.") }

func TestCheckScope(t *testing.T) {
	g := testIngest(false)
	src := APIKey(catalogue(t), scope{})
	ok := Event{Rooms: []string{"project:p1", "workspace:w1"}, Type: "pm.x", Data: json.RawMessage(`1`)}
	if _, err := g.Check(src, []Event{ok}); err != nil {
		t.Fatalf("inside the scope: %v", err)
	}
	for _, tc := range []struct {
		ev   Event
		want string
	}{
		{Event{Rooms: []string{"project:p1"}, Type: "note.x", Data: json.RawMessage(`1`)}, `type "note.x" is outside the API key's types`},
		{Event{Rooms: []string{"project:p1", "workspace:w2"}, Type: "pm.x", Data: json.RawMessage(`1`)}, `rooms[1]: "workspace:w2" is outside the API key's rooms`},
		{Event{Rooms: []string{"project:p1"}, Type: "access.revoked", Data: json.RawMessage(`1`)}, "sent by the router itself"},
	} {
		_, err := g.Check(src, []Event{ok, tc.ev})
		var rf *Refusal
		if !errors.As(err, &rf) || rf.Index != 1 || !strings.Contains(rf.Msg, tc.want) || rf.Forbidden != strings.Contains(tc.want, "outside") {
			t.Errorf("%+v: got %#v, want %q", tc.ev, err, tc.want)
		}
	}
	// The same event from an unscoped key passes.
	if _, err := g.Check(API(catalogue(t)), []Event{{Rooms: []string{"workspace:w2"}, Type: "note.x", Data: json.RawMessage(`1`)}}); err != nil {
		t.Fatal(err)
	}
}
