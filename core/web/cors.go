// CORS: what lets a page served from another origin use the node's SSE
// stream and REST routes (docs/PROTOCOL.md §1), and what keeps a page from
// an origin not allowed out of them.

package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-rt/switchboard/schema/wire"
)

// CORSAllowHeaders are the request headers a cross-origin page may send
// (answered in Access-Control-Allow-Headers).
var CORSAllowHeaders = []string{"Authorization", "Content-Type", "X-Api-Key", "X-Correlation-Id", "If-Match", "Last-Event-ID"}

// CORSExposeHeaders are the response headers a cross-origin page may read
// (answered in Access-Control-Expose-Headers).
var CORSExposeHeaders = []string{"ETag", "X-Correlation-Id", "Retry-After"}

// CORSMaxAge is how long a browser may cache a preflight answer. Chromium
// caps it at 2 hours; 10 minutes lets a changed allowed_origins take hold
// soon.
const CORSMaxAge = 10 * time.Minute

// CORS answers cross-origin requests from the origins an Origins allows.
// Credentials stay off (no Access-Control-Allow-Credentials): tokens
// travel in the Authorization header or ?token=, never in cookies.
type CORS struct {
	origins *Origins
	allow   string
	expose  string
	maxAge  string
}

// NewCORS answers for origins (see NewOrigins).
func NewCORS(origins *Origins) *CORS {
	return &CORS{origins: origins, allow: strings.Join(CORSAllowHeaders, ", "),
		expose: strings.Join(CORSExposeHeaders, ", "), maxAge: strconv.Itoa(int(CORSMaxAge.Seconds()))}
}

// Serve handles the CORS part of r before any handler runs; it reports
// whether it answered r itself (the caller then stops).
//
//   - Every answer varies by Origin.
//   - No Origin header (servers, curl): nothing else happens.
//   - An Origin not allowed: 403 forbidden, without CORS headers, before
//     the body is read, whatever the method (a browser sends a simple
//     POST with no preflight).
//   - An allowed Origin: Access-Control-Allow-Origin echoes it and
//     Access-Control-Expose-Headers is set. A preflight (OPTIONS with
//     Access-Control-Request-Method) is answered 204 with the methods the
//     path serves, as methods reports them, the allowed headers and a
//     max age; a path serving none is 404.
func (c *CORS) Serve(w http.ResponseWriter, r *http.Request, methods func(*http.Request) []string) bool {
	h := w.Header()
	h.Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	if !c.origins.Allowed(r) {
		RefuseBeforeBody(w, wire.NewError(wire.Forbidden, "origin "+strconv.Quote(origin)+" not allowed (server.allowed_origins)"))
		return true
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", c.expose)
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	served := methods(r)
	if len(served) == 0 {
		wire.Write(w, wire.NewError(wire.NotFound, "no route for "+r.URL.Path))
		return true
	}
	h.Set("Access-Control-Allow-Methods", strings.Join(served, ", "))
	h.Set("Access-Control-Allow-Headers", c.allow)
	h.Set("Access-Control-Max-Age", c.maxAge)
	w.WriteHeader(http.StatusNoContent)
	return true
}
