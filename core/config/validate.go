package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-rt/switchboard/schema/hclconf"
)

// Validate checks every field and returns all problems joined with
// errors.Join, each an *Error named by its config path, e.g.
// `transport "ws": max_frame_bytes: must be > 0`. Load and Parse run it
// already (and add file positions); call it after changing a Config in Go.
func (c *Config) Validate() error { return errors.Join(c.validate(nil)...) }

func (c *Config) validate(src *sources) []error {
	v := &validator{src: src}
	v.server(&c.Server)
	v.auth(&c.Auth)
	v.nats(&c.NATS)
	v.history(&c.History)
	if n := c.Hub.Shards; n <= 0 || n&(n-1) != 0 {
		v.errf("hub", "shards", "must be a power of two (1, 2, 4, … 64, …), got %d", n)
	}
	if c.Hub.PresenceMaxMembers < 0 {
		v.errf("hub", "presence_max_members", "must be >= 0 (0 = no limit), got %d", c.Hub.PresenceMaxMembers)
	}
	v.nonNegativeDur("hub", "presence_debounce", c.Hub.PresenceDebounce)
	v.nonNegativeDur("hub", "presence_flush", c.Hub.PresenceFlush)
	for i, k := range c.Hub.AutoJoin {
		switch {
		case k != "user" && k != "workspace":
			v.errf("hub", fmt.Sprintf("auto_join[%d]", i), `must be "user" or "workspace" (the kinds joined from the token), got %q`, k)
		case slices.Contains(c.Hub.AutoJoin[:i], k):
			v.errf("hub", fmt.Sprintf("auto_join[%d]", i), "%q is listed twice", k)
		}
	}
	if c.Hub.DirectWrites < 0 {
		v.errf("hub", "direct_writes", "must be >= 0 (0 = off), got %d", c.Hub.DirectWrites)
	}
	v.transports(c)
	v.publish(&c.Publish)
	v.telemetry(&c.Server, &c.Telemetry) // validate_telemetry.go
	v.plugins(c.Plugins)
	return v.errs
}

// validator collects problems; with sources it adds where each value came from.
type validator struct {
	src  *sources
	errs []error
}

// errf records a problem with block's attr; attr "" means the block itself.
func (v *validator) errf(block, attr, format string, args ...any) {
	key := block
	if attr != "" {
		key = path(block, attr)
	}
	e := &Error{Summary: key, Detail: fmt.Sprintf(format, args...)}
	if v.src != nil {
		base := key
		if i := strings.IndexByte(attr, '['); i > 0 {
			base = path(block, attr[:i])
		}
		if name, ok := v.src.env[base]; ok {
			e.Detail += " (set by " + name + ")"
		} else if r, ok := v.src.ranges[key]; ok {
			e.Range = &r
		} else if r, ok := v.src.ranges[base]; ok {
			e.Range = &r
		} else if r, ok := v.src.ranges[block]; ok {
			e.Range = &r
		}
	}
	v.errs = append(v.errs, e)
}

func (v *validator) positive(block, attr string, n int64) {
	if n <= 0 {
		v.errf(block, attr, "must be > 0, got %d", n)
	}
}

func (v *validator) positiveDur(block, attr string, d hclconf.Duration) {
	if d <= 0 {
		v.errf(block, attr, "must be > 0, got %q", d)
	}
}

func (v *validator) nonNegativeDur(block, attr string, d hclconf.Duration) {
	if d < 0 {
		v.errf(block, attr, "must not be negative, got %q", d)
	}
}

func (v *validator) hostPort(block, attr, s string) {
	_, port, err := net.SplitHostPort(s)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		v.errf(block, attr, `must be host:port such as ":8080" or "127.0.0.1:8080", got %q`, s)
	}
}

func (v *validator) oneOf(block, attr, s string, allowed ...string) {
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	v.errf(block, attr, "must be one of %s, got %q", strings.Join(allowed, ", "), s)
}

func (v *validator) server(s *Server) {
	const p = "server"
	v.hostPort(p, "listen", s.Listen)
	if s.DataDir == "" {
		v.errf(p, "data_dir", "must be set")
	}
	for i, o := range s.AllowedOrigins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil || u.Path != "" ||
			u.RawQuery != "" || u.Fragment != "" {
			v.errf(p, fmt.Sprintf("allowed_origins[%d]", i),
				`must be "*" or an origin such as "https://app.example.com" (no path), got %q`, o)
		}
	}
	for i, t := range s.TrustedProxies {
		if _, err := parsePrefix(t); err != nil {
			v.errf(p, fmt.Sprintf("trusted_proxies[%d]", i), `must be an IP or a CIDR range such as "10.0.0.0/8", got %q`, t)
		}
	}
	v.positiveDur(p, "shutdown_timeout", s.ShutdownTimeout)
	v.oneOf(p, "log_level", s.LogLevel, "debug", "info", "warn", "error")
	v.oneOf(p, "log_format", s.LogFormat, "text", "json")
}

func (v *validator) auth(a *Auth) {
	const p = "auth"
	switch {
	case a.JWTSecret == "" && a.JWKSFile == "" && a.JWKSURL == "":
		v.errf(p, "jwt_secret", "must be set unless jwks_file or jwks_url is set")
	case a.JWTSecret != "" && len(a.JWTSecret) < 32:
		v.errf(p, "jwt_secret", "must be at least 32 bytes (HS256 key size), got %d", len(a.JWTSecret))
	}
	if a.JWKSURL != "" {
		// Messages show the scheme only: the URL is not echoed (see isURL).
		switch u, err := url.Parse(a.JWKSURL); {
		case err != nil || u.Scheme == "":
			v.errf(p, "jwks_url", `must be a URL such as "https://idp.example/.well-known/jwks.json"`)
		case u.Scheme != "http" && u.Scheme != "https":
			v.errf(p, "jwks_url", "must be an http or https URL, got scheme %q", u.Scheme)
		case u.Host == "" || u.Opaque != "":
			v.errf(p, "jwks_url", `must name a host, as in "https://idp.example/.well-known/jwks.json"`)
		case u.User != nil:
			v.errf(p, "jwks_url", "must not contain credentials (user:password@)")
		}
	}
	v.positiveDur(p, "jwks_refresh", a.JWKSRefresh)
	v.nonNegativeDur(p, "leeway", a.Leeway)
	v.nonNegativeDur(p, "expiry_grace", a.ExpiryGrace)
	v.positiveDur(p, "token_ttl", a.TokenTTL)
	for i, k := range a.APIKeys {
		if strings.TrimSpace(k) == "" {
			v.errf(p, fmt.Sprintf("api_keys[%d]", i), "must not be empty")
		} else if strings.TrimSpace(k) != k {
			v.errf(p, fmt.Sprintf("api_keys[%d]", i), "must not begin or end with white space")
		}
	}
	v.apiKeys(a)
}

func (v *validator) nats(n *NATS) {
	const p = "nats"
	if n.URL != "" {
		for i, u := range strings.Split(n.URL, ",") {
			if !isURL(strings.TrimSpace(u)) {
				v.errf(p, "url", `entry %d is not a URL such as "nats://10.0.0.1:4222"`, i+1)
			}
		}
		if n.Listen != "" {
			v.errf(p, "listen", "must not be set with url: there is no embedded server")
		}
		if n.Cluster != nil {
			v.errf("nats: cluster", "", "must not be present with url: there is no embedded server")
		}
	}
	if strings.ContainsAny(n.ServerName, " \t\r\n") {
		v.errf(p, "server_name", "must not contain white space")
	}
	if n.Listen != "" {
		v.hostPort(p, "listen", n.Listen)
	}
	switch {
	case n.Replicas < 1 || n.Replicas > 5:
		v.errf(p, "replicas", "must be from 1 to 5, got %d", n.Replicas)
	case n.Replicas > 1 && n.Cluster == nil && n.URL == "":
		v.errf(p, "replicas", "must be 1 without a cluster block or url, got %d", n.Replicas)
	}
	v.nonNegativeDur(p, "sync_interval", n.SyncInterval)
	v.positive(p, "max_pending", int64(n.MaxPending))
	v.positiveDur(p, "heartbeat", n.Heartbeat)
	if n.Heartbeat > 0 && n.PeerTimeout <= n.Heartbeat {
		v.errf(p, "peer_timeout", "must be longer than heartbeat (%s), got %s", n.Heartbeat, n.PeerTimeout)
	}
	if cl := n.Cluster; cl != nil {
		const cp = "nats: cluster"
		if cl.Listen == "" {
			v.errf(cp, "listen", `must be set when the cluster block is present, e.g. "127.0.0.1:6222"`)
		} else {
			v.hostPort(cp, "listen", cl.Listen)
		}
		for i, r := range cl.Routes {
			if !isURL(r) {
				v.errf(cp, fmt.Sprintf("routes[%d]", i), `must be a URL such as "nats://10.0.0.2:6222"`)
			}
		}
	}
}

// isURL reports whether s looks like scheme://host[:port]. It does not echo
// s, which may hold credentials, into messages.
func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && u.Host != ""
}

func (v *validator) history(h *History) {
	const p = "history"
	v.nonNegativeDur(p, "max_age", h.MaxAge)
	if h.MaxMsgs < 0 {
		v.errf(p, "max_msgs", "must not be negative (0 means unlimited), got %d", h.MaxMsgs)
	}
	if h.MaxBytes < 0 {
		v.errf(p, "max_bytes", "must not be negative (0 means unlimited), got %d", h.MaxBytes)
	}
	v.nonNegativeDur(p, "duplicate_window", h.DuplicateWindow)
	if h.MaxAge > 0 && h.DuplicateWindow > 0 && h.MaxAge < h.DuplicateWindow {
		v.errf(p, "max_age", "must be at least duplicate_window (%s), got %q",
			h.DuplicateWindow, h.MaxAge.String())
	}
	switch {
	case h.Stream == "":
		v.errf(p, "stream", "must be set")
	case strings.ContainsAny(h.Stream, " \t\r\n.*>/\\"):
		v.errf(p, "stream", `must not contain white space, ".", "*", ">", "/" or "\", got %q`, h.Stream)
	}
}
