package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestCORS drives CORS.Serve through the cases a browser produces: no
// Origin, allowed and refused origins, simple requests and preflights.
func TestCORS(t *testing.T) {
	const page = "http://127.0.0.1:9999"
	served := func(r *http.Request) []string {
		if r.URL.Path == "/v1/publish" {
			return []string{"POST"}
		}
		if r.URL.Path == "/v1/catalog" {
			return []string{"GET"}
		}
		return nil
	}
	cases := []struct {
		name       string
		allowed    []string
		method     string
		path       string
		origin     string
		acrm       string // Access-Control-Request-Method
		handled    bool
		status     int    // when handled
		allowOrig  string // Access-Control-Allow-Origin wanted ("" none)
		allowMeths string // Access-Control-Allow-Methods wanted ("" none)
	}{
		{"no origin", []string{page}, "GET", "/v1/catalog", "", "", false, 0, "", ""},
		{"no origin refused list", nil, "POST", "/v1/publish", "", "", false, 0, "", ""},
		{"allowed simple", []string{page}, "GET", "/v1/catalog", page, "", false, 0, page, ""},
		{"allowed by star", []string{"*"}, "GET", "/v1/catalog", "http://any.example", "", false, 0, "http://any.example", ""},
		{"allowed same origin", nil, "GET", "/v1/catalog", "http://node.test", "", false, 0, "http://node.test", ""},
		{"refused simple post", []string{page}, "POST", "/v1/publish", "http://evil.example", "", true, 403, "", ""},
		{"refused null by star", []string{"*"}, "GET", "/v1/catalog", "null", "", true, 403, "", ""},
		{"refused other port", []string{page}, "GET", "/v1/catalog", "http://127.0.0.1:9998", "", true, 403, "", ""},
		{"refused scheme", []string{page}, "GET", "/v1/catalog", "https://127.0.0.1:9999", "", true, 403, "", ""},
		{"refused preflight", []string{page}, "OPTIONS", "/v1/publish", "http://evil.example", "POST", true, 403, "", ""},
		{"preflight", []string{page}, "OPTIONS", "/v1/publish", page, "POST", true, 204, page, "POST"},
		{"preflight get", []string{page}, "OPTIONS", "/v1/catalog", page, "GET", true, 204, page, "GET"},
		{"preflight no route", []string{page}, "OPTIONS", "/nowhere", page, "GET", true, 404, page, ""},
		{"options not preflight", []string{page}, "OPTIONS", "/v1/publish", page, "", false, 0, page, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, "http://node.test"+c.path, strings.NewReader("{}"))
			if c.origin != "" {
				r.Header.Set("Origin", c.origin)
			}
			if c.acrm != "" {
				r.Header.Set("Access-Control-Request-Method", c.acrm)
				r.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
			}
			w := httptest.NewRecorder()
			handled := NewCORS(NewOrigins(c.allowed)).Serve(w, r, served)
			if handled != c.handled {
				t.Fatalf("handled %v, want %v", handled, c.handled)
			}
			if c.handled && w.Code != c.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, c.status, w.Body)
			}
			h := w.Result().Header
			if got := h.Get("Vary"); got != "Origin" {
				t.Errorf("Vary %q, want Origin", got)
			}
			if got := h.Get("Access-Control-Allow-Origin"); got != c.allowOrig {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, c.allowOrig)
			}
			if got := h.Get("Access-Control-Allow-Methods"); got != c.allowMeths {
				t.Errorf("Access-Control-Allow-Methods %q, want %q", got, c.allowMeths)
			}
			if got := h.Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("Access-Control-Allow-Credentials %q: credentials must stay off", got)
			}
			if c.allowOrig != "" {
				if got := h.Get("Access-Control-Expose-Headers"); got != "ETag, X-Correlation-Id, Retry-After" {
					t.Errorf("Access-Control-Expose-Headers %q", got)
				}
			} else if got := h.Get("Access-Control-Expose-Headers"); got != "" {
				t.Errorf("Access-Control-Expose-Headers %q on an origin not allowed", got)
			}
			if c.status == 204 {
				for k, want := range map[string]string{
					"Access-Control-Allow-Headers": "Authorization, Content-Type, X-Api-Key, X-Correlation-Id, If-Match, Last-Event-ID",
					"Access-Control-Max-Age":       "600",
				} {
					if got := h.Get(k); got != want {
						t.Errorf("%s %q, want %q", k, got, want)
					}
				}
			}
			if c.status == 403 {
				var body struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != "forbidden" ||
					!strings.Contains(body.Error.Message, c.origin) {
					t.Errorf("403 body %s (err %v): want code forbidden naming the origin", w.Body, err)
				}
				if h.Get("Connection") != "close" {
					t.Errorf("Connection %q, want close (the body is not read)", h.Get("Connection"))
				}
			}
		})
	}
}
