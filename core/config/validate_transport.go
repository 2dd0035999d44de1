package config

import (
	"fmt"
	"regexp"
	"strings"
)

// Transports are checked whether or not they are enabled: a disabled block
// with nonsense in it is still a mistake in the file.

func (v *validator) ws(w *WS, pub *Publish) {
	const p = `transport "ws"`
	v.endpoint(p, w.Path)
	v.positive(p, "max_frame_bytes", w.MaxFrameBytes)
	v.positive(p, "max_rooms", int64(w.MaxRooms))
	v.queue(p, w.QueueBytes, pub.MaxEventBytes)
	v.positiveDur(p, "ping_interval", w.PingInterval)
	v.positiveDur(p, "idle_timeout", w.IdleTimeout)
	if w.PingInterval > 0 && w.IdleTimeout > 0 && w.IdleTimeout <= w.PingInterval {
		v.errf(p, "idle_timeout", "must be longer than ping_interval (%s), got %q",
			formatDuration(w.PingInterval), formatDuration(w.IdleTimeout))
	}
	v.positiveDur(p, "write_timeout", w.WriteTimeout)
	v.positiveDur(p, "handshake_timeout", w.HandshakeTimeout)
	if !(w.RateLimit > 0) { // also catches NaN
		v.errf(p, "rate_limit", "must be > 0, got %g", w.RateLimit)
	}
	v.positive(p, "rate_burst", int64(w.RateBurst))
	v.positive(p, "max_errors", int64(w.MaxErrors))
}

func (v *validator) sse(s *SSE, pub *Publish) {
	const p = `transport "sse"`
	v.endpoint(p, s.Path)
	v.positive(p, "max_rooms", int64(s.MaxRooms))
	v.queue(p, s.QueueBytes, pub.MaxEventBytes)
	v.positiveDur(p, "keepalive", s.Keepalive)
	v.positiveDur(p, "retry", s.Retry)
	v.positiveDur(p, "write_timeout", s.WriteTimeout)
}

func (v *validator) endpoint(block, p string) {
	if !strings.HasPrefix(p, "/") {
		v.errf(block, "path", `must start with "/", got %q`, p)
	}
}

// queue checks a connection's queue: it must hold at least one largest event,
// or every such event would cut its receivers off as slow consumers.
func (v *validator) queue(block string, queue, maxEvent int64) {
	switch {
	case queue <= 0:
		v.errf(block, "queue_bytes", "must be > 0, got %d", queue)
	case maxEvent > 0 && queue < maxEvent:
		v.errf(block, "queue_bytes", "must be at least publish max_event_bytes (%d), got %d", maxEvent, queue)
	}
}

func (v *validator) publish(pub *Publish) {
	const p = "publish"
	v.positive(p, "max_body_bytes", pub.MaxBodyBytes)
	v.positive(p, "max_batch", int64(pub.MaxBatch))
	v.positive(p, "max_rooms", int64(pub.MaxRooms))
	v.positive(p, "max_event_bytes", pub.MaxEventBytes)
	if pub.MaxBodyBytes > 0 && pub.MaxEventBytes > pub.MaxBodyBytes {
		v.errf(p, "max_event_bytes", "must not exceed max_body_bytes (%d), got %d", pub.MaxBodyBytes, pub.MaxEventBytes)
	}
}

func (v *validator) plugins(ps []Plugin) {
	seen := map[string]bool{}
	for _, pl := range ps {
		p := fmt.Sprintf("plugin %q", pl.Name)
		switch {
		case pl.Name == "":
			v.errf(p, "", "the name must not be empty")
		case seen[pl.Name]:
			v.errf(p, "", "is defined more than once")
		case !pluginName.MatchString(pl.Name):
			// The name becomes table, consumer and directory names.
			v.errf(p, "", "the name must match %s", pluginName)
		}
		seen[pl.Name] = true
		v.nonNegativeDur(p, "timeout", pl.Timeout)
		if d := pl.Database; d != "" && !strings.HasPrefix(d, "postgres://") && !strings.HasPrefix(d, "postgresql://") {
			v.errf(p, "database", `must be "" (SQLite under data_dir) or a postgres:// URL`)
		}
	}
}

var pluginName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
