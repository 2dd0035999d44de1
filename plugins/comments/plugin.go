package comments

import (
	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// Config is the plugin's `config { }` block.
type Config struct {
	// MaxBodyLength caps a comment, in characters; 0 means 10000.
	MaxBodyLength int `hcl:"max_body_length,optional"`
}

// Defaults sets the defaults before the config block is decoded.
func (c *Config) Defaults() { c.MaxBodyLength = 10000 }

// Validate checks the limit; zero means its default.
func (c *Config) Validate() error {
	if c.MaxBodyLength < 0 {
		return sdk.AttrError("max_body_length", "must be >= 0, got %d", c.MaxBodyLength)
	}
	if c.MaxBodyLength == 0 {
		c.Defaults()
	}
	return nil
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

// New makes the plugin; it is the factory given to sdk.Serve.
func New(cfg Config, h sdk.Host) (sdk.Plugin, error) {
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
		Description:   "Comments on tasks; only their author changes them.",
		Router:        p.rt,
		Events:        EventTypes(),
		Subscriptions: []string{TaskCreated, TaskDeleted, ProjectDeleted},
		Migrations:    migrations,
	}
}
