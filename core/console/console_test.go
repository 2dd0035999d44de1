package console_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/core/console"
)

// serve mounts a console built with o on a fresh mux.
func serve(t *testing.T, o console.Options) *httptest.Server {
	t.Helper()
	c, err := console.New(o)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	c.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// TestPageAndAssets checks the embedded page and its assets: types, the
// CSP, revalidation by ETag, and immutable caching only for the hashed
// URLs index.html names.
func TestPageAndAssets(t *testing.T) {
	srv := serve(t, console.Options{})
	for _, path := range []string{"/console", "/console/"} {
		res, body := get(t, srv.URL+path)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(body, "<title>Switchboard console</title>") {
			t.Fatalf("GET %s: %d %s: %.200s", path, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		if res.Header.Get("Content-Security-Policy") != console.CSP || res.Header.Get("Cache-Control") != "no-cache" || res.Header.Get("X-Frame-Options") != "DENY" {
			t.Fatalf("GET %s headers: %v", path, res.Header)
		}
		if res2, _ := get(t, srv.URL+path, "If-None-Match", res.Header.Get("ETag")); res2.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: %d, want 304", path, res2.StatusCode)
		}
	}
	_, page := get(t, srv.URL+"/console")
	refs := regexp.MustCompile(`(?:src|href)="(/console/app\.(?:js|css))\?v=([0-9a-f]{12})"`).FindAllStringSubmatch(page, -1)
	if len(refs) != 2 {
		t.Fatalf("index.html names %d hashed assets, want app.js and app.css: %v", len(refs), refs)
	}
	for _, ref := range refs {
		res, body := get(t, srv.URL+ref[1]+"?v="+ref[2])
		if res.StatusCode != 200 || len(body) < 1000 || res.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s?v=%s: %d %q (%d bytes)", ref[1], ref[2], res.StatusCode, res.Header.Get("Cache-Control"), len(body))
		}
		if !strings.Contains(res.Header.Get("Content-Type"), map[bool]string{true: "text/javascript", false: "text/css"}[strings.HasSuffix(ref[1], ".js")]) {
			t.Errorf("GET %s: Content-Type %s", ref[1], res.Header.Get("Content-Type"))
		}
		// Another (an old) version: revalidated, never cached for good.
		if res, _ := get(t, srv.URL+ref[1]+"?v=000000000000"); res.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s?v=stale: Cache-Control %q, want no-cache", ref[1], res.Header.Get("Cache-Control"))
		}
	}
	for _, path := range []string{"/console/nope.js", "/console/index.html"} {
		if res, _ := get(t, srv.URL+path); res.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", path, res.StatusCode)
		}
	}
}

func postToken(t *testing.T, srv *httptest.Server, ctype, body string) (int, map[string]any) {
	t.Helper()
	res, err := http.Post(srv.URL+"/console/token", ctype, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func errMessage(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

// TestMintDevOnly checks that tokens are minted with the development
// secret only, that they verify on a node with that secret (issuer and
// audience included), and that bad requests are refused, saying why.
func TestMintDevOnly(t *testing.T) {
	dev := serve(t, console.Options{JWTSecret: config.DevJWTSecret, Issuer: "iss-x", Audience: "aud-y", TokenTTL: 30 * time.Minute})
	res, info := get(t, dev.URL+"/console/token")
	if res.StatusCode != 200 || !strings.Contains(info, `"mint":true`) || !strings.Contains(info, `"ttl":"30m0s"`) {
		t.Fatalf("GET /console/token: %d %s", res.StatusCode, info)
	}
	st, out := postToken(t, dev, "application/json", `{"sub":"ada","name":"Ada Lovelace","workspaces":["w1","w2"]}`)
	tok, _ := out["token"].(string)
	if st != 200 || tok == "" {
		t.Fatalf("mint: %d %v", st, out)
	}
	a, err := auth.New(auth.Options{HS256Secret: []byte(config.DevJWTSecret), Issuer: "iss-x", Audience: "aud-y"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	p, err := a.Verify(tok)
	if err != nil {
		t.Fatalf("minted token does not verify: %v", err)
	}
	if p.User != "ada" || p.Name != "Ada Lovelace" || strings.Join(p.Workspaces, ",") != "w1,w2" {
		t.Fatalf("principal %+v", p)
	}
	if d := time.Until(p.Expires); d < 29*time.Minute || d > 31*time.Minute {
		t.Fatalf("expires in %v, want the default 30m", d)
	}
	_, out = postToken(t, dev, "application/json", `{"sub":"bob","ttl":"2h"}`)
	if p, err := a.Verify(out["token"].(string)); err != nil || time.Until(p.Expires) < 119*time.Minute {
		t.Fatalf("ttl 2h: %v %v", p, err)
	}

	for _, tc := range []struct{ name, ctype, body, want string }{
		{"no sub", "application/json", `{"workspaces":["w1"]}`, "sub: want 1 to 128"},
		{"control character", "application/json", `{"sub":"a\u0007b"}`, "sub: want 1 to 128 printable"},
		{"bad workspace", "application/json", `{"sub":"a","workspaces":["w 1"]}`, `workspaces[0]: "w 1" is not a room id`},
		{"ttl too long", "application/json", `{"sub":"a","ttl":"48h"}`, `ttl "48h": want a duration from 1m0s to 24h0m0s`},
		{"ttl not a duration", "application/json", `{"sub":"a","ttl":"soon"}`, `ttl "soon"`},
		{"unknown field", "application/json", `{"sub":"a","admin":true}`, `unknown field "admin"`},
		{"two values", "application/json", `{"sub":"a"}{"sub":"b"}`, "more than one JSON value"},
		{"too big", "application/json", `{"sub":"` + strings.Repeat("a", 5000) + `"}`, "body over 4096 bytes"},
		{"form post", "application/x-www-form-urlencoded", `sub=a`, "takes Content-Type: application/json"},
	} {
		st, out := postToken(t, dev, tc.ctype, tc.body)
		if st != 400 || !strings.Contains(errMessage(out), tc.want) {
			t.Errorf("%s: %d %v, want 400 with %q", tc.name, st, out, tc.want)
		}
	}

	// Any other secret, or none: no minting, and the answer says why.
	for _, secret := range []string{"", "a-real-production-secret-0123456789abcdef"} {
		prod := serve(t, console.Options{JWTSecret: secret})
		res, body := get(t, prod.URL+"/console/token")
		if res.StatusCode != 200 || !strings.Contains(body, `"mint":false`) || !strings.Contains(body, "does not mint tokens") {
			t.Errorf("secret %q: GET /console/token: %d %s", secret, res.StatusCode, body)
		}
		st, out := postToken(t, prod, "application/json", `{"sub":"ada"}`)
		if st != 404 || out["token"] != nil || !strings.Contains(errMessage(out), "paste a token") {
			t.Errorf("secret %q: POST /console/token: %d %v, want 404", secret, st, out)
		}
		if res, _ := get(t, prod.URL+"/console"); res.StatusCode != 200 {
			t.Errorf("secret %q: the page itself: %d", secret, res.StatusCode)
		}
	}
}
