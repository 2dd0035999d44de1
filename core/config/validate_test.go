package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/schema/hclconf"
	"github.com/switchboard-rt/switchboard/transports/sse"
	"github.com/switchboard-rt/switchboard/transports/ws"

	"github.com/switchboard-rt/switchboard/core/config"
)

// TestValidate changes one field of DefaultConfig in Go and checks the whole
// message: the config path, and no position since there is no file.
func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *config.Config)
		want   string
	}{
		{"listen", func(c *config.Config) { c.Server.Listen = "localhost" },
			`server: listen: must be host:port such as ":8080" or "127.0.0.1:8080", got "localhost"`},
		{"listen port", func(c *config.Config) { c.Server.Listen = ":99999" },
			`server: listen: must be host:port such as ":8080" or "127.0.0.1:8080", got ":99999"`},
		{"data dir", func(c *config.Config) { c.Server.DataDir = "" }, `server: data_dir: must be set`},
		{"origin with path", func(c *config.Config) { c.Server.AllowedOrigins = []string{"*", "https://a.example/"} },
			`server: allowed_origins[1]: must be "*" or an origin such as "https://app.example.com" (no path), got "https://a.example/"`},
		{"trusted proxy", func(c *config.Config) { c.Server.TrustedProxies = []string{"10.0.0.0/8", "10.0.0.0/33"} },
			`server: trusted_proxies[1]: must be an IP or a CIDR range such as "10.0.0.0/8", got "10.0.0.0/33"`},
		{"auto join kind", func(c *config.Config) { c.Hub.AutoJoin = []string{"user", "project"} },
			`hub: auto_join[1]: must be "user" or "workspace" (the kinds joined from the token), got "project"`},
		{"auto join twice", func(c *config.Config) { c.Hub.AutoJoin = []string{"user", "user"} },
			`hub: auto_join[1]: "user" is listed twice`},
		{"log format", func(c *config.Config) { c.Server.LogFormat = "logfmt" },
			`server: log_format: must be one of text, json, got "logfmt"`},
		{"shutdown timeout", func(c *config.Config) { c.Server.ShutdownTimeout = 0 },
			`server: shutdown_timeout: must be > 0, got "0s"`},
		{"no jwt key", func(c *config.Config) { c.Auth.JWTSecret = "" },
			`auth: jwt_secret: must be set unless jwks_file or jwks_url is set`},
		{"jwks url scheme", func(c *config.Config) { c.Auth.JWKSURL = "ftp://idp.example/jwks.json" },
			`auth: jwks_url: must be an http or https URL, got scheme "ftp"`},
		{"jwks refresh", func(c *config.Config) { c.Auth.JWKSRefresh = 0 }, `auth: jwks_refresh: must be > 0, got "0s"`},
		{"negative leeway", func(c *config.Config) { c.Auth.Leeway = hclconf.Duration(-time.Second) },
			`auth: leeway: must not be negative, got "-1s"`},
		{"api key spaces", func(c *config.Config) { c.Auth.APIKeys = []string{" k "} },
			`auth: api_keys[0]: must not begin or end with white space`},
		{"nats url", func(c *config.Config) { c.NATS.URL = "nats://a:4222,localhost" },
			`nats: url: entry 2 is not a URL such as "nats://10.0.0.1:4222"`},
		{"nats url with cluster", func(c *config.Config) {
			c.NATS.URL = "nats://a:4222"
			c.NATS.Cluster = &config.Cluster{Listen: ":6222"}
		}, `nats: cluster: must not be present with url: there is no embedded server`},
		{"replicas without cluster", func(c *config.Config) { c.NATS.Replicas = 3 },
			`nats: replicas: must be 1 without a cluster block or url, got 3`},
		{"replicas", func(c *config.Config) { c.NATS.Replicas = 0 }, `nats: replicas: must be from 1 to 5, got 0`},
		{"max pending", func(c *config.Config) { c.NATS.MaxPending = 0 }, `nats: max_pending: must be > 0, got 0`},
		{"route", func(c *config.Config) {
			c.NATS.Cluster = &config.Cluster{Listen: ":6222", Routes: []string{"10.0.0.2"}}
		},
			`nats: cluster: routes[0]: must be a URL such as "nats://10.0.0.2:6222"`},
		{"history negative", func(c *config.Config) { c.History.MaxMsgs = -1 },
			`history: max_msgs: must not be negative (0 means unlimited), got -1`},
		{"stream name", func(c *config.Config) { c.History.Stream = "rooms.v1" },
			`history: stream: must not contain white space, ".", "*", ">", "/" or "\", got "rooms.v1"`},
		{"shards zero", func(c *config.Config) { c.Hub.Shards = 0 },
			`hub: shards: must be a power of two (1, 2, 4, … 64, …), got 0`},
		{"direct writes", func(c *config.Config) { c.Hub.DirectWrites = -1 },
			`hub: direct_writes: must be >= 0 (0 = off), got -1`},
		{"ws path", func(c *config.Config) { ws.ConfigOf(c).Path = "ws" }, `transport "ws": path: must start with "/", got "ws"`},
		{"same paths", func(c *config.Config) { ws.ConfigOf(c).Path = sse.ConfigOf(c).Path },
			`transport "ws": path: "/v1/sse" is already the sse path`},
		{"idle below ping", func(c *config.Config) { ws.ConfigOf(c).IdleTimeout = hclconf.Duration(20 * time.Second) },
			`transport "ws": idle_timeout: must be longer than ping_interval (25s), got "20s"`},
		{"rate limit", func(c *config.Config) { ws.ConfigOf(c).RateLimit = 0 }, `transport "ws": rate_limit: must be > 0, got 0`},
		{"queue below event", func(c *config.Config) { sse.ConfigOf(c).QueueBytes = 1000 },
			`transport "sse": queue_bytes: must be at least publish max_event_bytes (65536), got 1000`},
		{"keepalive", func(c *config.Config) { sse.ConfigOf(c).Keepalive = 0 }, `transport "sse": keepalive: must be > 0, got "0s"`},
		{"event above body", func(c *config.Config) { c.Publish.MaxBodyBytes = 32 << 10 },
			`publish: max_event_bytes: must not exceed max_body_bytes (32768), got 65536`},
		{"no transport", func(c *config.Config) { c.Transports.Get("ws").Enabled, c.Transports.Get("sse").Enabled = false, false },
			`transport: at least one transport ("sse" or "ws") must be enabled`},
		{"duplicate plugin", func(c *config.Config) {
			c.Plugins = []config.Plugin{{Name: "a", Path: "x"}, {Name: "a", Path: "y"}}
		}, `plugin "a": is defined more than once`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.DefaultConfig()
			tt.change(c)
			err := c.Validate()
			if err == nil || err.Error() != tt.want {
				t.Errorf("Validate() = %v\nwant %s", err, tt.want)
			}
			if !errors.Is(err, config.ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false")
			}
		})
	}
}

func TestValidateJoinsAllErrors(t *testing.T) {
	c := config.DefaultConfig()
	ws.ConfigOf(c).MaxFrameBytes = 0
	c.Hub.Shards = 3
	c.Server.LogLevel = "loud"
	want := `server: log_level: must be one of debug, info, warn, error, got "loud"
hub: shards: must be a power of two (1, 2, 4, … 64, …), got 3
transport "ws": max_frame_bytes: must be > 0, got 0`
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate() =\n%v\nwant\n%s", err, want)
	}
	var all interface{ Unwrap() []error }
	if !errors.As(c.Validate(), &all) || len(all.Unwrap()) != 3 {
		t.Errorf("Validate() does not join 3 errors")
	}
}

func TestJSONRedactsNATSCredentials(t *testing.T) {
	c := config.DefaultConfig()
	c.NATS.URL = "nats://s3cr3t-token@a:4222, nats://user:pa55@b:4222,nats://c:4222"
	out := mustJSON(t, c)
	for _, secret := range []string{"s3cr3t", "pa55", config.DevJWTSecret, config.DevAPIKey} {
		if strings.Contains(out, secret) {
			t.Errorf("JSON shows %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, `"url": "nats://REDACTED@a:4222,nats://user:REDACTED@b:4222,nats://c:4222"`) {
		t.Errorf("url not redacted as expected:\n%s", out)
	}
}
