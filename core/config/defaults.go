package config

import (
	"time"

	"github.com/switchboard-rt/switchboard/schema/hclconf"
)

// Size units for the defaults below.
const (
	KiB = hclconf.KiB
	MiB = hclconf.MiB
	GiB = hclconf.GiB
)

// DefaultConfig returns the configuration used for everything a file does not
// set. It is the only place defaults live (each transport's own defaults are
// its package's, see TransportConfig). The result passes Validate, with at
// least one transport registered, and uses the shipped development secrets
// (DevSecrets is true).
func DefaultConfig() *Config { return Registry.DefaultConfig() }

// DefaultConfig is the package DefaultConfig with r's transports.
func (r *TransportRegistry) DefaultConfig() *Config {
	return &Config{
		Server: Server{
			Listen:          ":8080",
			DataDir:         "./data",
			AllowedOrigins:  []string{"*"},
			TrustedProxies:  []string{},
			ShutdownTimeout: hclconf.Duration(10 * time.Second),
			LogLevel:        "info",
			LogFormat:       "text",
			BodyTimeout:     hclconf.Duration(30 * time.Second),
			IdleTimeout:     hclconf.Duration(120 * time.Second),
		},
		Auth: Auth{
			JWTSecret:   DevJWTSecret,
			JWKSRefresh: hclconf.Duration(5 * time.Minute),
			Leeway:      0,
			ExpiryGrace: 0,
			TokenTTL:    hclconf.Duration(time.Hour),
			APIKeys:     []string{DevAPIKey},
			DevSecrets:  true,
		},
		NATS: NATS{
			Replicas:    1,
			MaxPending:  65536,
			Heartbeat:   hclconf.Duration(time.Second),
			PeerTimeout: hclconf.Duration(5 * time.Second),
		},
		History: History{
			MaxAge:          hclconf.Duration(24 * time.Hour),
			MaxMsgs:         1_000_000,
			MaxBytes:        1 * GiB,
			DuplicateWindow: hclconf.Duration(2 * time.Minute),
			Stream:          "SWITCHBOARD_ROOMS",
		},
		Hub: Hub{
			Shards:             64,
			Presence:           true,
			PresenceMaxMembers: 1000,
			PresenceDebounce:   hclconf.Duration(5 * time.Second),
			DirectWrites:       128,
			PresenceFlush:      hclconf.Duration(time.Second),
			AutoJoin:           []string{},
		},
		Transports: r.defaults(),
		Publish: Publish{
			MaxBodyBytes:  1 * MiB,
			MaxBatch:      100,
			MaxRooms:      32,
			MaxEventBytes: 64 * KiB,
		},
		Telemetry: Telemetry{SampleRatio: 1, ServiceName: "switchboard"},
	}
}

// usesDevSecrets reports whether a still holds a shipped development secret.
func (a *Auth) usesDevSecrets() bool {
	if a.JWTSecret == DevJWTSecret {
		return true
	}
	for _, k := range a.APIKeys {
		if k == DevAPIKey {
			return true
		}
	}
	return false
}
