package config

import (
	"net"
	"net/url"
)

// telemetry checks the observability settings: server.pprof_listen and
// the telemetry block.
func (v *validator) telemetry(s *Server, t *Telemetry) {
	if s.PprofListen != "" {
		v.hostPort("server", "pprof_listen", s.PprofListen)
		if s.PprofListen == s.Listen {
			v.errf("server", "pprof_listen", "must differ from listen (pprof is never served on the main port), got %q", s.PprofListen)
		}
	}
	const p = "telemetry"
	if t.OTLPEndpoint != "" {
		u, err := url.Parse(t.OTLPEndpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			v.errf(p, "otlp_endpoint", `must be an http:// or https:// URL such as "http://127.0.0.1:4318", got %q`, t.OTLPEndpoint)
		}
	}
	if !(t.SampleRatio >= 0 && t.SampleRatio <= 1) {
		v.errf(p, "sample_ratio", "must be between 0 and 1, got %v", t.SampleRatio)
	}
	if t.ServiceName == "" {
		v.errf(p, "service_name", "must be set")
	}
}

// Loopback reports whether a host:port address listens on loopback only
// (a missing host means every interface).
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
