package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/core/internal/bus"
	"github.com/switchboard-rt/switchboard/core/internal/bus/bustest"
	"github.com/switchboard-rt/switchboard/core/internal/ingest"
	"github.com/switchboard-rt/switchboard/core/metrics"
)

const apiKey = "test-api-key"

// publishServer serves the API over a real bus; strict is
// publish.strict_types. The catalogue knows pm.task.created.
func publishServer(t *testing.T, b *bus.Bus, strict bool) *httptest.Server {
	t.Helper()
	a, err := auth.New(auth.Options{HS256Secret: []byte(strings.Repeat("s", 32)), APIKeys: []string{apiKey}})
	if err != nil {
		t.Fatal(err)
	}
	sch, err := ingest.Compile("pm.task.created",
		[]byte(`{"type":"object","required":["id","title"],"properties":{"id":{"type":"string"},"title":{"type":"string"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	pub := config.DefaultConfig().Publish
	pub.MaxBodyBytes, pub.MaxBatch = 2048, 2
	m := metrics.New()
	in := ingest.New(ingest.Options{MaxBatch: pub.MaxBatch, MaxRooms: pub.MaxRooms, MaxEventBytes: 1024,
		StrictTypes: strict, KnownKind: func(k string) bool { return k == "user" || k == "workspace" }, Bus: b, Metrics: m})
	srv := httptest.NewServer(New(Options{Publish: pub, Auth: a, Bus: b, Metrics: m, Ingest: in,
		Types: ingest.TypesFunc(func(typ string) (*jsonschema.Schema, bool) { return sch, typ == "pm.task.created" })}))
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, srv *httptest.Server, body string, hdr map[string]string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+"/v1/publish", strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

var key = map[string]string{"X-Api-Key": apiKey}

func TestPublishAccepts(t *testing.T) {
	srv := publishServer(t, bustest.Open(t, "api-test"), false)
	st, body, h := post(t, srv, `{"rooms":["user:u1","workspace:w1"],"type":"pm.task.created","data":{"id":"t1","title":"x"},"id":"e-1"}`,
		map[string]string{"X-Api-Key": apiKey, "X-Correlation-Id": "c-7"})
	var res ingest.Result
	if st != 200 || json.Unmarshal([]byte(body), &res) != nil || res.ID != "e-1" || res.Duplicate || len(res.Seqs) != 2 ||
		h.Get("X-Correlation-Id") != "c-7" {
		t.Fatalf("%d %s %v", st, body, h)
	}
	// An app's own type (not in the catalogue) is accepted; a batch
	// answers one result per event.
	st, body, _ = post(t, srv, `[{"rooms":["user:u1"],"type":"app.note","data":{"x":1}},{"rooms":["user:u1"],"type":"app.note","data":2}]`, key)
	var batch struct{ Results []ingest.Result }
	if st != 200 || json.Unmarshal([]byte(body), &batch) != nil || len(batch.Results) != 2 ||
		batch.Results[1].Seqs["user:u1"] != batch.Results[0].Seqs["user:u1"]+1 {
		t.Fatalf("%d %s", st, body)
	}
}

func TestPublishRefuses(t *testing.T) {
	b := bustest.Open(t, "api-test")
	srv := publishServer(t, b, false)
	strict := publishServer(t, b, true)
	for _, tc := range []struct {
		name   string
		srv    *httptest.Server
		body   string
		hdr    map[string]string
		status int
		want   string
	}{
		{"no key", srv, `{"rooms":["user:u1"],"type":"x.e","data":1}`, nil, 401, `"code":"unauthorized"`},
		{"body too large", srv, `{"rooms":["user:u1"],"type":"x.e","data":"` + strings.Repeat("x", 2048) + `"}`, key, 413,
			"body larger than 2048 bytes"},
		{"rooms twice", srv, `{"rooms":["user:u1"],"type":"x.e","data":1,"rooms":["user:u2"]}`, key, 400,
			`duplicate key \"rooms\" at /rooms`},
		{"duplicate key in data", srv, `{"rooms":["user:u1"],"type":"x.e","data":{"a":1,"a":2}}`, key, 400,
			`duplicate key \"a\" at /data/a`},
		{"catalogued type, bad data", srv, `{"rooms":["user:u1"],"type":"pm.task.created","data":{"id":"t1"}}`, key, 400,
			"data does not match the schema of pm.task.created: at /data: missing property 'title'"},
		{"catalogued type, wrong type", srv, `{"rooms":["user:u1"],"type":"pm.task.created","data":{"id":"t1","title":5}}`, key, 400,
			"at /data/title: got number, want string"},
		{"core-owned type", srv, `{"rooms":["user:u1"],"type":"access.revoked","data":{"room":"user:u1"}}`, key, 400,
			"access.revoked"},
		{"uncatalogued type, strict", strict, `{"rooms":["user:u1"],"type":"app.note","data":1}`, key, 400,
			"is not in the catalogue (publish.strict_types is on)"},
		{"unknown field", srv, `{"rooms":["user:u1"],"type":"x.e","data":1,"bogus":1}`, key, 400, `unknown field \"bogus\"`},
		{"trailing data", srv, `{"rooms":["user:u1"],"type":"x.e","data":1} {}`, key, 400, "trailing data"},
		{"empty", srv, ``, key, 400, "empty body"},
		{"empty batch", srv, `[]`, key, 400, "empty batch"},
		{"batch too big", srv, `[{"rooms":["user:u1"],"type":"x.e","data":1},{"rooms":["user:u1"],"type":"x.e","data":1},{"rooms":["user:u1"],"type":"x.e","data":1}]`,
			key, 400, "at most 2 events per call"},
		{"one bad in batch", srv, `[{"rooms":["user:u1"],"type":"x.e","data":1},{"rooms":["bogus:x"],"type":"x.e","data":1}]`, key, 400,
			`event 1: rooms[0]: unknown room kind \"bogus\"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, body, _ := post(t, tc.srv, tc.body, tc.hdr)
			if st != tc.status || !strings.Contains(body, `{"error":{"code":`) || !strings.Contains(body, tc.want) {
				t.Fatalf("got %d %s, want %d with %s", st, body, tc.status, tc.want)
			}
		})
	}
	// Nothing was stored: the first stored event has seq 1.
	st, body, _ := post(t, srv, `{"rooms":["user:u1"],"type":"x.e","data":1}`, key)
	if st != 200 || !strings.Contains(body, `"seqs":{"user:u1":1}`) {
		t.Fatalf("%d %s", st, body)
	}
}

func TestPublishUnavailable(t *testing.T) {
	b := bustest.Open(t, "api-test")
	srv := publishServer(t, b, false)
	b.Close()
	st, body, _ := post(t, srv, `{"rooms":["user:u1"],"type":"x.e","data":1,"id":"e-1"}`, key)
	if st != 503 || !strings.Contains(body, `"code":"unavailable"`) || !strings.Contains(body, "retry with the same ids") {
		t.Fatalf("%d %s", st, body)
	}
}
