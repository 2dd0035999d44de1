package transport_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/core/transport"
	"github.com/switchboard-rt/switchboard/schema/hclconf"
)

// echo is a transport that answers every request with its greeting.
type echo struct {
	Path     string       `hcl:"path" json:"path"`
	Greeting string       `hcl:"greeting" json:"greeting"`
	Queue    hclconf.Size `hcl:"queue_bytes" json:"queue_bytes"`
}

var _ transport.Config = (*echo)(nil)

func (e *echo) Endpoint() string { return e.Path }

func (e *echo) Check(ck *config.Checker, c *config.Config) {
	ck.Endpoint("path", e.Path)
	if e.Greeting == "" {
		ck.Errorf("greeting", "must be set")
	}
	ck.Queue("queue_bytes", e.Queue, c)
}

func (e *echo) New(transport.Node) (transport.Transport, error) {
	return &echoT{greeting: e.Greeting}, nil
}

type echoT struct {
	greeting string
	closed   bool
}

func (t *echoT) ServeHTTP(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(t.greeting)) }
func (t *echoT) StopAccepting()                                   {}
func (t *echoT) Close(context.Context) error                      { t.closed = true; return nil }

func registry() *config.TransportRegistry {
	r := config.NewTransportRegistry()
	transport.RegisterIn(r, "echo", func() transport.Config {
		return &echo{Path: "/echo", Greeting: "hi", Queue: 1 << 20}
	})
	transport.RegisterIn(r, "other", func() transport.Config {
		return &echo{Path: "/other", Greeting: "yo", Queue: 1 << 20}
	})
	return r
}

func TestNewTransportNeedsOnlyItsPackage(t *testing.T) {
	r := registry()
	c, err := r.Parse([]byte("transport \"echo\" {\n  greeting = \"hello\"\n}\n"), "t.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if e := c.Transports.Get("echo"); !e.Enabled || e.Config.(*echo).Greeting != "hello" || e.DeclRange.Start.Line != 1 {
		t.Errorf("echo = %+v", e)
	}
	if o := c.Transports.Get("other"); o.Enabled {
		t.Errorf("other enabled although the file has only an echo block")
	}
	b, _ := c.JSON()
	if !strings.Contains(string(b), `"echo": {
      "enabled": true,
      "path": "/echo",
      "greeting": "hello",`) {
		t.Errorf("JSON:\n%s", b)
	}
	ts, mounts, err := transport.Start(context.Background(), c, transport.Node{})
	if err != nil || len(ts) != 1 || mounts["/echo"] == nil {
		t.Fatalf("Start = %v, %v, %v", ts, mounts, err)
	}
}

func TestTransportBlockErrors(t *testing.T) {
	r := registry()
	tests := []struct{ src, want string }{
		{"transport \"echo\" {\n  greeting = \"\"\n}\n", `t.hcl:2:14: transport "echo": greeting: must be set`},
		{"transport \"echo\" {\n  queue_bytes = \"1KiB\"\n}\n",
			`t.hcl:2:17: transport "echo": queue_bytes: must be at least publish max_event_bytes (65536), got 1024`},
		{"transport \"echo\" {\n  nope = 1\n}\n", `t.hcl:2:3: Unsupported argument: An argument named "nope" is not expected here`},
		{"transport \"mail\" {\n}\n", `t.hcl:1:11: Unknown transport "mail": known transports are "echo" and "other"`},
		{"transport \"echo\" {\n  enabled = false\n}\n", `t.hcl:1:1: transport: at least one transport ("echo" or "other") must be enabled`},
		{"transport \"echo\" {\n  path = \"/x\"\n}\ntransport \"other\" {\n  path = \"/x\"\n}\n", `t.hcl:5:10: transport "other": path: "/x" is already the echo path`},
	}
	for _, tt := range tests {
		_, err := r.Parse([]byte(tt.src), "t.hcl")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error\n%v\nwant %s", tt.src, err, tt.want)
		}
		if err != nil && !errors.Is(err, config.ErrInvalid) {
			t.Errorf("%q: not ErrInvalid", tt.src)
		}
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	r := registry()
	defer func() {
		if recover() == nil {
			t.Error("no panic for a second echo")
		}
	}()
	transport.RegisterIn(r, "echo", func() transport.Config { return &echo{} })
}

// configOnly is registered with core/config alone: it cannot be started.
type configOnly struct{}

func (configOnly) Check(*config.Checker, *config.Config) {}
func (configOnly) Endpoint() string                      { return "/c" }

func TestStartNeedsATransportConfig(t *testing.T) {
	r := config.NewTransportRegistry()
	r.Register("c", func() config.TransportConfig { return configOnly{} })
	c := r.DefaultConfig()
	if _, _, err := transport.Start(context.Background(), c, transport.Node{}); err == nil ||
		!strings.Contains(err.Error(), `transport "c"`) {
		t.Errorf("Start = %v", err)
	}
}
