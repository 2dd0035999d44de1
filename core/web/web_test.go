package web

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"
)

func TestOrigins(t *testing.T) {
	cases := []struct {
		name    string
		allowed []string
		origin  string
		tls     bool
		want    bool
	}{
		{"no origin", nil, "", false, true},
		{"star", []string{"*"}, "https://evil.example", false, true},
		{"star refuses null", []string{"*"}, "null", false, false},
		{"null listed", []string{"*", "null"}, "null", false, true},
		{"null same-origin", nil, "null", false, false},
		{"exact", []string{"https://app.example.com/"}, "https://APP.example.com", false, true},
		{"exact other", []string{"https://app.example.com"}, "https://other.example.com", false, false},
		{"same origin http", nil, "http://node.test:8080", false, true},
		{"scheme mismatch", nil, "https://node.test:8080", false, false},
		{"scheme mismatch tls", nil, "http://node.test:8080", true, false},
		{"same origin https", nil, "https://node.test:8080", true, true},
		{"host mismatch", nil, "http://other.test:8080", false, false},
		{"garbage", nil, "::::", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://node.test:8080/v1/ws", nil)
			if c.origin != "" {
				r.Header.Set("Origin", c.origin)
			}
			if c.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if got := NewOrigins(c.allowed).Allowed(r); got != c.want {
				t.Fatalf("allowed %v, Origin %q (tls %v): got %v, want %v", c.allowed, c.origin, c.tls, got, c.want)
			}
		})
	}
}
