package tasks

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// Config is the plugin's `config { }` block.
type Config struct {
	// MaxTitleLength caps a title, in characters; 0 means 200.
	MaxTitleLength int `hcl:"max_title_length,optional"`
	// MaxDescriptionLength caps a description, in characters; 0 means 10000.
	MaxDescriptionLength int `hcl:"max_description_length,optional"`
}

// Defaults sets the defaults before the config block is decoded.
func (c *Config) Defaults() { *c = Config{MaxTitleLength: 200, MaxDescriptionLength: 10000} }

// Validate checks the limits; a zero one means its default.
func (c *Config) Validate() error {
	var errs []error
	d := Config{}
	d.Defaults()
	if c.MaxTitleLength < 0 {
		errs = append(errs, sdk.AttrError("max_title_length", "must be >= 0, got %d", c.MaxTitleLength))
	} else if c.MaxTitleLength == 0 {
		c.MaxTitleLength = d.MaxTitleLength
	}
	if c.MaxDescriptionLength < 0 {
		errs = append(errs, sdk.AttrError("max_description_length", "must be >= 0, got %d", c.MaxDescriptionLength))
	} else if c.MaxDescriptionLength == 0 {
		c.MaxDescriptionLength = d.MaxDescriptionLength
	}
	return errors.Join(errs...)
}

// plugin is the tasks plugin.
type plugin struct {
	cfg  Config
	host sdk.Host
	rt   *sdk.Router
}

var (
	_ sdk.Plugin       = (*plugin)(nil)
	_ sdk.Authorizer   = (*plugin)(nil)
	_ sdk.EventHandler = (*plugin)(nil)
	_ sdk.Validator    = (*Config)(nil)
)

// New makes the plugin; it is the factory given to sdk.Serve.
func New(cfg Config, h sdk.Host) (sdk.Plugin, error) {
	p := &plugin{cfg: cfg, host: h, rt: sdk.NewRouter()}
	p.rt.Handle("POST", "/projects/{id}/tasks", p.create)
	p.rt.Handle("GET", "/projects/{id}/tasks", p.list)
	p.rt.Handle("GET", "/tasks/{id}", p.get)
	p.rt.Handle("PATCH", "/tasks/{id}", p.patch)
	p.rt.Handle("DELETE", "/tasks/{id}", p.delete)
	return p, nil
}

// Info describes the plugin.
func (p *plugin) Info() sdk.Info {
	return sdk.Info{
		Description:   "Tasks of a project, versioned; owns task:{id} rooms.",
		Router:        p.rt,
		Events:        EventTypes(),
		RoomKinds:     []string{"task"},
		Subscriptions: []string{ProjectDeleted},
		Migrations:    migrations,
	}
}

// Authorize lets members of a task's project join task:{id}.
func (p *plugin) Authorize(ctx context.Context, pr sdk.Principal, room sdk.Room) error {
	if room.Kind != "task" {
		return sdk.Forbidden("the tasks plugin does not own %s", room)
	}
	t, err := p.find(ctx, room.ID)
	if err != nil {
		return err
	}
	return p.host.Authorize(ctx, pr, "project:"+t.ProjectID)
}

// HandleEvent deletes the tasks of a deleted project. It is idempotent:
// a redelivery deletes nothing more.
func (p *plugin) HandleEvent(ctx context.Context, d *sdk.Delivery) error {
	if d.Type != ProjectDeleted {
		return nil
	}
	var ev struct {
		ID        string `json:"id"`
		ProjectID string `json:"projectId"`
	}
	if err := d.Decode(&ev); err != nil {
		// A payload we cannot read will not get better on redelivery.
		p.host.Logger().Error("tasks: unreadable event, skipped", "type", d.Type, "id", d.ID, "err", err)
		return nil
	}
	pid := ev.ProjectID
	if pid == "" {
		pid = ev.ID
	}
	if pid == "" {
		p.host.Logger().Error("tasks: event without a project id, skipped", "type", d.Type, "id", d.ID)
		return nil
	}
	db, err := p.host.DB(ctx)
	if err != nil {
		return err
	}
	res, err := db.NewDelete().Model((*task)(nil)).Where("project_id = ?", pid).Exec(ctx)
	if err != nil {
		return fmt.Errorf("tasks: delete tasks of project %s: %w", pid, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		p.host.Logger().Info("deleted the tasks of a deleted project", "project", pid, "tasks", n)
	}
	return nil
}
