package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/core/config"
)

// jwks_url alone is a key source, and jwks_refresh is a duration.
func TestJWKSURL(t *testing.T) {
	clearEnv(t)
	c, err := config.Parse([]byte(`auth {
  jwt_secret   = ""
  jwks_url     = "https://idp.example/.well-known/jwks.json"
  jwks_refresh = "1m"
}
`), "t.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if c.Auth.JWKSURL != "https://idp.example/.well-known/jwks.json" || time.Duration(c.Auth.JWKSRefresh) != time.Minute {
		t.Errorf("auth = %+v", c.Auth)
	}
	if d := config.DefaultConfig().Auth; d.JWKSURL != "" || time.Duration(d.JWKSRefresh) != 5*time.Minute {
		t.Errorf("defaults: jwks_url %q, jwks_refresh %s", d.JWKSURL, d.JWKSRefresh)
	}
}

// A bad jwks_url or jwks_refresh is an error at its position, and the URL
// is not echoed.
func TestJWKSURLErrors(t *testing.T) {
	clearEnv(t)
	for _, tc := range []struct{ name, src, want string }{
		{"scheme", "auth {\n  jwks_url = \"file:///etc/jwks.json\"\n}\n",
			`t.hcl:2:14: auth: jwks_url: must be an http or https URL, got scheme "file"`},
		{"no scheme", "auth {\n  jwks_url = \"idp.example/jwks.json\"\n}\n",
			`t.hcl:2:14: auth: jwks_url: must be a URL such as "https://idp.example/.well-known/jwks.json"`},
		{"no host", "auth {\n  jwks_url = \"https:///jwks.json\"\n}\n",
			`t.hcl:2:14: auth: jwks_url: must name a host`},
		{"credentials", "auth {\n  jwks_url = \"https://u:s3cr3t@idp.example/jwks.json\"\n}\n",
			`t.hcl:2:14: auth: jwks_url: must not contain credentials (user:password@)`},
		{"refresh zero", "auth {\n  jwks_url = \"https://idp.example/jwks.json\"\n  jwks_refresh = \"0s\"\n}\n",
			`t.hcl:3:18: auth: jwks_refresh: must be > 0, got "0s"`},
		{"no key source", "auth {\n  jwt_secret = \"\"\n}\n",
			`t.hcl:2:16: auth: jwt_secret: must be set unless jwks_file or jwks_url is set`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.src), "t.hcl")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error:\n%v\nwant it to contain:\n%s", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}
