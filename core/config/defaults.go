package config

import "time"

// Byte size units, as accepted in size strings ("64KiB", "10MB").
const (
	KiB int64 = 1 << 10
	MiB int64 = 1 << 20
	GiB int64 = 1 << 30
)

// DefaultConfig returns the configuration used for everything a file does not
// set. It is the only place defaults live. The result passes Validate and uses
// the shipped development secrets (DevSecrets is true).
func DefaultConfig() *Config {
	return &Config{
		Server: Server{
			Listen:          ":8080",
			DataDir:         "./data",
			AllowedOrigins:  []string{"*"},
			ShutdownTimeout: 10 * time.Second,
			LogLevel:        "info",
			LogFormat:       "text",
		},
		Auth: Auth{
			JWTSecret:  DevJWTSecret,
			Leeway:     0,
			TokenTTL:   time.Hour,
			APIKeys:    []string{DevAPIKey},
			DevSecrets: true,
		},
		NATS: NATS{
			Replicas:   1,
			MaxPending: 65536,
		},
		History: History{
			MaxAge:          24 * time.Hour,
			MaxMsgs:         1_000_000,
			MaxBytes:        1 * GiB,
			DuplicateWindow: 2 * time.Minute,
			Stream:          "SWITCHBOARD_ROOMS",
		},
		Hub: Hub{
			Shards:             64,
			Presence:           true,
			PresenceMaxMembers: 1000,
			DirectWrites:       128,
		},
		WS: WS{
			Enabled:          true,
			Path:             "/v1/ws",
			MaxFrameBytes:    64 * KiB,
			MaxRooms:         128,
			QueueBytes:       1 * MiB,
			PingInterval:     25 * time.Second,
			IdleTimeout:      60 * time.Second,
			WriteTimeout:     10 * time.Second,
			HandshakeTimeout: 10 * time.Second,
			RateLimit:        50,
			RateBurst:        100,
			MaxErrors:        20,
		},
		SSE: SSE{
			Enabled:      true,
			Path:         "/v1/sse",
			MaxRooms:     128,
			QueueBytes:   1 * MiB,
			Keepalive:    15 * time.Second,
			Retry:        2 * time.Second,
			WriteTimeout: 10 * time.Second,
		},
		Publish: Publish{
			MaxBodyBytes:  1 * MiB,
			MaxBatch:      100,
			MaxRooms:      32,
			MaxEventBytes: 64 * KiB,
		},
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
