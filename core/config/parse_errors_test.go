package config_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/switchboard-rt/switchboard/core/config"
)

// clearEnv unsets (empties) every variable Parse reads, so that the caller's
// environment cannot change a test's outcome.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, name := range []string{config.EnvJWTSecret, config.EnvAPIKeys, config.EnvListen, config.EnvDataDir} {
		t.Setenv(name, "")
	}
}

func TestParseErrors(t *testing.T) {
	clearEnv(t)
	tests := []struct {
		name, src, want string
	}{
		{"unknown attribute", "server {\n  listen = \":1\"\n  bogus  = 1\n}\n",
			`t.hcl:3:3: Unsupported argument: An argument named "bogus" is not expected here`},
		{"unknown block", "serve {\n}\n",
			`t.hcl:1:1: Unsupported block type: Blocks of type "serve" are not expected here. Did you mean "server"?`},
		{"unknown attribute in transport", "transport \"sse\" {\n  max_frame_bytes = 1\n}\n",
			`t.hcl:2:3: Unsupported argument: An argument named "max_frame_bytes" is not expected here`},
		{"unknown transport", "transport \"wss\" {\n}\n",
			`t.hcl:1:11: Unknown transport "wss": known transports are "sse" and "ws"`},
		{"duplicate block", "hub {\n}\nhub {\n}\n",
			`t.hcl:3:1: Duplicate hub block: Only one hub block is allowed. Another was defined at t.hcl:1:1`},
		{"duplicate nested block", "nats {\n  cluster {\n  }\n  cluster {\n  }\n}\n",
			`t.hcl:4:3: Duplicate cluster block: Only one cluster block is allowed. Another was defined at t.hcl:2:3`},
		{"duplicate transport", "transport \"ws\" {\n}\ntransport \"ws\" {\n}\n",
			`t.hcl:3:1: Duplicate transport "ws" block: only one transport "ws" block is allowed; another was defined at t.hcl:1:1`},
		{"duplicate plugin", "plugin \"a\" {\n  path = \"x\"\n}\nplugin \"a\" {\n  path = \"y\"\n}\n",
			`t.hcl:4:1: Duplicate plugin "a" block: only one plugin "a" block is allowed; another was defined at t.hcl:1:1`},
		{"duplicate attribute", "hub {\n  shards = 2\n  shards = 4\n}\n",
			`t.hcl:3:3: Attribute redefined: The argument "shards" was already set at t.hcl:2:3`},
		{"bad duration", "server {\n  shutdown_timeout = \"10\"\n}\n",
			`t.hcl:2:22: server: shutdown_timeout: invalid duration "10"`},
		{"duration in days", "history {\n  max_age = \"7d\"\n}\n",
			`t.hcl:2:13: history: max_age: invalid duration "7d"; use a string such as "500ms", "30s", "5m" or "24h" (there is no day unit: write "168h" for 7 days)`},
		{"duration as number", "auth {\n  leeway = 30\n}\n",
			`t.hcl:2:12: auth: leeway: a duration string such as "30s" is required, got number`},
		{"bad size", "transport \"ws\" {\n  max_frame_bytes = \"64KB!\"\n}\n",
			`t.hcl:2:21: transport "ws": max_frame_bytes: invalid size "64KB!"`},
		{"negative size", "transport \"sse\" {\n  queue_bytes = -1\n}\n",
			`t.hcl:2:17: transport "sse": queue_bytes: size must not be negative`},
		{"wrong type string", "server {\n  listen = 8080\n}\n",
			`t.hcl:2:12: server: listen: a string is required, got number`},
		{"wrong type list", "server {\n  allowed_origins = \"*\"\n}\n",
			`t.hcl:2:21: server: allowed_origins: a list of strings is required, got string`},
		{"wrong type list element", "auth {\n  api_keys = [\"ok-key\", 7]\n}\n",
			`t.hcl:2:25: auth: api_keys[1]: a string is required, got number`},
		{"wrong type bool", "nats {\n  sync_always = \"yes\"\n}\n",
			`t.hcl:2:17: nats: sync_always: a bool is required, got string`},
		{"fraction for integer", "transport \"ws\" {\n  max_rooms = 1.5\n}\n",
			`t.hcl:2:15: transport "ws": max_rooms: a whole number is required, got 1.5`},
		{"negative limit", "publish {\n  max_batch = -5\n}\n",
			`t.hcl:2:15: publish: max_batch: must be > 0, got -5`},
		{"zero size", "transport \"ws\" {\n  max_frame_bytes = 0\n}\n",
			`t.hcl:2:21: transport "ws": max_frame_bytes: must be > 0, got 0`},
		{"shards not a power of two", "hub {\n  shards = 48\n}\n",
			`t.hcl:2:12: hub: shards: must be a power of two (1, 2, 4, … 64, …), got 48`},
		{"listen not host:port", "server {\n  listen = \"8080\"\n}\n",
			`t.hcl:2:12: server: listen: must be host:port such as ":8080" or "127.0.0.1:8080", got "8080"`},
		{"log level", "server {\n  log_level = \"verbose\"\n}\n",
			`t.hcl:2:15: server: log_level: must be one of debug, info, warn, error, got "verbose"`},
		{"short jwt secret", "auth {\n  jwt_secret = \"short\"\n}\n",
			`t.hcl:2:16: auth: jwt_secret: must be at least 32 bytes (HS256 key size), got 5`},
		{"empty api key", "auth {\n  api_keys = [\"ok-key\", \"\"]\n}\n",
			`t.hcl:2:25: auth: api_keys[1]: must not be empty`},
		{"max_age below duplicate_window", "history {\n  max_age = \"1m\"\n}\n",
			`t.hcl:2:13: history: max_age: must be at least duplicate_window (2m), got "1m"`},
		{"cluster without listen", "nats {\n  cluster {\n  }\n}\n",
			`t.hcl:2:3: nats: cluster: listen: must be set when the cluster block is present`},
		{"no transport enabled", "transport \"ws\" {\n  enabled = false\n}\n",
			`t.hcl:1:1: transport: at least one transport ("sse" or "ws") must be enabled`},
		{"plugin args not strings", "plugin \"tasks\" {\n  args = [1]\n}\n",
			`t.hcl:2:11: plugin "tasks": args[0]: a string is required, got number`},
		{"env unset", "auth {\n  jwt_secret = env(\"SB_CONFIG_TEST_NEVER_SET\")\n}\n",
			`t.hcl:2:21: Invalid function argument: Invalid value for "name" parameter: environment variable SB_CONFIG_TEST_NEVER_SET is not set`},
		{"variables not allowed", "server {\n  listen = var.listen\n}\n",
			`t.hcl:2:12: Variables not allowed`},
		{"syntax error", "server {\n  listen = \n}\n",
			`t.hcl:2:12: Invalid expression: Expected the start of an expression`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Parse([]byte(tt.src), "t.hcl")
			if err == nil {
				t.Fatalf("Parse succeeded, want error %q", tt.want)
			}
			if c != nil {
				t.Errorf("Parse returned a config with an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, tt.want)
			}
			if !errors.Is(err, config.ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false")
			}
		})
	}
}

// TestParseReportsAllErrors checks that one run reports every problem, decode
// and validation alike, one line each, in file order.
func TestParseReportsAllErrors(t *testing.T) {
	clearEnv(t)
	src := `server {
  listen           = 8080
  shutdown_timeout = "soon"
}

hub {
  shards = 3
}

transport "ws" {
  max_rooms = 0
  bogus     = true
}

transport "wss" {
}
`
	_, err := config.Parse([]byte(src), "all.hcl")
	want := []string{
		`all.hcl:2:22: server: listen: a string is required, got number`,
		`all.hcl:3:22: server: shutdown_timeout: invalid duration "soon"; use a string such as "500ms", "30s", "5m" or "24h"`,
		`all.hcl:7:12: hub: shards: must be a power of two (1, 2, 4, … 64, …), got 3`,
		`all.hcl:11:15: transport "ws": max_rooms: must be > 0, got 0`,
		`all.hcl:12:3: Unsupported argument: An argument named "bogus" is not expected here`,
		`all.hcl:15:11: Unknown transport "wss": known transports are "sse" and "ws"`,
	}
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	var e *config.Error
	if !errors.As(err, &e) || e.Range == nil || e.Range.Start.Line != 2 {
		t.Errorf("errors.As: first *Error = %+v, want one at line 2", e)
	}
}

func TestLoad(t *testing.T) {
	clearEnv(t)
	c, err := config.Load("testdata/minimal.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if c.Filename != "testdata/minimal.hcl" || c.Server.Listen != "127.0.0.1:8080" {
		t.Errorf("Filename, Listen = %q, %q", c.Filename, c.Server.Listen)
	}

	_, err = config.Load("testdata/does-not-exist.hcl")
	if !errors.Is(err, os.ErrNotExist) || errors.Is(err, config.ErrInvalid) {
		t.Errorf("Load(missing) = %v, want a not-exist error that is not ErrInvalid", err)
	}
}

func TestFormatDiagnostics(t *testing.T) {
	if err := config.FormatDiagnostics(nil); err != nil {
		t.Errorf("FormatDiagnostics(nil) = %v", err)
	}
	diags := hcl.Diagnostics{
		{Severity: hcl.DiagError, Summary: "Bad thing", Detail: "It is bad.\nVery bad.",
			Subject: &hcl.Range{Filename: "f.hcl", Start: hcl.Pos{Line: 3, Column: 5}}},
		{Severity: hcl.DiagWarning, Summary: "Odd thing"},
		{Severity: hcl.DiagError, Summary: "Another", Detail: "Defined at f.hcl:1,2-9 and f.hcl:4,1-5,2.",
			Subject: &hcl.Range{Filename: "f.hcl", Start: hcl.Pos{Line: 7, Column: 1}}},
	}
	want := "f.hcl:3:5: Bad thing: It is bad. Very bad\n" +
		"warning: Odd thing\n" +
		"f.hcl:7:1: Another: Defined at f.hcl:1:2 and f.hcl:4:1"
	err := config.FormatDiagnostics(diags)
	if err == nil || err.Error() != want {
		t.Errorf("FormatDiagnostics =\n%v\nwant\n%s", err, want)
	}
	if !errors.Is(err, config.ErrInvalid) {
		t.Errorf("errors.Is(err, ErrInvalid) = false")
	}
}
