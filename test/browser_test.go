package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/test/browser"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

// corsPage is the page the browser tests load from another origin than
// the node's: helpers that open an EventSource and call fetch, leaving
// what happened in window globals for the test to read.
const corsPage = `<!doctype html>
<meta charset="utf-8">
<title>switchboard CORS test</title>
<script>
window.events = [];
window.sse = { open: false, errors: 0, closed: false };
function listen(url, type) {
  const es = new EventSource(url);
  es.onopen = () => { window.sse.open = true; };
  es.onerror = () => {
    window.sse.errors++;
    if (es.readyState === EventSource.CLOSED) window.sse.closed = true;
  };
  es.addEventListener(type, (e) => window.events.push(JSON.parse(e.data)));
  window.es = es;
}
async function call(url, init) {
  try {
    const r = await fetch(url, init);
    return { ok: true, status: r.status, corr: r.headers.get("X-Correlation-Id"), body: await r.text() };
  } catch (e) {
    return { ok: false, error: String(e) };
  }
}
</script>
<h1>switchboard CORS test</h1>
`

// servePage serves corsPage on an origin of its own (a random port).
func servePage(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(corsPage))
	}))
	t.Cleanup(s.Close)
	return s
}

// fetchResult is what call() in corsPage returns.
type fetchResult struct {
	OK     bool   `json:"ok"`
	Status int    `json:"status"`
	Corr   string `json:"corr"`
	Body   string `json:"body"`
	Error  string `json:"error"`
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestBrowserCORS proves in real headless Chromium, from pages served on
// other origins than the node's, that an allowed origin can stream SSE
// with ?token= and make preflighted fetch calls that read the exposed
// X-Correlation-Id, and that an origin not in server.allowed_origins gets
// neither (docs/PROTOCOL.md §1).
func TestBrowserCORS(t *testing.T) {
	b := browser.Start(t) // skips (or fails, SB_TEST_BROWSER_REQUIRED=1) without Chromium
	good, evil := servePage(t), servePage(t)
	cfg := testnode.Config(t)
	cfg.Server.AllowedOrigins = []string{good.URL}
	n := testnode.Start(t, cfg)
	tok := n.Token("u1", "w1")
	sseURL := n.SSEURL("workspace:w1") + "&token=" + tok
	presenceURL := n.URL + "/v1/rooms/workspace:w1/presence"

	t.Run("allowed", func(t *testing.T) {
		p := b.NewPage(t)
		p.Open(good.URL)
		browser.Eval[any](p, fmt.Sprintf(`listen(%s, "x.browser")`, js(sseURL)))
		p.WaitFor(`window.sse.open`, 5*time.Second, `JSON.stringify(window.sse)`)

		// Authorization makes this a preflighted request.
		r := browser.Eval[fetchResult](p, fmt.Sprintf(`call(%s, {headers: {Authorization: %s}})`,
			js(presenceURL), js("Bearer "+tok)))
		if !r.OK || r.Status != http.StatusOK || !strings.Contains(r.Body, `"room":"workspace:w1"`) {
			t.Fatalf("GET presence from %s: %+v", good.URL, r)
		}

		// X-Api-Key, a JSON body and X-Correlation-Id: preflighted POST;
		// the answer's X-Correlation-Id is readable only if exposed.
		body := js(map[string]any{"rooms": []string{"workspace:w1"}, "type": "x.browser", "data": map[string]string{"from": "page"}})
		r = browser.Eval[fetchResult](p, fmt.Sprintf(`call(%s, {method: "POST", body: %s, headers: {"Content-Type": "application/json", "X-Api-Key": %s, "X-Correlation-Id": "corr-browser-1"}})`,
			js(n.URL+"/v1/publish"), js(body), js(cfg.Auth.APIKeys[0])))
		if !r.OK || r.Status != http.StatusOK || r.Corr != "corr-browser-1" {
			t.Fatalf("POST /v1/publish from %s: %+v (want 200 and X-Correlation-Id corr-browser-1 readable)", good.URL, r)
		}

		p.WaitFor(`window.events.length >= 1`, 5*time.Second, `JSON.stringify(window.sse)`)
		ev := browser.Eval[struct {
			Room  string
			Event struct {
				Type          string
				Correlationid string
				Data          map[string]string
			}
		}](p, `window.events[0]`)
		if ev.Room != "workspace:w1" || ev.Event.Type != "x.browser" || ev.Event.Data["from"] != "page" || ev.Event.Correlationid != "corr-browser-1" {
			t.Fatalf("EventSource got %+v", ev)
		}
		shot := filepath.Join(t.TempDir(), "cors.png")
		p.Screenshot(shot) // exercises the helper the console tests use
		if b, err := os.ReadFile(shot); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Fatalf("screenshot %s: %d bytes, err %v; want a PNG", shot, len(b), err)
		}
	})

	t.Run("refused", func(t *testing.T) {
		p := b.NewPage(t)
		p.Open(evil.URL)
		browser.Eval[any](p, fmt.Sprintf(`listen(%s, "x.browser")`, js(sseURL)))
		p.WaitFor(`window.sse.closed`, 5*time.Second, `JSON.stringify(window.sse)`)
		if browser.Eval[bool](p, `window.sse.open`) {
			t.Fatalf("EventSource from %s opened", evil.URL)
		}
		for name, init := range map[string]string{
			"preflighted GET":  fmt.Sprintf(`{headers: {Authorization: %s}}`, js("Bearer "+tok)),
			"simple GET":       `{}`,
			"preflighted POST": fmt.Sprintf(`{method: "POST", body: "{}", headers: {"Content-Type": "application/json", "X-Api-Key": %s}}`, js(cfg.Auth.APIKeys[0])),
		} {
			url := presenceURL + "?token=" + tok
			if strings.Contains(name, "POST") {
				url = n.URL + "/v1/publish"
			}
			if r := browser.Eval[fetchResult](p, fmt.Sprintf(`call(%s, %s)`, js(url), init)); r.OK {
				t.Errorf("%s from %s: fetch resolved %+v, want it rejected", name, evil.URL, r)
			}
		}
	})
}

// TestCORSHTTP checks the CORS answers at the HTTP level, with or without
// a browser: preflights, exposed headers, and an origin not allowed
// refused before any handler runs, even on the requests a browser sends
// without a preflight (docs/PROTOCOL.md §1).
func TestCORSHTTP(t *testing.T) {
	const good, evil = "http://app.example", "http://evil.example"
	cfg := testnode.Config(t)
	cfg.Server.AllowedOrigins = []string{good}
	n := testnode.Start(t, cfg)
	tok := n.Token("u1", "w1")
	key := cfg.Auth.APIKeys[0]
	publish := `{"rooms":["workspace:w1"],"type":"x.cors","data":{}}`

	do := func(method, path, origin string, hdr map[string]string, body string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, n.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		t.Cleanup(func() { _ = resp.Body.Close() })
		return resp
	}
	preflight := func(method string) map[string]string {
		return map[string]string{"Access-Control-Request-Method": method, "Access-Control-Request-Headers": "authorization,content-type,x-api-key"}
	}

	for _, c := range []struct {
		path, method, allow string
	}{
		{"/v1/publish", "POST", "POST"},
		{"/v1/catalog", "GET", "GET"},
		{"/v1/rooms/workspace:w1/presence", "GET", "GET"},
		{"/v1/sse", "GET", "GET"},
	} {
		resp := do("OPTIONS", c.path, good, preflight(c.method), "")
		h := resp.Header
		if resp.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != good ||
			h.Get("Access-Control-Allow-Methods") != c.allow || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") ||
			h.Get("Access-Control-Max-Age") == "" || h.Get("Access-Control-Allow-Credentials") != "" || h.Get("Vary") != "Origin" {
			t.Errorf("preflight %s from %s: %d %v", c.path, good, resp.StatusCode, h)
		}
		if resp := do("OPTIONS", c.path, evil, preflight(c.method), ""); resp.StatusCode != http.StatusForbidden ||
			resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight %s from %s: %d %v, want 403 without CORS headers", c.path, evil, resp.StatusCode, resp.Header)
		}
	}

	// The probe's request: a valid credential, from an origin not allowed,
	// as a browser sends it with no preflight. Refused before the handler
	// (which would answer 200), and nothing is published.
	resp := do("POST", "/v1/publish?token="+tok, evil, map[string]string{"Content-Type": "text/plain", "X-Api-Key": key}, publish)
	var werr struct{ Error struct{ Code string } }
	if err := json.NewDecoder(resp.Body).Decode(&werr); err != nil || resp.StatusCode != http.StatusForbidden || werr.Error.Code != "forbidden" {
		t.Errorf("POST /v1/publish from %s: %d %+v (err %v), want 403 forbidden", evil, resp.StatusCode, werr, err)
	}
	if resp := do("GET", "/v1/rooms/workspace:w1/presence", evil, map[string]string{"Authorization": "Bearer " + tok}, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET presence from %s: %d, want 403", evil, resp.StatusCode)
	}

	// Allowed: the answer names the origin and exposes the headers.
	resp = do("POST", "/v1/publish", good, map[string]string{"Content-Type": "application/json", "X-Api-Key": key, "X-Correlation-Id": "c-1"}, publish)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != good ||
		resp.Header.Get("Access-Control-Expose-Headers") != "ETag, X-Correlation-Id, Retry-After" || resp.Header.Get("X-Correlation-Id") != "c-1" {
		t.Errorf("POST /v1/publish from %s: %d %v", good, resp.StatusCode, resp.Header)
	}
	// No Origin (servers, curl): as before, no CORS headers.
	resp = do("POST", "/v1/publish", "", map[string]string{"Content-Type": "application/json", "X-Api-Key": key}, publish)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("POST /v1/publish without Origin: %d %v", resp.StatusCode, resp.Header)
	}
}
