// Package web holds the HTTP pieces the transports and the API share: the
// Origin check and the response headers every answer carries. Error bodies
// are written by schema/wire.
package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/switchboard-rt/switchboard/schema/wire"
)

// Origins checks the Origin header of browser requests.
type Origins struct {
	any   bool
	exact map[string]bool
}

// NewOrigins accepts "*" (any origin but "null") or a list of origins such
// as "https://app.example.com". An empty list allows only same-origin
// requests (same scheme and host). Requests without an Origin header
// (non-browser clients) are always allowed. The opaque origin "null"
// (sandboxed iframes, file: pages, some redirects) is refused unless
// "null" is listed itself.
func NewOrigins(allowed []string) *Origins {
	o := &Origins{exact: make(map[string]bool)}
	for _, a := range allowed {
		if a == "*" {
			o.any = true
		}
		o.exact[strings.ToLower(strings.TrimRight(a, "/"))] = true
	}
	return o
}

// Allowed reports whether r's Origin may connect.
func (o *Origins) Allowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	lower := strings.ToLower(origin)
	if lower == "null" {
		return o.exact["null"]
	}
	if o.any || o.exact[lower] {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return strings.EqualFold(u.Scheme, scheme) && strings.EqualFold(u.Host, r.Host)
}

// RefuseBeforeBody writes e on a request whose body is not read and closes
// the connection after the answer: a read deadline of now keeps net/http
// from draining up to 256 KiB of the body, at the sender's pace, to reuse
// the connection.
func RefuseBeforeBody(w http.ResponseWriter, e *wire.Error) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
	w.Header().Set("Connection", "close")
	wire.Write(w, e)
}

// SetHeaders sets the headers every answer of the node carries:
// X-Content-Type-Options: nosniff, and Cache-Control: no-store (answers are
// per-user and live; handlers that stream may set their own).
func SetHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}
