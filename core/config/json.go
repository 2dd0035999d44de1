package config

import (
	"encoding/json"
	"net/url"
	"strings"
)

// Redacted replaces secrets in JSON output.
const Redacted = "REDACTED"

// JSON returns c as indented JSON with a trailing newline, shaped like the
// HCL file (same block and attribute names, transports under "transport"),
// for golden tests and `--print-config`. Durations are strings ("24h"),
// sizes are integers in bytes, lists are never null. Secrets are replaced by
// "REDACTED": jwt_secret, every API key, and credentials in NATS URLs and
// routes. A plugin's opaque config block is shown by position only.
func (c *Config) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(c.jsonView(), "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

type (
	jsonConfig struct {
		Filename  string         `json:"filename"`
		Server    jsonServer     `json:"server"`
		Auth      jsonAuth       `json:"auth"`
		NATS      jsonNATS       `json:"nats"`
		History   jsonHistory    `json:"history"`
		Hub       jsonHub        `json:"hub"`
		Transport jsonTransports `json:"transport"`
		Publish   jsonPublish    `json:"publish"`
		Plugins   []jsonPlugin   `json:"plugin"`
	}
	jsonServer struct {
		Listen          string   `json:"listen"`
		DataDir         string   `json:"data_dir"`
		AllowedOrigins  []string `json:"allowed_origins"`
		ShutdownTimeout string   `json:"shutdown_timeout"`
		LogLevel        string   `json:"log_level"`
		LogFormat       string   `json:"log_format"`
	}
	jsonAuth struct {
		JWTSecret  string   `json:"jwt_secret"`
		JWKSFile   string   `json:"jwks_file"`
		Issuer     string   `json:"issuer"`
		Audience   string   `json:"audience"`
		Leeway     string   `json:"leeway"`
		TokenTTL   string   `json:"token_ttl"`
		APIKeys    []string `json:"api_keys"`
		DevSecrets bool     `json:"dev_secrets"`
	}
	jsonNATS struct {
		URL          string       `json:"url"`
		ServerName   string       `json:"server_name"`
		Listen       string       `json:"listen"`
		Cluster      *jsonCluster `json:"cluster"`
		Replicas     int          `json:"replicas"`
		SyncInterval string       `json:"sync_interval"`
		SyncAlways   bool         `json:"sync_always"`
		MaxPending   int          `json:"max_pending"`
	}
	jsonCluster struct {
		Name   string   `json:"name"`
		Listen string   `json:"listen"`
		Routes []string `json:"routes"`
	}
	jsonHistory struct {
		MaxAge          string `json:"max_age"`
		MaxMsgs         int64  `json:"max_msgs"`
		MaxBytes        int64  `json:"max_bytes"`
		DuplicateWindow string `json:"duplicate_window"`
		Stream          string `json:"stream"`
	}
	jsonHub struct {
		Shards             int  `json:"shards"`
		Presence           bool `json:"presence"`
		PresenceMaxMembers int  `json:"presence_max_members"`
		DirectWrites       int  `json:"direct_writes"`
	}
	jsonTransports struct {
		WS  jsonWS  `json:"ws"`
		SSE jsonSSE `json:"sse"`
	}
	jsonWS struct {
		Enabled          bool    `json:"enabled"`
		Path             string  `json:"path"`
		MaxFrameBytes    int64   `json:"max_frame_bytes"`
		MaxRooms         int     `json:"max_rooms"`
		QueueBytes       int64   `json:"queue_bytes"`
		PingInterval     string  `json:"ping_interval"`
		IdleTimeout      string  `json:"idle_timeout"`
		WriteTimeout     string  `json:"write_timeout"`
		HandshakeTimeout string  `json:"handshake_timeout"`
		RateLimit        float64 `json:"rate_limit"`
		RateBurst        int     `json:"rate_burst"`
		MaxErrors        int     `json:"max_errors"`
	}
	jsonSSE struct {
		Enabled      bool   `json:"enabled"`
		Path         string `json:"path"`
		MaxRooms     int    `json:"max_rooms"`
		QueueBytes   int64  `json:"queue_bytes"`
		Keepalive    string `json:"keepalive"`
		Retry        string `json:"retry"`
		WriteTimeout string `json:"write_timeout"`
	}
	jsonPublish struct {
		MaxBodyBytes  int64 `json:"max_body_bytes"`
		MaxBatch      int   `json:"max_batch"`
		MaxRooms      int   `json:"max_rooms"`
		MaxEventBytes int64 `json:"max_event_bytes"`
		StrictTypes   bool  `json:"strict_types"`
	}
	jsonPlugin struct {
		Name     string   `json:"name"`
		Path     string   `json:"path"`
		Args     []string `json:"args"`
		Database string   `json:"database"`
		Timeout  string   `json:"timeout"`
		ConfigAt *string  `json:"config_at"` // position of the opaque config block, or null
	}
)

func (c *Config) jsonView() jsonConfig {
	d := formatDuration
	v := jsonConfig{
		Filename: c.Filename,
		Server: jsonServer{
			Listen: c.Server.Listen, DataDir: c.Server.DataDir,
			AllowedOrigins:  list(c.Server.AllowedOrigins, false),
			ShutdownTimeout: d(c.Server.ShutdownTimeout),
			LogLevel:        c.Server.LogLevel, LogFormat: c.Server.LogFormat,
		},
		Auth: jsonAuth{
			JWTSecret: redact(c.Auth.JWTSecret), JWKSFile: c.Auth.JWKSFile,
			Issuer: c.Auth.Issuer, Audience: c.Auth.Audience,
			Leeway: d(c.Auth.Leeway), TokenTTL: d(c.Auth.TokenTTL),
			APIKeys: list(c.Auth.APIKeys, true), DevSecrets: c.Auth.DevSecrets,
		},
		NATS: jsonNATS{
			URL: redactURLs(c.NATS.URL), ServerName: c.NATS.ServerName, Listen: c.NATS.Listen,
			Replicas: c.NATS.Replicas, SyncInterval: d(c.NATS.SyncInterval),
			SyncAlways: c.NATS.SyncAlways, MaxPending: c.NATS.MaxPending,
		},
		History: jsonHistory{
			MaxAge: d(c.History.MaxAge), MaxMsgs: c.History.MaxMsgs, MaxBytes: c.History.MaxBytes,
			DuplicateWindow: d(c.History.DuplicateWindow), Stream: c.History.Stream,
		},
		Hub: jsonHub{Shards: c.Hub.Shards, Presence: c.Hub.Presence, PresenceMaxMembers: c.Hub.PresenceMaxMembers,
			DirectWrites: c.Hub.DirectWrites},
		Transport: jsonTransports{
			WS: jsonWS{
				Enabled: c.WS.Enabled, Path: c.WS.Path, MaxFrameBytes: c.WS.MaxFrameBytes,
				MaxRooms: c.WS.MaxRooms, QueueBytes: c.WS.QueueBytes,
				PingInterval: d(c.WS.PingInterval), IdleTimeout: d(c.WS.IdleTimeout),
				WriteTimeout: d(c.WS.WriteTimeout), HandshakeTimeout: d(c.WS.HandshakeTimeout),
				RateLimit: c.WS.RateLimit, RateBurst: c.WS.RateBurst, MaxErrors: c.WS.MaxErrors,
			},
			SSE: jsonSSE{
				Enabled: c.SSE.Enabled, Path: c.SSE.Path, MaxRooms: c.SSE.MaxRooms,
				QueueBytes: c.SSE.QueueBytes, Keepalive: d(c.SSE.Keepalive),
				Retry: d(c.SSE.Retry), WriteTimeout: d(c.SSE.WriteTimeout),
			},
		},
		Publish: jsonPublish{
			MaxBodyBytes: c.Publish.MaxBodyBytes, MaxBatch: c.Publish.MaxBatch,
			MaxRooms: c.Publish.MaxRooms, MaxEventBytes: c.Publish.MaxEventBytes,
			StrictTypes: c.Publish.StrictTypes,
		},
		Plugins: []jsonPlugin{},
	}
	if cl := c.NATS.Cluster; cl != nil {
		routes := make([]string, len(cl.Routes))
		for i, r := range cl.Routes {
			routes[i] = redactURLs(r)
		}
		v.NATS.Cluster = &jsonCluster{Name: cl.Name, Listen: cl.Listen, Routes: routes}
	}
	for _, p := range c.Plugins {
		jp := jsonPlugin{Name: p.Name, Path: p.Path, Args: append([]string{}, p.Args...), Database: redactURLs(p.Database), Timeout: formatDuration(p.Timeout)}
		if p.Config != nil {
			at := pos(p.ConfigRange)
			jp.ConfigAt = &at
		}
		v.Plugins = append(v.Plugins, jp)
	}
	return v
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
