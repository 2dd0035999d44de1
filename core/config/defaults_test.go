package config_test

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/schema/hclconf"
	"github.com/switchboard-rt/switchboard/transports/ws"

	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/switchboard-rt/switchboard/core/config"
)

func mustParse(t *testing.T, src string) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(src), "t.hcl")
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	return c
}

func TestDefaultConfigIsValid(t *testing.T) {
	c := config.DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate():\n%v", err)
	}
	if !c.Auth.DevSecrets || !enabled(c, "ws") || !enabled(c, "sse") {
		t.Errorf("DevSecrets, WS.Enabled, SSE.Enabled = %v, %v, %v; want all true",
			c.Auth.DevSecrets, enabled(c, "ws"), enabled(c, "sse"))
	}
	if c.Server.Listen != ":8080" || c.Server.DataDir != "./data" {
		t.Errorf("Listen, DataDir = %q, %q; the contract says :8080 and ./data", c.Server.Listen, c.Server.DataDir)
	}
}

// An empty file is the defaults; so is a file that sets every block empty.
func TestEmptyFileKeepsDefaults(t *testing.T) {
	clearEnv(t)
	want, err := config.DefaultConfig().JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{"", "server {\n}\nauth {\n}\nnats {\n}\nhistory {\n}\nhub {\n}\npublish {\n}\n"} {
		c := mustParse(t, src)
		c.Filename = ""
		got, _ := c.JSON()
		if !bytes.Equal(got, want) {
			t.Errorf("Parse(%q) differs from DefaultConfig:\n%s\nwant:\n%s", src, got, want)
		}
	}
}

func TestPartialBlockKeepsOtherDefaults(t *testing.T) {
	clearEnv(t)
	c := mustParse(t, "history {\n  max_age = \"48h\"\n  max_msgs = null\n}\nserver {\n  allowed_origins = []\n}\n")
	d := config.DefaultConfig()
	if c.History.MaxAge != hclconf.Duration(48*time.Hour) {
		t.Errorf("MaxAge = %v", c.History.MaxAge)
	}
	d.History.MaxAge = c.History.MaxAge
	if !reflect.DeepEqual(c.History, d.History) {
		t.Errorf("History = %+v, want defaults but max_age: %+v", c.History, d.History)
	}
	if c.Server.AllowedOrigins == nil || len(c.Server.AllowedOrigins) != 0 {
		t.Errorf("AllowedOrigins = %#v, want an empty list replacing the default", c.Server.AllowedOrigins)
	}
}

func TestTransportEnabled(t *testing.T) {
	clearEnv(t)
	tests := []struct {
		src     string
		ws, sse bool
	}{
		{"", true, true},
		{"transport \"ws\" {\n}\n", true, false},
		{"transport \"sse\" {\n}\n", false, true},
		{"transport \"ws\" {\n}\ntransport \"sse\" {\n}\n", true, true},
		{"transport \"ws\" {\n  enabled = false\n}\ntransport \"sse\" {\n}\n", false, true},
		{"transport \"sse\" {\n  enabled = true\n}\n", false, true},
	}
	for _, tt := range tests {
		c := mustParse(t, tt.src)
		if enabled(c, "ws") != tt.ws || enabled(c, "sse") != tt.sse {
			t.Errorf("%q: ws, sse enabled = %v, %v; want %v, %v", tt.src, enabled(c, "ws"), enabled(c, "sse"), tt.ws, tt.sse)
		}
	}
}

func TestSizes(t *testing.T) {
	clearEnv(t)
	c := mustParse(t, `transport "ws" {
  max_frame_bytes = "512B"
  queue_bytes     = "10MB"
}

history {
  max_bytes = "1GiB"
}

publish {
  max_body_bytes  = 2097152
  max_event_bytes = "1.5 KiB"
}
`)
	got := []hclconf.Size{ws.ConfigOf(c).MaxFrameBytes, ws.ConfigOf(c).QueueBytes, c.History.MaxBytes, c.Publish.MaxBodyBytes, c.Publish.MaxEventBytes}
	want := []hclconf.Size{512, 10_000_000, 1 << 30, 2 << 20, 1536}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sizes = %v, want %v", got, want)
	}
}

// The plugin's config block is kept raw; the plugin host decodes it with its
// own schema and EvalContext.
func TestPluginConfigIsOpaque(t *testing.T) {
	clearEnv(t)
	t.Setenv("SB_CONFIG_TEST_DSN", "postgres://db/tasks")
	c := mustParse(t, `plugin "tasks" {
  path = "./bin/tasks-fork"

  config {
    dsn       = env("SB_CONFIG_TEST_DSN")
    anything  = ["goes", 1]
  }
}

plugin "bare" {
  path = "./bin/bare"
}
`)
	if len(c.Plugins) != 2 {
		t.Fatalf("Plugins = %+v", c.Plugins)
	}
	p := c.Plugins[0]
	if p.Name != "tasks" || p.Path != "./bin/tasks-fork" || p.DeclRange.Start.Line != 1 || p.ConfigRange.Start.Line != 4 {
		t.Errorf("plugin = %+v", p)
	}
	var own struct {
		DSN  string   `hcl:"dsn"`
		Rest []string `hcl:"anything"`
	}
	if diags := gohcl.DecodeBody(p.Config, config.EvalContext(), &own); diags.HasErrors() {
		t.Fatal(config.FormatDiagnostics(diags))
	}
	if own.DSN != "postgres://db/tasks" || len(own.Rest) != 2 {
		t.Errorf("decoded plugin config = %+v", own)
	}
	if c.Plugins[1].Config != nil {
		t.Errorf("plugin without config block: Config = %v, want nil", c.Plugins[1].Config)
	}
}

// enabled reports whether the transport called name is enabled in c.
func enabled(c *config.Config, name string) bool {
	t := c.Transports.Get(name)
	return t != nil && t.Enabled
}
