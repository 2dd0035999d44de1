package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed dist
var dist embed.FS

// CSP is the Content-Security-Policy of every console answer: the page
// loads only its own script and style, and talks only to its own node
// ('self' covers ws:// and wss:// to the same host).
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Options configure the console.
type Options struct {
	// JWTSecret is the node's auth.jwt_secret. Tokens are minted only when
	// it is config.DevJWTSecret; any other value (or "") turns minting off.
	JWTSecret string
	// Issuer and Audience go into minted tokens' iss and aud (auth.issuer,
	// auth.audience), so that the node accepts them; "" leaves them out.
	Issuer, Audience string
	// TokenTTL is the lifetime of a minted token when the request names
	// none (auth.token_ttl); 0: one hour. Capped at MaxTokenTTL.
	TokenTTL time.Duration
	Logger   *slog.Logger
}

// asset is one embedded file, with what its answer needs.
type asset struct {
	body  []byte
	etag  string // quoted, for ETag and If-None-Match
	hash  string // the first 12 hex digits of its SHA-256: the ?v= of index.html
	ctype string
}

// Console serves the page, its assets and the token routes.
type Console struct {
	assets map[string]*asset
	mint   *minter // nil: minting off
	log    *slog.Logger
}

// New loads the embedded page.
func New(o Options) (*Console, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	c := &Console{assets: map[string]*asset{}, log: o.Logger.With("component", "console")}
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, fmt.Errorf("console: embedded dist: %w", err)
	}
	for _, name := range []string{"index.html", "app.js", "app.css"} {
		b, err := fs.ReadFile(sub, name)
		if err != nil {
			return nil, fmt.Errorf("console: embedded dist: %w (build clients/console)", err)
		}
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:])
		c.assets[name] = &asset{body: b, etag: `"` + h[:32] + `"`, hash: h[:12], ctype: contentType(name)}
	}
	c.mint = newMinter(o)
	if c.mint != nil {
		c.log.Warn("the console mints client tokens at POST /console/token: auth.jwt_secret is the shipped development secret")
	}
	return c, nil
}

// Mints reports whether POST /console/token mints tokens.
func (c *Console) Mints() bool { return c.mint != nil }

// Mount registers the console's routes on m (the node's API mux).
func (c *Console) Mount(m interface {
	Handle(pattern string, h http.Handler)
}) {
	m.Handle("GET /console", http.HandlerFunc(c.page))
	m.Handle("GET /console/{$}", http.HandlerFunc(c.page))
	m.Handle("GET /console/{file}", http.HandlerFunc(c.file))
	m.Handle("GET /console/token", http.HandlerFunc(c.tokenInfo))
	m.Handle("POST /console/token", http.HandlerFunc(c.tokenMint))
}

func (c *Console) page(w http.ResponseWriter, r *http.Request) {
	c.serve(w, r, c.assets["index.html"], false)
}

func (c *Console) file(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	a := c.assets[name]
	if a == nil || name == "index.html" {
		headers(w.Header())
		http.Error(w, "console: no file "+path.Join("/console", name), http.StatusNotFound)
		return
	}
	// index.html names each asset with ?v=<its hash>: that URL always
	// means these bytes, so it may be cached for good.
	c.serve(w, r, a, r.URL.Query().Get("v") == a.hash)
}

// serve writes a with its ETag; ServeContent answers If-None-Match with
// 304.
func (c *Console) serve(w http.ResponseWriter, r *http.Request, a *asset, immutable bool) {
	h := w.Header()
	headers(h)
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	if immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

// headers are set on every console answer.
func headers(h http.Header) {
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

func contentType(name string) string {
	switch {
	case strings.HasSuffix(name, ".html"):
		return "text/html; charset=utf-8"
	case strings.HasSuffix(name, ".js"):
		return "text/javascript; charset=utf-8"
	case strings.HasSuffix(name, ".css"):
		return "text/css; charset=utf-8"
	}
	return "application/octet-stream"
}
