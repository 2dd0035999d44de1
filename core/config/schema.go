package config

import "github.com/hashicorp/hcl/v2"

// The HCL schema, as gohcl structs. Every attribute is a *hcl.Attribute so an
// absent one (nil) keeps its default and a present one keeps its position;
// decode.go converts them. gohcl rejects unknown attributes and blocks and a
// repeated singleton block, each with its position.

type fileHCL struct {
	Server     *serverHCL     `hcl:"server,block"`
	Auth       *authHCL       `hcl:"auth,block"`
	NATS       *natsHCL       `hcl:"nats,block"`
	History    *historyHCL    `hcl:"history,block"`
	Hub        *hubHCL        `hcl:"hub,block"`
	Transports []transportHCL `hcl:"transport,block"`
	Publish    *publishHCL    `hcl:"publish,block"`
	Plugins    []pluginHCL    `hcl:"plugin,block"`
}

type serverHCL struct {
	DefRange        hcl.Range      `hcl:",def_range"`
	Listen          *hcl.Attribute `hcl:"listen,optional"`
	DataDir         *hcl.Attribute `hcl:"data_dir,optional"`
	AllowedOrigins  *hcl.Attribute `hcl:"allowed_origins,optional"`
	ShutdownTimeout *hcl.Attribute `hcl:"shutdown_timeout,optional"`
	LogLevel        *hcl.Attribute `hcl:"log_level,optional"`
	LogFormat       *hcl.Attribute `hcl:"log_format,optional"`
}

type authHCL struct {
	DefRange  hcl.Range      `hcl:",def_range"`
	JWTSecret *hcl.Attribute `hcl:"jwt_secret,optional"`
	JWKSFile  *hcl.Attribute `hcl:"jwks_file,optional"`
	Issuer    *hcl.Attribute `hcl:"issuer,optional"`
	Audience  *hcl.Attribute `hcl:"audience,optional"`
	Leeway    *hcl.Attribute `hcl:"leeway,optional"`
	TokenTTL  *hcl.Attribute `hcl:"token_ttl,optional"`
	APIKeys   *hcl.Attribute `hcl:"api_keys,optional"`
}

type natsHCL struct {
	DefRange     hcl.Range      `hcl:",def_range"`
	URL          *hcl.Attribute `hcl:"url,optional"`
	ServerName   *hcl.Attribute `hcl:"server_name,optional"`
	Listen       *hcl.Attribute `hcl:"listen,optional"`
	Cluster      *clusterHCL    `hcl:"cluster,block"`
	Replicas     *hcl.Attribute `hcl:"replicas,optional"`
	SyncInterval *hcl.Attribute `hcl:"sync_interval,optional"`
	SyncAlways   *hcl.Attribute `hcl:"sync_always,optional"`
	MaxPending   *hcl.Attribute `hcl:"max_pending,optional"`
}

type clusterHCL struct {
	DefRange hcl.Range      `hcl:",def_range"`
	Name     *hcl.Attribute `hcl:"name,optional"`
	Listen   *hcl.Attribute `hcl:"listen,optional"`
	Routes   *hcl.Attribute `hcl:"routes,optional"`
}

type historyHCL struct {
	DefRange        hcl.Range      `hcl:",def_range"`
	MaxAge          *hcl.Attribute `hcl:"max_age,optional"`
	MaxMsgs         *hcl.Attribute `hcl:"max_msgs,optional"`
	MaxBytes        *hcl.Attribute `hcl:"max_bytes,optional"`
	DuplicateWindow *hcl.Attribute `hcl:"duplicate_window,optional"`
	Stream          *hcl.Attribute `hcl:"stream,optional"`
}

type hubHCL struct {
	DefRange hcl.Range      `hcl:",def_range"`
	Shards   *hcl.Attribute `hcl:"shards,optional"`
	Presence *hcl.Attribute `hcl:"presence,optional"`
	PresMax  *hcl.Attribute `hcl:"presence_max_members,optional"`
	Direct   *hcl.Attribute `hcl:"direct_writes,optional"`
}

// transportHCL keeps the body for the schema of the named transport.
type transportHCL struct {
	Name      string    `hcl:"name,label"`
	NameRange hcl.Range `hcl:"name,label_range"`
	DefRange  hcl.Range `hcl:",def_range"`
	Body      hcl.Body  `hcl:",remain"`
}

type wsHCL struct {
	Enabled          *hcl.Attribute `hcl:"enabled,optional"`
	Path             *hcl.Attribute `hcl:"path,optional"`
	MaxFrameBytes    *hcl.Attribute `hcl:"max_frame_bytes,optional"`
	MaxRooms         *hcl.Attribute `hcl:"max_rooms,optional"`
	QueueBytes       *hcl.Attribute `hcl:"queue_bytes,optional"`
	PingInterval     *hcl.Attribute `hcl:"ping_interval,optional"`
	IdleTimeout      *hcl.Attribute `hcl:"idle_timeout,optional"`
	WriteTimeout     *hcl.Attribute `hcl:"write_timeout,optional"`
	HandshakeTimeout *hcl.Attribute `hcl:"handshake_timeout,optional"`
	RateLimit        *hcl.Attribute `hcl:"rate_limit,optional"`
	RateBurst        *hcl.Attribute `hcl:"rate_burst,optional"`
	MaxErrors        *hcl.Attribute `hcl:"max_errors,optional"`
}

type sseHCL struct {
	Enabled      *hcl.Attribute `hcl:"enabled,optional"`
	Path         *hcl.Attribute `hcl:"path,optional"`
	MaxRooms     *hcl.Attribute `hcl:"max_rooms,optional"`
	QueueBytes   *hcl.Attribute `hcl:"queue_bytes,optional"`
	Keepalive    *hcl.Attribute `hcl:"keepalive,optional"`
	Retry        *hcl.Attribute `hcl:"retry,optional"`
	WriteTimeout *hcl.Attribute `hcl:"write_timeout,optional"`
}

type publishHCL struct {
	DefRange      hcl.Range      `hcl:",def_range"`
	MaxBodyBytes  *hcl.Attribute `hcl:"max_body_bytes,optional"`
	MaxBatch      *hcl.Attribute `hcl:"max_batch,optional"`
	MaxRooms      *hcl.Attribute `hcl:"max_rooms,optional"`
	MaxEventBytes *hcl.Attribute `hcl:"max_event_bytes,optional"`
	StrictTypes   *hcl.Attribute `hcl:"strict_types,optional"`
}

type pluginHCL struct {
	Name      string           `hcl:"name,label"`
	NameRange hcl.Range        `hcl:"name,label_range"`
	DefRange  hcl.Range        `hcl:",def_range"`
	Path      *hcl.Attribute   `hcl:"path,optional"`
	Args      *hcl.Attribute   `hcl:"args,optional"`
	Database  *hcl.Attribute   `hcl:"database,optional"`
	Timeout   *hcl.Attribute   `hcl:"timeout,optional"`
	Config    *pluginConfigHCL `hcl:"config,block"`
}

// pluginConfigHCL is opaque: its whole body is kept for the plugin.
type pluginConfigHCL struct {
	DefRange hcl.Range `hcl:",def_range"`
	Body     hcl.Body  `hcl:",remain"`
}
