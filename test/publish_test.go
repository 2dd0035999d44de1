package test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

type pubResult struct {
	ID        string
	Seqs      map[string]uint64
	Duplicate bool
}

func TestPublishIdempotent(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	c := n.DialWS(n.Token("u1", "w1"))
	c.Join("workspace:w1")
	c.Join("user:u1")
	body := map[string]any{"rooms": []string{"workspace:w1", "user:u1"}, "type": "x.e", "data": map[string]int{"n": 1}, "id": "evt-1"}
	var first, again pubResult
	for i, into := range []*pubResult{&first, &again} {
		st, b := n.Publish(body)
		if st != http.StatusOK {
			t.Fatalf("publish %d: %d %s", i, st, b)
		}
		if err := json.Unmarshal(b, into); err != nil {
			t.Fatal(err)
		}
	}
	if first.ID != "evt-1" || first.Duplicate || !again.Duplicate || len(first.Seqs) != 2 ||
		first.Seqs["workspace:w1"] != again.Seqs["workspace:w1"] || first.Seqs["user:u1"] != again.Seqs["user:u1"] {
		t.Fatalf("first %+v, again %+v", first, again)
	}
	got := map[string]uint64{}
	for len(got) < 2 {
		f := c.NextEvent()
		got[f.Room] = f.Seq
		if f.CloudEvent(t)["id"] != "evt-1" {
			t.Fatalf("event id %v", f.CloudEvent(t)["id"])
		}
	}
	// The duplicate was not delivered: the next event is a new one.
	next := n.PublishOK("x.next", 0, "user:u1")
	if f := c.NextEvent(); f.Seq != next {
		t.Fatalf("after duplicate: %+v, want seq %d", f, next)
	}
}

func TestPublishBatch(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	c := n.DialWS(n.Token("u1", "w1"))
	c.Join("workspace:w1")
	batch := []map[string]any{
		{"rooms": []string{"workspace:w1"}, "type": "x.a", "data": 1},
		{"rooms": []string{"workspace:w1"}, "type": "x.b", "data": 2},
		{"rooms": []string{"workspace:w1"}, "type": "x.c", "data": 3},
	}
	st, b := n.Publish(batch)
	if st != http.StatusOK {
		t.Fatalf("%d %s", st, b)
	}
	var res struct{ Results []pubResult }
	if err := json.Unmarshal(b, &res); err != nil || len(res.Results) != 3 {
		t.Fatalf("%s %v", b, err)
	}
	for i, typ := range []string{"x.a", "x.b", "x.c"} {
		f := c.NextEvent()
		if f.Seq != res.Results[i].Seqs["workspace:w1"] || f.CloudEvent(t)["type"] != typ {
			t.Fatalf("event %d: %+v", i, f)
		}
	}
}

func TestPublishRejectsBadInputAndStoresNothing(t *testing.T) {
	cfg := testnode.Config(t)
	cfg.Publish.MaxBatch = 2
	n := testnode.Start(t, cfg)
	before := n.PublishOK("x.mark", 0, "user:u1")
	key := map[string]string{"X-Api-Key": n.Cfg.Auth.APIKeys[0]}
	for _, tc := range []struct {
		name   string
		body   string
		hdr    map[string]string
		status int
	}{
		{"no key", `{"rooms":["user:u1"],"type":"x.e","data":1}`, nil, 401},
		{"wrong key", `{"rooms":["user:u1"],"type":"x.e","data":1}`, map[string]string{"X-Api-Key": "nope"}, 401},
		{"not json", `{`, key, 400},
		{"empty", ``, key, 400},
		{"no rooms", `{"type":"x.e","data":1}`, key, 400},
		{"bad room", `{"rooms":["user"],"type":"x.e","data":1}`, key, 400},
		{"unknown room kind", `{"rooms":["bogus:x"],"type":"x.e","data":1}`, key, 400},
		{"no type", `{"rooms":["user:u1"],"data":1}`, key, 400},
		{"bad type", `{"rooms":["user:u1"],"type":"a b","data":1}`, key, 400},
		{"reserved type", `{"rooms":["user:u1"],"type":"presence.join","data":1}`, key, 400},
		{"core-owned type", `{"rooms":["user:u1"],"type":"access.revoked","data":{"room":"user:u1"}}`, key, 400},
		{"rooms twice", `{"rooms":["user:u1"],"type":"x.e","data":1,"rooms":["user:u2"]}`, key, 400},
		{"duplicate key in data", `{"rooms":["user:u1"],"type":"x.e","data":{"a":1,"a":2}}`, key, 400},
		{"no data", `{"rooms":["user:u1"],"type":"x.e"}`, key, 400},
		{"unknown field", `{"rooms":["user:u1"],"type":"x.e","data":1,"bogus":1}`, key, 400},
		{"bad id", `{"rooms":["user:u1"],"type":"x.e","data":1,"id":"a b"}`, key, 400},
		{"batch too big", `[{"rooms":["user:u1"],"type":"x.e","data":1},{"rooms":["user:u1"],"type":"x.e","data":1},{"rooms":["user:u1"],"type":"x.e","data":1}]`, key, 400},
		{"one bad in batch", `[{"rooms":["user:u1"],"type":"x.e","data":1},{"rooms":["nope"],"type":"x.e","data":1}]`, key, 400},
		{"too large", `{"rooms":["user:u1"],"type":"x.e","data":"` + strings.Repeat("x", int(cfg.Publish.MaxEventBytes)) + `"}`, key, 400},
		{"NUL in data", `{"rooms":["user:u1"],"type":"x.e","data":{"t":"a\u0000"}}`, key, 400},
		{"invalid UTF-8 in data", "{\"rooms\":[\"user:u1\"],\"type\":\"x.e\",\"data\":{\"t\":\"\xff\"}}", key, 400},
		{"lone surrogate in subject", `{"rooms":["user:u1"],"type":"x.e","data":1,"subject":"\ud800"}`, key, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, b := n.Do("POST", "/v1/publish", tc.body, tc.hdr)
			if st != tc.status || !strings.Contains(string(b), `"error":{"code":`) {
				t.Fatalf("got %d %s, want %d", st, b, tc.status)
			}
		})
	}
	// Nothing was stored by the rejected calls: the next seq follows directly.
	if next := n.PublishOK("x.mark", 1, "user:u1"); next != before+1 {
		t.Fatalf("seq %d after rejections, want %d", next, before+1)
	}
}

// A NUL character, invalid UTF-8 or a lone surrogate escape in any string
// of the body is a 400 naming the JSON pointer (encoding/json would have
// rewritten the last two as U+FFFD), and nothing is stored.
func TestPublishRefusesBadTextNamingTheField(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	c := n.DialWS(n.Token("u1"))
	c.Join("user:u1")
	for _, tc := range []struct{ body, want string }{
		{`{"rooms":["user:u1"],"type":"x.e","data":{"title":"a\u0000b"}}`, `NUL character (\\u0000) in the string at /data/title`},
		{"{\"rooms\":[\"user:u1\"],\"type\":\"x.e\",\"data\":{\"tags\":[\"ok\",\"caf\xe9\"]}}", `invalid UTF-8 (or a lone surrogate escape) in the string at /data/tags/1`},
		{`[{"rooms":["user:u1"],"type":"x.e","data":1},{"rooms":["user:u1"],"type":"x.e","data":{"k\udc00":1}}]`, `in a key of the object at /1/data`},
	} {
		st, b := n.Publish([]byte(tc.body))
		if st != http.StatusBadRequest || !strings.Contains(string(b), tc.want) {
			t.Errorf("%q: got %d %s, want 400 with %q", tc.body, st, b, tc.want)
		}
	}
	// Nothing of the refused calls was delivered: the next event is this one.
	seq := n.PublishOK("x.ok", map[string]string{"t": "caf\u00e9 \U0001F600"}, "user:u1")
	if f := c.NextEvent(); f.Seq != seq {
		t.Fatalf("first event after the refusals: %+v, want seq %d", f, seq)
	}
}

// Catalogued types are validated against their schema on the publish API
// as on a plugin's emit; core-owned types and duplicate keys are refused
// with a message naming what is wrong; other types pass unless
// publish.strict_types is on.
func TestPublishValidatesAgainstTheCatalogue(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprintf("strict_types=%v", strict), func(t *testing.T) {
			n := pluginNode(t, fmt.Sprintf("publish {\n  strict_types = %v\n}\n", strict))
			c := n.DialWS(n.Token("u1"))
			c.Join("user:u1")
			app := http.StatusOK
			if strict {
				app = http.StatusBadRequest
			}
			for _, tc := range []struct {
				name   string
				body   string
				status int
				want   string
			}{
				{"catalogued, bad field", `{"rooms":["user:u1"],"type":"test.ping","data":{"n":"one"}}`, 400,
					`data does not match the schema of test.ping: at /data/n: got string, want integer`},
				{"catalogued, missing field", `{"rooms":["user:u1"],"type":"demo.hello.said","data":{"text":"hi"}}`, 400,
					`at /data: missing property 'to'`},
				{"core-owned", `{"rooms":["user:u1"],"type":"access.revoked","data":{"room":"user:u1"}}`, 400,
					`type \"access.revoked\": presence.* and access.* events are sent by the router itself`},
				{"duplicate key", `{"rooms":["user:u1"],"type":"test.ping","data":{"n":1},"rooms":["user:u2"]}`, 400,
					`duplicate key \"rooms\" at /rooms`},
				{"app type", `{"rooms":["user:u1"],"type":"app.note","data":{"text":"hi"}}`, app, ``},
				{"catalogued, valid", `{"rooms":["user:u1"],"type":"test.ping","data":{"n":1}}`, 200, ``},
			} {
				st, b := n.Do("POST", "/v1/publish", tc.body, map[string]string{"X-Api-Key": n.Cfg.Auth.APIKeys[0]})
				if st != tc.status || !strings.Contains(string(b), tc.want) {
					t.Errorf("%s: got %d %s, want %d with %s", tc.name, st, b, tc.status, tc.want)
				}
			}
			if strict {
				if st, b := n.Do("POST", "/v1/publish", `{"rooms":["user:u1"],"type":"app.note","data":1}`,
					map[string]string{"X-Api-Key": n.Cfg.Auth.APIKeys[0]}); !strings.Contains(string(b), "publish.strict_types is on") {
					t.Errorf("strict: %d %s", st, b)
				}
			}
			// Only the accepted events reached the room, in order.
			var want []string
			if !strict {
				want = append(want, "app.note")
			}
			for _, typ := range append(want, "test.ping") {
				f := c.NextEvent()
				if ev := f.CloudEvent(t); ev["type"] != typ || ev["source"] != "switchboard/api" {
					t.Fatalf("event %v, want %s from switchboard/api", ev, typ)
				}
			}
		})
	}
}

func TestOperationsEndpoints(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	if st, b := n.Do("GET", "/healthz", nil, nil); st != 200 {
		t.Fatalf("healthz %d %s", st, b)
	}
	st, b := n.Do("GET", "/readyz", nil, nil)
	if st != 200 || !strings.Contains(string(b), `"nats":"ok"`) {
		t.Fatalf("readyz %d %s", st, b)
	}
	c := n.DialWS(n.Token("u1"))
	c.Join("user:u1")
	n.PublishOK("x.e", 1, "user:u1")
	c.NextEvent()
	st, b = n.Do("GET", "/metrics", nil, nil)
	if st != 200 {
		t.Fatalf("metrics %d", st)
	}
	for _, want := range []string{
		`switchboard_connections{transport="ws"} 1`,
		`switchboard_rooms 1`,
		`switchboard_events_published_total 1`,
		`switchboard_events_delivered_total{transport="ws"}`,
		`switchboard_slow_consumer_disconnects_total{transport="ws"} 0`,
		`switchboard_resumes_total{result="not_recovered"} 0`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if st, _ := n.Do("GET", "/v1/nothing", nil, nil); st != 404 {
		t.Fatalf("unknown route %d", st)
	}
	// A known path with another method: 405 and the methods it takes.
	if st, b := n.Do("GET", "/v1/publish", nil, nil); st != 405 || !strings.Contains(string(b), "allowed: POST") {
		t.Fatalf("GET /v1/publish: %d %s", st, b)
	}
	if st, _ := n.Do("POST", "/healthz", nil, nil); st != 405 {
		t.Fatalf("POST /healthz: %d", st)
	}
}

// A scoped API key (auth api_key "NAME") publishes only to its room and
// type patterns: outside them is 403 forbidden naming the room or type,
// and nothing is stored; core-owned types stay refused; the unscoped key
// keeps publishing anywhere.
func TestPublishWithAScopedKey(t *testing.T) {
	cfg := testnode.Config(t)
	cfg.Auth.APIKey = []config.APIKey{{Name: "crm", Key: "crm-key", Rooms: []string{"workspace:w1", "project:*"}, Types: []string{"pm.*", "note.added"}}}
	n := testnode.Start(t, cfg)
	c := n.DialWS(n.Token("u1", "w1"))
	c.Join("workspace:w1")
	crm := map[string]string{"X-Api-Key": "crm-key"}
	st, b := n.Do("POST", "/v1/publish", `{"rooms":["workspace:w1","project:p9"],"type":"note.added","data":{"n":1}}`, crm)
	if st != http.StatusOK {
		t.Fatalf("inside the scope: %d %s", st, b)
	}
	first := c.NextEvent()
	for _, tc := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"rooms":["workspace:w1"],"type":"note.removed","data":1}`, 403, `forbidden","message":"type \"note.removed\" is outside the API key's types (api_key \"crm\")`},
		{`{"rooms":["workspace:w1","workspace:w2"],"type":"pm.x","data":1}`, 403, `rooms[1]: \"workspace:w2\" is outside the API key's rooms`},
		{`[{"rooms":["workspace:w1"],"type":"pm.x","data":1},{"rooms":["user:u1"],"type":"pm.x","data":1}]`, 403, `"code":"forbidden","message":"event 1: rooms[0]: \"user:u1\" is outside the API key's rooms (api_key \"crm\")`},
		{`{"rooms":["workspace:w1"],"type":"access.revoked","data":{"room":"workspace:w1"}}`, 400, `sent by the router itself`},
	} {
		st, b := n.Do("POST", "/v1/publish", tc.body, crm)
		if st != tc.status || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: got %d %s, want %d with %s", tc.body, st, b, tc.status, tc.want)
		}
	}
	// The unscoped key is not limited; and nothing refused was delivered.
	seq := n.PublishOK("app.other", 1, "workspace:w1")
	if f := c.NextEvent(); f.Seq != seq || f.Seq <= first.Seq {
		t.Fatalf("after the refusals: %+v, want seq %d", f, seq)
	}
}
