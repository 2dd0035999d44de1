package comments

import (
	"context"
	"fmt"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// Config is the plugin's `config { }` block.
type Config struct {
	// MaxBodyLength caps a comment, in characters; 0 means 10000.
	MaxBodyLength int `hcl:"max_body_length,optional"`
}

// DefaultConfig is the configuration used for fields left at zero.
func DefaultConfig() Config { return Config{MaxBodyLength: 10000} }

// withDefaults fills zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.MaxBodyLength < 0 {
		return c, fmt.Errorf(`plugin "comments": max_body_length: must be >= 0, got %d`, c.MaxBodyLength)
	}
	if c.MaxBodyLength == 0 {
		c.MaxBodyLength = DefaultConfig().MaxBodyLength
	}
	return c, nil
}

// plugin is the comments plugin.
type plugin struct {
	cfg  Config
	host sdk.Host
	rt   *sdk.Router
}

var (
	_ sdk.Plugin       = (*plugin)(nil)
	_ sdk.EventHandler = (*plugin)(nil)
)

// New makes the plugin and creates its tables.
func New(cfg Config, h sdk.Host) (sdk.Plugin, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if _, err := sdk.OpenTables(h, tables...); err != nil {
		return nil, err
	}
	p := &plugin{cfg: cfg, host: h, rt: sdk.NewRouter()}
	p.rt.Handle("POST", "/tasks/{id}/comments", p.create)
	p.rt.Handle("GET", "/tasks/{id}/comments", p.list)
	p.rt.Handle("GET", "/comments/{id}", p.get)
	p.rt.Handle("PATCH", "/comments/{id}", p.patch)
	p.rt.Handle("DELETE", "/comments/{id}", p.delete)
	return p, nil
}

// Info describes the plugin.
func (p *plugin) Info() sdk.Info {
	return sdk.Info{
		Name:          "comments",
		APIVersion:    sdk.APIVersion1,
		Description:   "Comments on tasks; only their author changes them.",
		Routes:        p.rt.Routes(),
		Events:        EventTypes(),
		Subscriptions: []string{TaskCreated, TaskDeleted, ProjectDeleted},
	}
}

// Handle serves a route.
func (p *plugin) Handle(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	return p.rt.Serve(ctx, r)
}
