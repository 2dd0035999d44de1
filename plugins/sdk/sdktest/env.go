package sdktest

import (
	"context"
	"testing"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// Env is a plugin started in-process on a test Host, the way the plugin
// process starts it (sdk.Start: Validate, the factory, the migrations).
// Every event it emits is checked against the schema of its type, as the
// core checks it: by Events, and at the end of the test for those left.
type Env struct {
	T       testing.TB
	Host    *Host
	Plugin  sdk.Plugin
	Schemas Schemas
}

// Option sets up the Host of an Env before the plugin starts.
type Option func(*Host)

// WithMembers makes the Host answer Authorize on project:P rooms from
// members, as the projects plugin would (see Projects).
func WithMembers(members map[string][]string) Option {
	return func(h *Host) { h.AuthorizeFunc = Projects(members) }
}

// WithAuthorize makes the Host answer Authorize with f.
func WithAuthorize(f func(ctx context.Context, p sdk.Principal, room string) error) Option {
	return func(h *Host) { h.AuthorizeFunc = f }
}

// Start starts the plugin that factory makes from cfg, named name, on a
// new Host (SQLite in a temporary directory unless dsn is given). It fails
// t if the plugin does not start.
func Start[C any](t testing.TB, name string, factory func(C, sdk.Host) (sdk.Plugin, error), cfg C, dsn string, opts ...Option) *Env {
	t.Helper()
	h := NewHost(t, name, dsn)
	for _, o := range opts {
		o(h)
	}
	p, err := sdk.Start(context.Background(), cfg, h, factory)
	if err != nil {
		t.Fatalf("start plugin %s: %v", name, err)
	}
	e := &Env{T: t, Host: h, Plugin: p, Schemas: CompileSchemas(t, p.Info().Events)}
	t.Cleanup(func() { e.Events() })
	return e
}

// Each runs fn as subtest "sqlite" on a plugin started on SQLite, and as
// subtest "postgres" on one started in a fresh schema of the test
// PostgreSQL (see Postgres: skipped, saying why, when it is unreachable;
// the schema is dropped afterwards).
func Each[C any](t *testing.T, name string, factory func(C, sdk.Host) (sdk.Plugin, error), cfg C, fn func(t *testing.T, e *Env), opts ...Option) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, Start(t, name, factory, cfg, "", opts...)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Start(t, name, factory, cfg, Postgres(t), opts...)) })
}

// Do serves a request to route "METHOD /pattern" (see Request) as the
// core would; mods may add headers or query parameters (Header, Query).
func (e *Env) Do(method, pattern string, params map[string]string, body any, who *sdk.Principal, mods ...func(*sdk.Request)) Result {
	e.T.Helper()
	r := Request(method, pattern, params, body, who)
	for _, m := range mods {
		m(r)
	}
	return Serve(e.T, e.Plugin, r)
}

// Header sets a request header, for Env.Do.
func Header(key, value string) func(*sdk.Request) {
	return func(r *sdk.Request) { r.Header.Set(key, value) }
}

// Query sets a query parameter, for Env.Do.
func Query(key, value string) func(*sdk.Request) {
	return func(r *sdk.Request) { r.Query.Set(key, value) }
}

// Events returns the events emitted since the last call, each checked
// against its declared schema.
func (e *Env) Events() []*sdk.Event {
	e.T.Helper()
	return e.Schemas.Check(e.T, e.Host.Emitted())
}

// One fails the test unless exactly one event, of type typ, was emitted
// since the last call, and returns it.
func (e *Env) One(typ string) *sdk.Event {
	e.T.Helper()
	return OneEvent(e.T, e.Events(), typ)
}

// Info is the plugin's Info as the core receives it (sdk.Describe).
func (e *Env) Info() sdk.Info { return sdk.Describe(e.Plugin, e.Host.Name()) }

// Config decodes src, the body of a plugin's `config { }` block, as the
// plugin process does (Defaults, attributes, Validate), failing t on an
// error. Config[C](t, "") is the config of an empty block.
func Config[C any](t testing.TB, src string) C {
	t.Helper()
	cfg, err := sdk.DecodeConfig[C]("config.hcl", []byte(src))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}
