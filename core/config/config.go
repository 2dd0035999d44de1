package config

import (
	"time"

	"github.com/hashicorp/hcl/v2"
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
// each field say what its zero value means.
//
// Relative paths (Server.DataDir, Auth.JWKSFile, Plugin.Path) are kept as
// written: they are resolved against the process's working directory, not
// against the directory of the config file.
type Config struct {
	Server  Server
	Auth    Auth
	NATS    NATS
	History History
	Hub     Hub
	WS      WS  // block transport "ws" { ... }
	SSE     SSE // block transport "sse" { ... }
	Publish Publish
	// Plugins in file order; one per plugin "NAME" { ... } block. Empty: no plugins.
	Plugins []Plugin
	// Filename is the file the config was read from; "" for DefaultConfig.
	Filename string
}

// Server is the `server` block: the HTTP listener and process-wide settings.
type Server struct {
	// Listen is the HTTP address, host:port. ":8080" listens on all interfaces;
	// port 0 picks a free port. Zero ("") is invalid.
	Listen string
	// DataDir holds the embedded NATS file store and plugin databases.
	// Relative to the working directory. Zero ("") is invalid.
	DataDir string
	// AllowedOrigins lists the browser origins ("https://app.example.com")
	// allowed to open WebSocket/SSE connections; "*" allows any. Empty (the
	// zero value) allows same-origin requests only (Origin host == Host) and
	// requests without an Origin header.
	AllowedOrigins []string
	// ShutdownTimeout bounds graceful shutdown. Zero is invalid.
	ShutdownTimeout time.Duration
	// LogLevel is debug, info, warn or error. Zero ("") is invalid.
	LogLevel string
	// LogFormat is text or json. Zero ("") is invalid.
	LogFormat string
}

// Auth is the `auth` block: how clients and publishers authenticate.
type Auth struct {
	// JWTSecret is the HS256 key for client tokens, at least 32 bytes.
	// Zero ("") disables HS256; then JWKSFile must be set.
	JWTSecret string
	// JWKSFile is a JWKS JSON file with RS256/EdDSA public keys, relative to
	// the working directory. Zero ("") means no asymmetric keys.
	JWKSFile string
	// Issuer, when set, must equal the token's iss claim. Zero: not checked.
	Issuer string
	// Audience, when set, must be listed in the token's aud claim. Zero: not checked.
	Audience string
	// Leeway is the clock skew allowed when checking exp and nbf. Zero: none.
	Leeway time.Duration
	// TokenTTL is the default lifetime of tokens made by `switchboard token`.
	// Zero is invalid.
	TokenTTL time.Duration
	// APIKeys are the keys accepted in X-Api-Key from server-side publishers.
	// Empty (the zero value) disables POST /v1/publish.
	APIKeys []string
	// DevSecrets is computed, not read from HCL: true when JWTSecret is
	// DevJWTSecret or any API key is DevAPIKey. DefaultConfig, Load and Parse
	// set it (after env overrides); it does not follow later changes in Go.
	DevSecrets bool
}

// NATS is the `nats` block: the embedded NATS server, or an external cluster.
type NATS struct {
	// URL of an external NATS cluster (comma-separated for several seeds).
	// Zero ("") runs the embedded server; then Listen and Cluster apply.
	URL string
	// ServerName of the embedded server; unique per node. Zero: generated.
	ServerName string
	// Listen is the embedded server's client address, e.g. "127.0.0.1:4222".
	// Zero ("") opens no TCP port: the router connects in-process.
	Listen string
	// Cluster, when non-nil, joins the embedded server to a NATS cluster.
	// Nil (the zero value): single node.
	Cluster *Cluster
	// Replicas of the JetStream history stream, 1 to 5; more than 1 needs a
	// cluster (Cluster or URL). Zero is invalid.
	Replicas int
	// SyncInterval is how often the embedded file store fsyncs. Zero means
	// the NATS default (2m).
	SyncInterval time.Duration
	// SyncAlways fsyncs every write (durable, slower). Zero (false): periodic.
	SyncAlways bool
	// MaxPending is how many live messages may wait between NATS and the
	// hub (all rooms share one ordered queue); past it NATS drops messages
	// and the members of the affected rooms are disconnected so that they
	// resume with since. Zero is invalid.
	MaxPending int
}

// Cluster is the `cluster` block inside `nats`.
type Cluster struct {
	// Name of the cluster; the same on every node. Zero: chosen by NATS.
	Name string
	// Listen is the route address, host:port. Zero ("") is invalid.
	Listen string
	// Routes are the other nodes' route URLs ("nats://10.0.0.2:6222").
	// Empty: wait for other nodes to connect.
	Routes []string
}

// History is the `history` block: the JetStream stream that keeps events for
// `since` / Last-Event-ID replay. Zero limits mean unlimited.
type History struct {
	// MaxAge drops events older than this. Zero: kept forever.
	MaxAge time.Duration
	// MaxMsgs keeps at most this many events (oldest dropped). Zero: unlimited.
	MaxMsgs int64
	// MaxBytes keeps at most this many bytes (oldest dropped). Zero: unlimited.
	MaxBytes int64
	// DuplicateWindow is how long an event id (Nats-Msg-Id) is remembered for
	// idempotent publishing. Zero means the NATS default (2m).
	DuplicateWindow time.Duration
	// Stream is the JetStream stream name. Zero ("") is invalid.
	Stream string
}

// Hub is the `hub` block: the in-memory room map.
type Hub struct {
	// Shards of the room map, a power of two. Zero is invalid.
	Shards int
	// Presence turns presence.join / presence.leave on.
	Presence bool
	// PresenceMaxMembers: rooms with more members than this on a node get
	// no presence events (each one goes to every member: filling a room of
	// N costs N² frames). Zero means no limit.
	PresenceMaxMembers int
	// DirectWrites: how many members of a room the dispatcher writes to
	// itself per live event, when they are idle (the rest go through
	// writer goroutines). Zero turns direct writes off.
	DirectWrites int
}

// WS is the `transport "ws"` block: the WebSocket transport.
type WS struct {
	// Enabled: the transport is served. Set when the block is present (unless
	// enabled = false) or when the file has no transport block at all.
	Enabled bool
	// Path of the endpoint; starts with "/". Zero ("") is invalid.
	Path string
	// MaxFrameBytes is the largest client frame accepted. Zero is invalid.
	MaxFrameBytes int64
	// MaxRooms a connection may join. Zero is invalid.
	MaxRooms int
	// QueueBytes bounds the per-connection outbound queue; on overflow the
	// client is disconnected as a slow consumer. Zero is invalid.
	QueueBytes int64
	// PingInterval between server pings. Zero is invalid.
	PingInterval time.Duration
	// IdleTimeout closes a connection that sent nothing (not even a pong) for
	// this long; must exceed PingInterval. Zero is invalid.
	IdleTimeout time.Duration
	// WriteTimeout bounds one write to the socket. Zero is invalid.
	WriteTimeout time.Duration
	// HandshakeTimeout bounds the HTTP upgrade. Zero is invalid.
	HandshakeTimeout time.Duration
	// RateLimit is the sustained client frames per second (token bucket).
	// Zero is invalid.
	RateLimit float64
	// RateBurst is the token bucket size. Zero is invalid.
	RateBurst int
	// MaxErrors is how many bad frames close the connection as abusive.
	// Zero is invalid.
	MaxErrors int
}

// SSE is the `transport "sse"` block: the Server-Sent Events transport.
type SSE struct {
	// Enabled: as for WS.Enabled.
	Enabled bool
	// Path of the endpoint; starts with "/". Zero ("") is invalid.
	Path string
	// MaxRooms per stream (room= parameters). Zero is invalid.
	MaxRooms int
	// QueueBytes bounds the per-connection outbound queue, as for WS.
	// Zero is invalid.
	QueueBytes int64
	// Keepalive is the interval of `: keepalive` comment lines. The contract
	// promises at most 15s; larger values are accepted. Zero is invalid.
	Keepalive time.Duration
	// Retry is sent once as the `retry:` reconnect delay. Zero is invalid.
	Retry time.Duration
	// WriteTimeout bounds one write to the stream. Zero is invalid.
	WriteTimeout time.Duration
}

// Publish is the `publish` block: limits of POST /v1/publish and plugin emits.
type Publish struct {
	// MaxBodyBytes of one publish request. Zero is invalid.
	MaxBodyBytes int64
	// MaxBatch events per call. Zero is invalid.
	MaxBatch int
	// MaxRooms an event may be sent to. Zero is invalid.
	MaxRooms int
	// MaxEventBytes bounds one encoded event (envelope and data); at most
	// MaxBodyBytes.
	// Zero is invalid.
	MaxEventBytes int64
	// StrictTypes refuses events on POST /v1/publish whose type is not in
	// the catalogue. Zero (false): apps may publish their own types.
	StrictTypes bool
}

// DefaultPluginTimeout is a plugin block's timeout when it sets none.
const DefaultPluginTimeout = 30 * time.Second

// Plugin is one `plugin "NAME" { path = "..." config { ... } }` block.
type Plugin struct {
	// Name is the block label; unique.
	Name string
	// Path of the plugin executable, relative to the working directory.
	// Zero (""): the bundled plugin of that name, run as
	// `switchboard plugin NAME` by the router's own executable.
	Path string
	// Args are passed to the executable. Zero (nil): none; for a bundled
	// plugin the router passes `plugin NAME`.
	Args []string
	// Config is the raw body of the `config { }` block, nil if absent. It is
	// not checked here: the plugin host decodes it with the plugin's own
	// schema, using EvalContext() so env() works there too.
	Config hcl.Body
	// ConfigRange is the position of the `config` block header; zero if absent.
	ConfigRange hcl.Range
	// DeclRange is the position of the `plugin "NAME"` block header.
	DeclRange hcl.Range
	// Timeout bounds each call into the plugin that serves a client: an
	// HTTP request (504 past it) or a subscribed event (redelivered).
	// Zero means DefaultPluginTimeout.
	Timeout time.Duration
	// Database is the DSN of the plugin's database: "" is SQLite under
	// data_dir, "postgres://…" PostgreSQL.
	Database string
	// ConfigSrc is the source between the braces of `config { }`, and
	// ConfigStart its position in Filename; nil when there is no block.
	ConfigSrc   []byte
	ConfigStart hcl.Pos
}
