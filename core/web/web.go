// Package web holds the HTTP piece the transports share: the Origin check.
// Error bodies are written by schema/wire.
package web

import (
	"net/http"
	"net/url"
	"strings"
)

// Origins checks the Origin header of browser requests.
type Origins struct {
	any   bool
	exact map[string]bool
}

// NewOrigins accepts "*" (any origin) or a list of origins such as
// "https://app.example.com". An empty list allows only same-origin
// requests. Requests without an Origin header (non-browser clients) are
// always allowed.
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
	if origin == "" || o.any {
		return true
	}
	if o.exact[strings.ToLower(origin)] {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}
