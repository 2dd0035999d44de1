package config

import (
	"net/netip"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/switchboard-rt/switchboard/schema/hclconf"
)

// The development secrets shipped in DefaultConfig and in the repository's
// config.hcl. Auth.DevSecrets reports whether a loaded config still uses them,
// so that `serve` can warn when it listens on a non-loopback address.
const (
	DevJWTSecret = "dev-only-insecure-jwt-secret-change-me"
	DevAPIKey    = "dev-only-insecure-api-key"
)

// Config is the whole router configuration. Build it with DefaultConfig, Load
// or Parse; every field has a default in DefaultConfig, and the comments on
// each field say what its zero value means. The struct is both what the HCL
// file decodes into (hcl tags, see hclconf.Decoder) and the JSON view of
// Config.JSON (json tags; secrets are redacted by the blocks that hold them).
//
// Relative paths (Server.DataDir, Auth.JWKSFile, Plugin.Path) are kept as
// written: they are resolved against the process's working directory, not
// against the directory of the config file.
type Config struct {
	// Filename is the file the config was read from; "" for DefaultConfig.
	Filename string  `hcl:"-" json:"filename"`
	Server   Server  `hcl:"server,block" json:"server"`
	Auth     Auth    `hcl:"auth,block" json:"auth"`
	NATS     NATS    `hcl:"nats,block" json:"nats"`
	History  History `hcl:"history,block" json:"history"`
	Hub      Hub     `hcl:"hub,block" json:"hub"`
	// Transports has one entry per registered transport, in the registry's
	// order, each with its own settings (see TransportConfig).
	Transports Transports `hcl:"transport,block" json:"transport"`
	Publish    Publish    `hcl:"publish,block" json:"publish"`
	Telemetry  Telemetry  `hcl:"telemetry,block" json:"telemetry"`
	// Plugins in file order; one per plugin "NAME" { ... } block. Empty: no plugins.
	Plugins []Plugin `hcl:"plugin,block" json:"plugin"`
}

// Server is the `server` block: the HTTP listener and process-wide settings.
type Server struct {
	// Listen is the HTTP address, host:port. ":8080" listens on all interfaces;
	// port 0 picks a free port. Zero ("") is invalid.
	Listen string `hcl:"listen" json:"listen"`
	// DataDir holds the embedded NATS file store and plugin databases.
	// Relative to the working directory. Zero ("") is invalid.
	DataDir string `hcl:"data_dir" json:"data_dir"`
	// AllowedOrigins lists the browser origins ("https://app.example.com")
	// allowed to open WebSocket/SSE connections; "*" allows any. Empty (the
	// zero value) allows same-origin requests only (Origin host == Host) and
	// requests without an Origin header.
	AllowedOrigins []string `hcl:"allowed_origins" json:"allowed_origins"`
	// ShutdownTimeout bounds graceful shutdown. Zero is invalid.
	ShutdownTimeout hclconf.Duration `hcl:"shutdown_timeout" json:"shutdown_timeout"`
	// LogLevel is debug, info, warn or error. Zero ("") is invalid.
	LogLevel string `hcl:"log_level" json:"log_level"`
	// LogFormat is text or json. Zero ("") is invalid.
	LogFormat string `hcl:"log_format" json:"log_format"`
	// BodyTimeout bounds reading one request's body, and again writing its
	// answer, on the API routes; WebSocket and SSE streams are not bound.
	// Zero: no bound.
	BodyTimeout hclconf.Duration `hcl:"body_timeout" json:"body_timeout"`
	// IdleTimeout closes a keep-alive connection idle this long. Zero: no bound.
	IdleTimeout hclconf.Duration `hcl:"idle_timeout" json:"idle_timeout"`
	// MaxConnsPerIP caps concurrent WebSocket+SSE connections per client IP. Zero: off.
	MaxConnsPerIP int `hcl:"max_conns_per_ip" json:"max_conns_per_ip"`
	// MaxConnsPerUser caps concurrent WebSocket+SSE connections per token sub. Zero: off.
	MaxConnsPerUser int `hcl:"max_conns_per_user" json:"max_conns_per_user"`
	// ConnectRate is connection attempts per second per client IP (burst
	// ConnectBurst). Zero: off.
	ConnectRate float64 `hcl:"connect_rate" json:"connect_rate"`
	// ConnectBurst is the burst of ConnectRate. Zero: 1.
	ConnectBurst int `hcl:"connect_burst" json:"connect_burst"`
	// PublishRate is POST /v1/publish requests per second per API key
	// (burst PublishBurst). Zero: off.
	PublishRate float64 `hcl:"publish_rate" json:"publish_rate"`
	// PublishBurst is the burst of PublishRate. Zero: 1.
	PublishBurst int `hcl:"publish_burst" json:"publish_burst"`
	// MetricsListen serves /metrics on its own address instead of the main
	// port. Zero (""): on the main port.
	MetricsListen string `hcl:"metrics_listen" json:"metrics_listen"`
	// MetricsKey, when set, is required as "Authorization: Bearer KEY" on
	// /metrics. Zero (""): not required.
	MetricsKey string `hcl:"metrics_key" json:"metrics_key"`
	// TrustedProxies are the load balancers and proxies (IPs or CIDR
	// ranges) whose X-Forwarded-For header names the client, for the per-IP
	// caps and rate limits. Empty (the zero value): the peer is the client.
	TrustedProxies []string `hcl:"trusted_proxies" json:"trusted_proxies"`
	// Console serves the web console (core/console) at /console. Zero
	// (false): not served. The development config.hcl turns it on.
	Console bool `hcl:"console" json:"console"`
	// PprofListen serves net/http/pprof (/debug/pprof/) on its own
	// address, never on the main port; a non-loopback host is allowed but
	// warned about at startup. Zero (""): not served.
	PprofListen string `hcl:"pprof_listen" json:"pprof_listen"`
}

// Telemetry is the `telemetry` block: OpenTelemetry tracing
// (core/telemetry).
type Telemetry struct {
	// OTLPEndpoint is the http:// or https:// URL of an OTLP/HTTP
	// collector ("/v1/traces" is added when it has no path). Zero (""):
	// tracing off.
	OTLPEndpoint string `hcl:"otlp_endpoint" json:"otlp_endpoint"`
	// SampleRatio is the share of new traces recorded, 0 to 1; a request
	// with a traceparent follows its caller's decision. Zero: none.
	SampleRatio float64 `hcl:"sample_ratio" json:"sample_ratio"`
	// ServiceName is the service.name of the node's spans. Zero ("") is
	// invalid.
	ServiceName string `hcl:"service_name" json:"service_name"`
}

// TrustedPrefixes parses TrustedProxies (a bare IP is a one-address
// range); Validate has checked them.
func (s *Server) TrustedPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, t := range s.TrustedProxies {
		if p, err := parsePrefix(t); err == nil {
			out = append(out, p)
		}
	}
	return out
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Auth is the `auth` block: how clients and publishers authenticate.
type Auth struct {
	// JWTSecret is the HS256 key for client tokens, at least 32 bytes.
	// Zero ("") disables HS256; then JWKSFile or JWKSURL must be set.
	JWTSecret string `hcl:"jwt_secret" json:"jwt_secret"`
	// JWKSFile is a JWKS JSON file with RS256/EdDSA public keys, relative to
	// the working directory. Zero ("") means no asymmetric keys.
	JWKSFile string `hcl:"jwks_file" json:"jwks_file"`
	// JWKSURL is an http or https URL serving a JWKS with RS256/EdDSA public
	// keys, fetched by `serve` at startup (which fails unless that succeeds
	// within 10s), every JWKSRefresh, and when a token names an unknown kid
	// (at most once per 10s). `check` does not fetch it. It may be combined
	// with JWTSecret and JWKSFile. Zero (""): none.
	JWKSURL string `hcl:"jwks_url" json:"jwks_url"`
	// JWKSRefresh is how often JWKSURL is fetched again. Zero is invalid.
	JWKSRefresh hclconf.Duration `hcl:"jwks_refresh" json:"jwks_refresh"`
	// Issuer, when set, must equal the token's iss claim. Zero: not checked.
	Issuer string `hcl:"issuer" json:"issuer"`
	// Audience, when set, must be listed in the token's aud claim. Zero: not checked.
	Audience string `hcl:"audience" json:"audience"`
	// Leeway is the clock skew allowed when checking exp and nbf. Zero: none.
	Leeway hclconf.Duration `hcl:"leeway" json:"leeway"`
	// ExpiryGrace is how long an open connection outlives its token's exp
	// before it is closed with token_expired. Zero: closed at exp.
	ExpiryGrace hclconf.Duration `hcl:"expiry_grace" json:"expiry_grace"`
	// TokenTTL is the default lifetime of tokens made by `switchboard token`.
	// Zero is invalid.
	TokenTTL hclconf.Duration `hcl:"token_ttl" json:"token_ttl"`
	// APIKeys are the keys accepted in X-Api-Key from server-side publishers.
	// Empty (the zero value) disables POST /v1/publish.
	APIKeys []string `hcl:"api_keys" json:"api_keys"`
	// APIKey are scoped publisher keys, one per api_key "NAME" block, in
	// file order. Empty: none.
	APIKey []APIKey `hcl:"api_key,block" json:"api_key"`
	// DevSecrets is computed, not read from HCL: true when JWTSecret is
	// DevJWTSecret or any API key is DevAPIKey. DefaultConfig, Load and Parse
	// set it (after env overrides); it does not follow later changes in Go.
	DevSecrets bool `hcl:"-" json:"dev_secrets"`
}

// APIKey is one `api_key "NAME" { key = …, rooms = […], types = […] }`
// block in `auth`: a publisher key limited to some rooms and event types.
type APIKey struct {
	// Name is the block label; unique. It names the key in errors and logs.
	Name string `hcl:"name,label" json:"name"`
	// Key is the secret sent in X-Api-Key. Zero ("") is invalid.
	Key string `hcl:"key" json:"key"`
	// Rooms are room patterns, "kind:id" or "kind:*". Empty: any room.
	Rooms []string `hcl:"rooms" json:"rooms"`
	// Types are event type patterns, exact or "prefix.*". Empty: any type.
	Types []string `hcl:"types" json:"types"`
}

// NATS is the `nats` block: the embedded NATS server, or an external cluster.
type NATS struct {
	// URL of an external NATS cluster (comma-separated for several seeds).
	// Zero ("") runs the embedded server; then Listen and Cluster apply.
	URL string `hcl:"url" json:"url"`
	// ServerName of the embedded server; unique per node. Zero: generated.
	ServerName string `hcl:"server_name" json:"server_name"`
	// Listen is the embedded server's client address, e.g. "127.0.0.1:4222".
	// Zero ("") opens no TCP port: the router connects in-process.
	Listen string `hcl:"listen" json:"listen"`
	// Cluster, when non-nil, joins the embedded server to a NATS cluster.
	// Nil (the zero value): single node.
	Cluster *Cluster `hcl:"cluster,block" json:"cluster"`
	// Replicas of the JetStream history stream, 1 to 5; more than 1 needs a
	// cluster (Cluster or URL). Zero is invalid.
	Replicas int `hcl:"replicas" json:"replicas"`
	// SyncInterval is how often the embedded file store fsyncs. Zero means
	// the NATS default (2m).
	SyncInterval hclconf.Duration `hcl:"sync_interval" json:"sync_interval"`
	// SyncAlways fsyncs every write (durable, slower). Zero (false): periodic.
	SyncAlways bool `hcl:"sync_always" json:"sync_always"`
	// MaxPending is how many live messages may wait between NATS and the
	// hub (all rooms share one ordered queue); past it NATS drops messages
	// and the members of the affected rooms are disconnected so that they
	// resume with since. Zero is invalid.
	MaxPending int `hcl:"max_pending" json:"max_pending"`
	// Heartbeat is how often the node announces itself to the other nodes
	// on the same NATS, which wait for its answer to a revocation. Zero is
	// invalid.
	Heartbeat hclconf.Duration `hcl:"heartbeat" json:"heartbeat"`
	// PeerTimeout is how long a node that stopped announcing itself still
	// counts as a member of the cluster. It must exceed Heartbeat.
	PeerTimeout hclconf.Duration `hcl:"peer_timeout" json:"peer_timeout"`
}

// Cluster is the `cluster` block inside `nats`.
type Cluster struct {
	// Name of the cluster; the same on every node. Zero: chosen by NATS.
	Name string `hcl:"name" json:"name"`
	// Listen is the route address, host:port. Zero ("") is invalid.
	Listen string `hcl:"listen" json:"listen"`
	// Routes are the other nodes' route URLs ("nats://10.0.0.2:6222").
	// Empty: wait for other nodes to connect.
	Routes []string `hcl:"routes" json:"routes"`
}

// History is the `history` block: the JetStream stream that keeps events for
// `since` / Last-Event-ID replay. Zero limits mean unlimited.
type History struct {
	// MaxAge drops events older than this. Zero: kept forever.
	MaxAge hclconf.Duration `hcl:"max_age" json:"max_age"`
	// MaxMsgs keeps at most this many events (oldest dropped). Zero: unlimited.
	MaxMsgs int64 `hcl:"max_msgs" json:"max_msgs"`
	// MaxBytes keeps at most this many bytes (oldest dropped). Zero: unlimited.
	MaxBytes hclconf.Size `hcl:"max_bytes" json:"max_bytes"`
	// DuplicateWindow is how long an event id (Nats-Msg-Id) is remembered for
	// idempotent publishing. Zero means the NATS default (2m).
	DuplicateWindow hclconf.Duration `hcl:"duplicate_window" json:"duplicate_window"`
	// Stream is the JetStream stream name. Zero ("") is invalid.
	Stream string `hcl:"stream" json:"stream"`
}

// Hub is the `hub` block: the in-memory room map.
type Hub struct {
	// Shards of the room map, a power of two. Zero is invalid.
	Shards int `hcl:"shards" json:"shards"`
	// Presence turns presence.join / presence.leave on.
	Presence bool `hcl:"presence" json:"presence"`
	// PresenceMaxMembers: rooms with more members than this on a node get
	// no presence events (each one goes to every member: filling a room of
	// N costs N² frames). Zero means no limit.
	PresenceMaxMembers int `hcl:"presence_max_members" json:"presence_max_members"`
	// PresenceDebounce: a user who leaves a room (everywhere in the cluster)
	// and comes back within it is not reported to the plugins subscribed
	// to presence.leave / presence.join, so reconnect storms do not flood
	// them. Zero: every change is reported.
	PresenceDebounce hclconf.Duration `hcl:"presence_debounce" json:"presence_debounce"`
	// DirectWrites: how many members of a room the dispatcher writes to
	// itself per live event, when they are idle (the rest go through
	// writer goroutines). Zero turns direct writes off.
	DirectWrites int `hcl:"direct_writes" json:"direct_writes"`
	// PresenceFlush: how long a presence event may wait in a connection's
	// queue so that several go out in one write (rooms filling up; a
	// presence event in a quiet room is written at once, see
	// core/hub/lazy.go). Zero writes each at once. Default 1s: 250ms made
	// 10,000 clients filling 100 rooms connect in 3.2 s instead of 2.65 s.
	PresenceFlush hclconf.Duration `hcl:"presence_flush" json:"presence_flush"`
	// AutoJoin lists the kinds of rooms a connection joins on connect,
	// from its token, without a join frame (docs/PROTOCOL.md §2): "user"
	// (user:{sub}) and "workspace" (workspace:W for each W of the
	// workspaces claim). Empty (the default) joins nothing.
	AutoJoin []string `hcl:"auto_join" json:"auto_join"`
}

// Publish is the `publish` block: limits of POST /v1/publish and plugin emits.
type Publish struct {
	// MaxBodyBytes of one publish request. Zero is invalid.
	MaxBodyBytes hclconf.Size `hcl:"max_body_bytes" json:"max_body_bytes"`
	// MaxBatch events per call. Zero is invalid.
	MaxBatch int `hcl:"max_batch" json:"max_batch"`
	// MaxRooms an event may be sent to. Zero is invalid.
	MaxRooms int `hcl:"max_rooms" json:"max_rooms"`
	// MaxEventBytes bounds one encoded event (envelope and data); at most
	// MaxBodyBytes.
	// Zero is invalid.
	MaxEventBytes hclconf.Size `hcl:"max_event_bytes" json:"max_event_bytes"`
	// StrictTypes refuses events on POST /v1/publish whose type is not in
	// the catalogue. Zero (false): apps may publish their own types.
	StrictTypes bool `hcl:"strict_types" json:"strict_types"`
}

// DefaultPluginTimeout is a plugin block's timeout when it sets none.
const DefaultPluginTimeout = 30 * time.Second

// Plugin is one `plugin "NAME" { path = "..." config { ... } }` block.
type Plugin struct {
	// Name is the block label; unique.
	Name string `hcl:"name,label" json:"name"`
	// Path of the plugin executable, relative to the working directory.
	// Zero (""): the bundled plugin of that name, run as
	// `switchboard plugin NAME` by the router's own executable.
	Path string `hcl:"path" json:"path"`
	// Args are passed to the executable. Zero (nil): none; for a bundled
	// plugin the router passes `plugin NAME`.
	Args []string `hcl:"args" json:"args"`
	// Config is the raw body of the `config { }` block, nil if absent. It is
	// not checked here: the plugin host decodes it with the plugin's own
	// schema, using EvalContext() so env() works there too.
	Config hcl.Body `hcl:"config,block" json:"-"`
	// ConfigRange is the position of the `config` block header; zero if absent.
	ConfigRange hcl.Range `hcl:"-" json:"-"`
	// DeclRange is the position of the `plugin "NAME"` block header.
	DeclRange hcl.Range `hcl:",def_range" json:"-"`
	// Timeout bounds each call into the plugin that serves a client: an
	// HTTP request (504 past it) or a subscribed event (redelivered).
	// Zero means DefaultPluginTimeout.
	Timeout time.Duration `hcl:"timeout" json:"timeout"`
	// Database is the DSN of the plugin's database: "" is SQLite under
	// data_dir, "postgres://…" PostgreSQL.
	Database string `hcl:"database" json:"database"`
	// ConfigSrc is the source between the braces of `config { }`, and
	// ConfigStart its position in Filename; nil when there is no block.
	ConfigSrc   []byte  `hcl:"-" json:"-"`
	ConfigStart hcl.Pos `hcl:"-" json:"-"`
}

// SetDefaults gives a plugin block the defaults of the attributes it leaves
// out (called by the decoder before it reads the block).
func (p *Plugin) SetDefaults() { p.Timeout = DefaultPluginTimeout }
