package auth

import (
	"net/http"
	"strings"
)

// FromRequest verifies the client token of an HTTP request: the
// "Authorization: Bearer <token>" header (scheme case-insensitive) if present,
// else the "token" query parameter, which browsers need because WebSocket and
// EventSource cannot set headers. A bearer token in the header is never
// overridden by the query. With neither, the error is ErrNoToken.
func (a *Authenticator) FromRequest(r *http.Request) (*Principal, error) {
	if r == nil {
		return nil, ErrNoToken
	}
	tok := bearerToken(r.Header.Get("Authorization"))
	if tok == "" && r.URL != nil {
		tok = r.URL.Query().Get("token")
	}
	if tok == "" {
		return nil, ErrNoToken
	}
	return a.Verify(tok)
}

// bearerToken extracts the credentials of a Bearer Authorization header, or "".
func bearerToken(h string) string {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(rest)
}

// CheckAPIKey reports whether key is one of the configured API keys,
// scoped or not (see APIKeyFromRequest for its scope). An empty key is
// always refused.
func (a *Authenticator) CheckAPIKey(key string) bool {
	_, ok := a.checkAPIKey(key)
	return ok
}
