package sse

import (
	"time"

	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/core/transport"
	"github.com/switchboard-rt/switchboard/schema/hclconf"
)

func init() { transport.Register(Name, func() transport.Config { return DefaultConfig() }) }

// Config is the `transport "sse"` block.
type Config struct {
	// Path of the endpoint; starts with "/". Zero ("") is invalid.
	Path string `hcl:"path" json:"path"`
	// MaxRooms per stream (room= parameters). Zero is invalid.
	MaxRooms int `hcl:"max_rooms" json:"max_rooms"`
	// QueueBytes bounds the per-connection outbound queue; on overflow the
	// stream ends as a slow consumer. At least publish max_event_bytes.
	// Zero is invalid.
	QueueBytes hclconf.Size `hcl:"queue_bytes" json:"queue_bytes"`
	// Keepalive is the interval of `: keepalive` comment lines. The contract
	// promises at most 15s; larger values are accepted. Zero is invalid.
	Keepalive hclconf.Duration `hcl:"keepalive" json:"keepalive"`
	// Retry is sent once as the `retry:` reconnect delay. Zero is invalid.
	Retry hclconf.Duration `hcl:"retry" json:"retry"`
	// WriteTimeout bounds one write to the stream. Zero is invalid.
	WriteTimeout hclconf.Duration `hcl:"write_timeout" json:"write_timeout"`
}

var _ transport.Config = (*Config)(nil)

// DefaultConfig returns the block's defaults.
func DefaultConfig() *Config {
	return &Config{
		Path:         "/v1/sse",
		MaxRooms:     128,
		QueueBytes:   1 * hclconf.MiB,
		Keepalive:    hclconf.Duration(15 * time.Second),
		Retry:        hclconf.Duration(2 * time.Second),
		WriteTimeout: hclconf.Duration(10 * time.Second),
	}
}

// ConfigOf returns the sse settings in c (nil if sse is not registered), for
// tests and tools that change them in Go.
func ConfigOf(c *config.Config) *Config { return transport.ConfigOf[*Config](c, Name) }

// Endpoint implements config.TransportConfig.
func (s *Config) Endpoint() string { return s.Path }

// Check implements config.TransportConfig.
func (s *Config) Check(ck *config.Checker, c *config.Config) {
	ck.Endpoint("path", s.Path)
	ck.Positive("max_rooms", int64(s.MaxRooms))
	ck.Queue("queue_bytes", s.QueueBytes, c)
	ck.PositiveDuration("keepalive", s.Keepalive)
	ck.PositiveDuration("retry", s.Retry)
	ck.PositiveDuration("write_timeout", s.WriteTimeout)
}

// New implements transport.Config.
func (s *Config) New(n transport.Node) (transport.Transport, error) {
	return New(*s, n), nil
}
