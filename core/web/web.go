// Package web holds the HTTP pieces the transports share: the Origin
// check and the JSON error body (see schema/wire).
package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/switchboard-rt/switchboard/schema/wire"
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

// WriteError writes {"error":{"code":…,"message":…}} with status.
func WriteError(w http.ResponseWriter, status int, code wire.Code, msg string) {
	wire.WriteStatus(w, status, &wire.Error{Code: code, Message: msg})
}
