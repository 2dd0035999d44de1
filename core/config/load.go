package config

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/switchboard-rt/switchboard/schema/hclconf"
)

// Environment variables applied over the file by Load and Parse. An unset or
// empty variable changes nothing.
const (
	EnvJWTSecret = "SWITCHBOARD_JWT_SECRET" // Auth.JWTSecret
	EnvAPIKeys   = "SWITCHBOARD_API_KEYS"   // Auth.APIKeys, comma-separated
	EnvListen    = "SWITCHBOARD_LISTEN"     // Server.Listen
	EnvDataDir   = "SWITCHBOARD_DATA_DIR"   // Server.DataDir
)

// sources remembers where each value came from, by config path
// (`server: listen`, `auth: api_keys[0]`, or a block such as `nats: cluster`),
// so that validation errors can point at the file or name the variable.
type sources struct {
	ranges map[string]hcl.Range
	env    map[string]string
}

func newSources() *sources {
	return &sources{ranges: map[string]hcl.Range{}, env: map[string]string{}}
}

// Load reads the HCL file at path and returns the result of Parse.
// Errors reading the file are returned as they are; errors in it match
// ErrInvalid.
func Load(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(src, path)
}

// Parse decodes HCL source over DefaultConfig(): attributes and blocks the
// source leaves out keep their defaults. It then applies the SWITCHBOARD_*
// environment overrides, computes Auth.DevSecrets and runs Validate.
//
// filename is used in positions and kept in Config.Filename. Every problem is
// reported, each as an *Error formatted `file:line:col: summary: detail`, all
// joined with errors.Join; on any problem the config is nil.
func Parse(src []byte, filename string) (*Config, error) { return Registry.Parse(src, filename) }

// Parse is the package Parse with r's transports.
func (r *TransportRegistry) Parse(src []byte, filename string) (*Config, error) {
	c := r.DefaultConfig()
	c.Filename = filename
	s := newSources()

	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, FormatDiagnostics(diags) // nothing decoded: validating defaults would add noise
	}
	var errs []error
	if diags = append(diags, decodeFile(f, EvalContext(), c, s)...); diags.HasErrors() {
		errs = diagErrors(diags)
	}
	applyEnv(c, s)
	if errs = append(errs, c.validate(s)...); len(errs) > 0 {
		sortErrors(errs)
		return nil, errors.Join(errs...)
	}
	c.Auth.DevSecrets = c.Auth.usesDevSecrets()
	return c, nil
}

// applyEnv applies the SWITCHBOARD_* overrides and records their origin.
func applyEnv(c *Config, s *sources) {
	set := func(name, key string, dst *string) {
		if v := os.Getenv(name); v != "" {
			*dst = v
			s.env[key] = name
		}
	}
	set(EnvJWTSecret, "auth: jwt_secret", &c.Auth.JWTSecret)
	set(EnvListen, "server: listen", &c.Server.Listen)
	set(EnvDataDir, "server: data_dir", &c.Server.DataDir)
	if v := os.Getenv(EnvAPIKeys); v != "" {
		c.Auth.APIKeys = []string{}
		for _, k := range strings.Split(v, ",") {
			if k = strings.TrimSpace(k); k != "" {
				c.Auth.APIKeys = append(c.Auth.APIKeys, k)
			}
		}
		s.env["auth: api_keys"] = EnvAPIKeys
	}
}

// EvalContext returns the context expressions in a config file are evaluated
// in (see hclconf.EvalContext). The plugin host and plugins decode their
// blocks with it too, so that env() works there.
func EvalContext() *hcl.EvalContext { return hclconf.EvalContext() }
