package main

import (
	"strings"
	"testing"
)

// check warns of unscoped API keys on a non-loopback listen, and only then;
// the config stays valid (exit 0).
func TestCheckWarnsOfUnscopedKeys(t *testing.T) {
	const secret = "jwt_secret = \"0123456789abcdef0123456789abcdef\"\n"
	for _, tc := range []struct {
		src  string
		warn bool
	}{
		{"server {\n  listen = \":8080\"\n}\nauth {\n  " + secret + "  api_keys = [\"k1\"]\n}\n", true},
		{"server {\n  listen = \"127.0.0.1:8080\"\n}\nauth {\n  " + secret + "  api_keys = [\"k1\"]\n}\n", false},
		{"server {\n  listen = \":8080\"\n}\nauth {\n  " + secret + "  api_keys = []\n  api_key \"crm\" {\n    key = \"k2\"\n    rooms = [\"project:*\"]\n  }\n}\n", false},
	} {
		p := writeConfig(t, tc.src)
		code, out, errOut := runCmd("check", "--config", p)
		if code != exitOK || !strings.HasSuffix(out, ": ok\n") {
			t.Fatalf("%s: exit %d, %q %q", tc.src, code, out, errOut)
		}
		want := p + `: warning: auth: api_keys: 1 unscoped API key(s) on the non-loopback listen ":8080" may publish to any room and any type`
		if got := strings.Contains(errOut, want); got != tc.warn {
			t.Errorf("%s: stderr %q, warning wanted: %v", tc.src, errOut, tc.warn)
		}
	}
}
