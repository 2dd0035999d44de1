package config_test

import (
	"strings"
	"testing"

	"github.com/switchboard-rt/switchboard/core/config"
)

func TestPluginBlockChecks(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"plugin \"Bad-Name\" {\n  path = \"x\"\n}\n", `plugin "Bad-Name": the name must match`},
		{"plugin \"p\" {\n  path = \"x\"\n  database = \"mysql://db\"\n}\n", `t.hcl:3:14: plugin "p": database: must be`},
	} {
		_, err := config.Parse([]byte(tc.src), "t.hcl")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.src, err, tc.want)
		}
	}
	if _, err := config.Parse([]byte("plugin \"tasks\" {\n  path = \"x\"\n  database = \"postgres://u@h/db\"\n}\n"), "t.hcl"); err != nil {
		t.Fatalf("valid plugin block: %v", err)
	}
}
