package config

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/switchboard-rt/switchboard/schema/hclconf"
)

// Redacted replaces secrets in JSON output.
const Redacted = "REDACTED"

// JSON returns c as indented JSON with a trailing newline, shaped like the
// HCL file (same block and attribute names, transports under "transport"),
// for golden tests and `--print-config`. Durations are strings ("24h"),
// sizes are integers in bytes, lists are never null. Secrets are replaced by
// "REDACTED": jwt_secret, every API key, and credentials in NATS URLs and
// routes and in plugin database URLs. A plugin's opaque config block is
// shown by position only.
func (c *Config) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// MarshalJSON shows c with its lists never null.
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config
	if c.Plugins == nil {
		c.Plugins = []Plugin{}
	}
	return json.Marshal(plain(c))
}

// MarshalJSON shows s with its lists never null.
func (s Server) MarshalJSON() ([]byte, error) {
	type plain Server
	s.AllowedOrigins = list(s.AllowedOrigins, false)
	s.MetricsKey = redact(s.MetricsKey)
	return json.Marshal(plain(s))
}

// MarshalJSON shows a with jwt_secret and the API keys redacted.
func (a Auth) MarshalJSON() ([]byte, error) {
	type plain Auth
	a.JWTSecret = redact(a.JWTSecret)
	a.APIKeys = list(a.APIKeys, true)
	keys := make([]APIKey, len(a.APIKey))
	for i, k := range a.APIKey {
		keys[i] = APIKey{Name: k.Name, Key: redact(k.Key), Rooms: list(k.Rooms, false), Types: list(k.Types, false)}
	}
	a.APIKey = keys
	return json.Marshal(plain(a))
}

// MarshalJSON shows n with credentials in its URL redacted.
func (n NATS) MarshalJSON() ([]byte, error) {
	type plain NATS
	n.URL = redactURLs(n.URL)
	return json.Marshal(plain(n))
}

// MarshalJSON shows cl with credentials in its routes redacted.
func (cl Cluster) MarshalJSON() ([]byte, error) {
	type plain Cluster
	routes := make([]string, len(cl.Routes))
	for i, r := range cl.Routes {
		routes[i] = redactURLs(r)
	}
	cl.Routes = routes
	return json.Marshal(plain(cl))
}

// MarshalJSON shows p with credentials in its database URL redacted and its
// opaque config block by position ("config_at", null when absent).
func (p Plugin) MarshalJSON() ([]byte, error) {
	v := struct {
		Name     string           `json:"name"`
		Path     string           `json:"path"`
		Args     []string         `json:"args"`
		Database string           `json:"database"`
		Timeout  hclconf.Duration `json:"timeout"`
		ConfigAt *string          `json:"config_at"`
	}{p.Name, p.Path, list(p.Args, false), redactURLs(p.Database), hclconf.Duration(p.Timeout), nil}
	if p.Config != nil {
		at := pos(p.ConfigRange)
		v.ConfigAt = &at
	}
	return json.Marshal(v)
}

// list copies l, never returning nil, redacting every entry if secret.
func list(l []string, secret bool) []string {
	out := make([]string, len(l))
	for i, s := range l {
		if secret {
			s = redact(s)
		}
		out[i] = s
	}
	return out
}

func redact(s string) string {
	if s == "" {
		return ""
	}
	return Redacted
}

// redactURLs hides the user information (user:password, or a token) of each
// URL in a comma-separated list.
func redactURLs(s string) string {
	if s == "" {
		return ""
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		switch {
		case err != nil:
			parts[i] = Redacted // unparsable: do not risk printing a secret
		case u.User != nil:
			if _, has := u.User.Password(); has {
				u.User = url.UserPassword(u.User.Username(), Redacted)
			} else {
				u.User = url.User(Redacted)
			}
			parts[i] = u.String()
		}
	}
	return strings.Join(parts, ",")
}
