package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/switchboard-rt/switchboard/core/metrics"
	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
)

// catalogServer serves the API with one plugin declaring pm.task.created.
func catalogServer(t *testing.T) *httptest.Server {
	t.Helper()
	infos := []*pluginv1.GetInfoResponse{{Name: "tasks", Events: []*pluginv1.EventType{{
		Type: "pm.task.created", Description: "A task was created.", Rooms: []string{"project:{projectId}"},
		Schema: []byte(`{"type":"object","required":["id","title"],"properties":{"id":{"type":"string"},"title":{"type":"string","maxLength":200}}}`),
	}}}}
	srv := httptest.NewServer(New(Options{Metrics: metrics.New(), MetricsApart: true,
		Catalog: func() []*pluginv1.GetInfoResponse { return infos }}))
	t.Cleanup(srv.Close)
	return srv
}

func getCatalog(t *testing.T, srv *httptest.Server, query, accept string) (int, string, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+"/v1/catalog"+query, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), b
}

// TestCatalogJSON checks that GET /v1/catalog answers the AsyncAPI
// document as YAML by default and as the same document in JSON for
// ?format=json or Accept: application/json, with the plugin's schema.
func TestCatalogJSON(t *testing.T) {
	srv := catalogServer(t)
	st, ct, y := getCatalog(t, srv, "", "")
	if st != 200 || ct != "application/yaml" {
		t.Fatalf("default: %d %s, want 200 application/yaml: %s", st, ct, y)
	}
	var fromYAML any
	if err := yaml.Unmarshal(y, &fromYAML); err != nil {
		t.Fatalf("default answer is not YAML: %v", err)
	}
	want, _ := json.Marshal(fromYAML) // the same document, through JSON
	var wantDoc any
	_ = json.Unmarshal(want, &wantDoc)
	for _, tc := range []struct{ name, query, accept string }{
		{"format=json", "?format=json", ""},
		{"Accept", "", "application/json"},
		{"Accept list", "", "text/html;q=0.9, application/json"},
		{"format beats Accept", "?format=json", "application/yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, ct, b := getCatalog(t, srv, tc.query, tc.accept)
			if st != 200 || ct != "application/json" {
				t.Fatalf("%d %s, want 200 application/json: %s", st, ct, b)
			}
			var got any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("not JSON: %v: %s", err, b)
			}
			if !reflect.DeepEqual(got, wantDoc) {
				t.Fatalf("JSON differs from the YAML document:\n%s\nwant\n%s", b, want)
			}
			msg := got.(map[string]any)["components"].(map[string]any)["messages"].(map[string]any)["pm.task.created"].(map[string]any)
			title := msg["payload"].(map[string]any)["properties"].(map[string]any)["title"].(map[string]any)
			if msg["x-source"] != "switchboard/plugins/tasks" || title["maxLength"] != float64(200) {
				t.Fatalf("pm.task.created = %v", msg)
			}
		})
	}
	for _, tc := range []struct{ query, accept string }{{"?format=yaml", "application/json"}, {"", "application/yaml, application/json"}} {
		if st, ct, b := getCatalog(t, srv, tc.query, tc.accept); st != 200 || ct != "application/yaml" || string(b) != string(y) {
			t.Errorf("%s Accept %q: %d %s, want the YAML document", tc.query, tc.accept, st, ct)
		}
	}
	st, _, b := getCatalog(t, srv, "?format=xml", "")
	if st != 400 || !strings.Contains(string(b), `format \"xml\": want json or yaml`) {
		t.Errorf("?format=xml: %d %s, want 400 naming the format", st, b)
	}
}
