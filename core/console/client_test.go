package console_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboard-rt/switchboard/core/console"
)

// TestClientScript checks the client bundle served at /v1/client.js: an
// ES module exporting Switchboard, revalidated by ETag.
func TestClientScript(t *testing.T) {
	h, err := console.ClientScript()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+console.ClientPath, h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	res, body := get(t, srv.URL+console.ClientPath)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("GET %s: %d %v", console.ClientPath, res.StatusCode, res.Header)
	}
	// The bundle ends with its exports; Switchboard and SwitchboardError
	// are among them (minified names: "as Switchboard").
	if !strings.Contains(body, "as Switchboard}") && !strings.Contains(body, "as Switchboard,") {
		t.Fatalf("the bundle exports no Switchboard: %.200s … %s", body, body[max(0, len(body)-200):])
	}
	if res2, _ := get(t, srv.URL+console.ClientPath, "If-None-Match", res.Header.Get("ETag")); res2.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d, want 304", res2.StatusCode)
	}
}
