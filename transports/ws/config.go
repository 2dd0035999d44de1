package ws

import (
	"time"

	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/core/transport"
	"github.com/switchboard-rt/switchboard/schema/hclconf"
)

func init() { transport.Register(Name, func() transport.Config { return DefaultConfig() }) }

// Config is the `transport "ws"` block.
type Config struct {
	// Path of the endpoint; starts with "/". Zero ("") is invalid.
	Path string `hcl:"path" json:"path"`
	// MaxFrameBytes is the largest client frame accepted. Zero is invalid.
	MaxFrameBytes hclconf.Size `hcl:"max_frame_bytes" json:"max_frame_bytes"`
	// MaxRooms a connection may join. Zero is invalid.
	MaxRooms int `hcl:"max_rooms" json:"max_rooms"`
	// QueueBytes bounds the per-connection outbound queue; on overflow the
	// client is disconnected as a slow consumer. At least publish
	// max_event_bytes. Zero is invalid.
	QueueBytes hclconf.Size `hcl:"queue_bytes" json:"queue_bytes"`
	// PingInterval between server pings. Zero is invalid.
	PingInterval hclconf.Duration `hcl:"ping_interval" json:"ping_interval"`
	// IdleTimeout closes a connection that sent nothing (not even a pong) for
	// this long; must exceed PingInterval. Zero is invalid.
	IdleTimeout hclconf.Duration `hcl:"idle_timeout" json:"idle_timeout"`
	// WriteTimeout bounds one write to the socket. Zero is invalid.
	WriteTimeout hclconf.Duration `hcl:"write_timeout" json:"write_timeout"`
	// HandshakeTimeout bounds the HTTP upgrade. Zero is invalid.
	HandshakeTimeout hclconf.Duration `hcl:"handshake_timeout" json:"handshake_timeout"`
	// RateLimit is the sustained client frames per second (token bucket).
	// Zero is invalid.
	RateLimit float64 `hcl:"rate_limit" json:"rate_limit"`
	// RateBurst is the token bucket size. Zero is invalid.
	RateBurst int `hcl:"rate_burst" json:"rate_burst"`
	// MaxErrors is how many bad frames close the connection as abusive.
	// Zero is invalid.
	MaxErrors int `hcl:"max_errors" json:"max_errors"`
}

var _ transport.Config = (*Config)(nil)

// DefaultConfig returns the block's defaults.
func DefaultConfig() *Config {
	return &Config{
		Path:             "/v1/ws",
		MaxFrameBytes:    64 * hclconf.KiB,
		MaxRooms:         128,
		QueueBytes:       1 * hclconf.MiB,
		PingInterval:     hclconf.Duration(25 * time.Second),
		IdleTimeout:      hclconf.Duration(60 * time.Second),
		WriteTimeout:     hclconf.Duration(10 * time.Second),
		HandshakeTimeout: hclconf.Duration(10 * time.Second),
		RateLimit:        50,
		RateBurst:        100,
		MaxErrors:        20,
	}
}

// ConfigOf returns the ws settings in c (nil if ws is not registered), for
// tests and tools that change them in Go.
func ConfigOf(c *config.Config) *Config { return transport.ConfigOf[*Config](c, Name) }

// Endpoint implements config.TransportConfig.
func (w *Config) Endpoint() string { return w.Path }

// Check implements config.TransportConfig.
func (w *Config) Check(ck *config.Checker, c *config.Config) {
	ck.Endpoint("path", w.Path)
	ck.Positive("max_frame_bytes", int64(w.MaxFrameBytes))
	ck.Positive("max_rooms", int64(w.MaxRooms))
	ck.Queue("queue_bytes", w.QueueBytes, c)
	ck.PositiveDuration("ping_interval", w.PingInterval)
	ck.PositiveDuration("idle_timeout", w.IdleTimeout)
	if w.PingInterval > 0 && w.IdleTimeout > 0 && w.IdleTimeout <= w.PingInterval {
		ck.Errorf("idle_timeout", "must be longer than ping_interval (%s), got %q", w.PingInterval, w.IdleTimeout.String())
	}
	ck.PositiveDuration("write_timeout", w.WriteTimeout)
	ck.PositiveDuration("handshake_timeout", w.HandshakeTimeout)
	if !(w.RateLimit > 0) { // also catches NaN
		ck.Errorf("rate_limit", "must be > 0, got %g", w.RateLimit)
	}
	ck.Positive("rate_burst", int64(w.RateBurst))
	ck.Positive("max_errors", int64(w.MaxErrors))
}

// New implements transport.Config.
func (w *Config) New(n transport.Node) (transport.Transport, error) {
	return New(*w, n)
}
