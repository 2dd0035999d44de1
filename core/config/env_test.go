package config_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/switchboard-rt/switchboard/core/config"
)

func TestEnvFunction(t *testing.T) {
	clearEnv(t)
	t.Setenv("SB_CONFIG_TEST_SECRET", "from-the-environment-0123-abcdefghij")
	t.Setenv("SB_CONFIG_TEST_EMPTY", "")
	tests := []struct {
		expr, want, err string
	}{
		{`env("SB_CONFIG_TEST_SECRET")`, "from-the-environment-0123-abcdefghij", ""},
		{`env("SB_CONFIG_TEST_SECRET", "fallback-value-0123-abcdefghijklmnop")`, "from-the-environment-0123-abcdefghij", ""},
		{`env("SB_CONFIG_TEST_UNSET", "fallback-value-0123-abcdefghijklmnop")`, "fallback-value-0123-abcdefghijklmnop", ""},
		{`env("SB_CONFIG_TEST_EMPTY", "fallback-value-0123-abcdefghijklmnop")`, "fallback-value-0123-abcdefghijklmnop", ""},
		{`"prefix-${env("SB_CONFIG_TEST_SECRET")}"`, "prefix-from-the-environment-0123-abcdefghij", ""},
		{`env("SB_CONFIG_TEST_UNSET")`, "", "t.hcl:2:21: Invalid function argument"},
		{`env("SB_CONFIG_TEST_EMPTY")`, "", "environment variable SB_CONFIG_TEST_EMPTY is not set"},
		{`env("A", "b", "c")`, "", "t.hcl:2:31: Invalid function argument"},
		{`env()`, "", "t.hcl:2:20: Not enough function arguments"},
	}
	for _, tt := range tests {
		c, err := config.Parse([]byte("auth {\n  jwt_secret = "+tt.expr+"\n}\n"), "t.hcl")
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: error = %v, want %q", tt.expr, err, tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("%s: %v", tt.expr, err)
		case tt.err == "" && c.Auth.JWTSecret != tt.want:
			t.Errorf("%s = %q, want %q", tt.expr, c.Auth.JWTSecret, tt.want)
		}
	}
}

func TestEnvOverrides(t *testing.T) {
	clearEnv(t)
	t.Setenv(config.EnvJWTSecret, "overridden-secret-0123456789-abcdef")
	t.Setenv(config.EnvAPIKeys, " key-one, key-two ,,")
	t.Setenv(config.EnvListen, "127.0.0.1:9999")
	t.Setenv(config.EnvDataDir, "/srv/switchboard")
	c := mustParse(t, `server {
  listen   = ":8080"
  data_dir = "./data"
}

auth {
  jwt_secret = "file-secret-0123456789-abcdefghijkl"
  api_keys   = ["file-key"]
}
`)
	if c.Auth.JWTSecret != "overridden-secret-0123456789-abcdef" || c.Server.Listen != "127.0.0.1:9999" ||
		c.Server.DataDir != "/srv/switchboard" || !reflect.DeepEqual(c.Auth.APIKeys, []string{"key-one", "key-two"}) {
		t.Errorf("overrides not applied: %+v %+v", c.Server, c.Auth)
	}
	if c.Auth.DevSecrets {
		t.Errorf("DevSecrets = true with no dev secret left")
	}
}

// A bad value from the environment names the variable instead of a position.
func TestEnvOverrideErrorsNameTheVariable(t *testing.T) {
	clearEnv(t)
	t.Setenv(config.EnvListen, "nonsense")
	t.Setenv(config.EnvJWTSecret, "short")
	_, err := config.Parse([]byte("server {\n  listen = \":8080\"\n}\n"), "t.hcl")
	want := `server: listen: must be host:port such as ":8080" or "127.0.0.1:8080", got "nonsense" (set by SWITCHBOARD_LISTEN)` + "\n" +
		`auth: jwt_secret: must be at least 32 bytes (HS256 key size), got 5 (set by SWITCHBOARD_JWT_SECRET)`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

func TestDevSecrets(t *testing.T) {
	clearEnv(t)
	tests := []struct {
		name, src string
		env       map[string]string
		want      bool
	}{
		{"defaults", "", nil, true},
		{"both replaced", "auth {\n  jwt_secret = \"prod-secret-0123456789-abcdefghijklm\"\n  api_keys = [\"k\"]\n}\n", nil, false},
		{"dev jwt secret left", "auth {\n  api_keys = []\n}\n", nil, true},
		{"dev api key among others", "auth {\n  jwt_secret = \"prod-secret-0123456789-abcdefghijklm\"\n  api_keys = [\"k\", \"" + config.DevAPIKey + "\"]\n}\n", nil, true},
		{"replaced by env", "", map[string]string{config.EnvJWTSecret: "env-secret-0123456789-abcdefghijklm", config.EnvAPIKeys: "k1,k2"}, false},
		{"only the secret replaced by env", "", map[string]string{config.EnvJWTSecret: "env-secret-0123456789-abcdefghijklm"}, true},
		{"jwks only", "auth {\n  jwt_secret = \"\"\n  jwks_file = \"jwks.json\"\n  api_keys = []\n}\n", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			if c := mustParse(t, tt.src); c.Auth.DevSecrets != tt.want {
				t.Errorf("DevSecrets = %v, want %v", c.Auth.DevSecrets, tt.want)
			}
		})
	}
}
