package phases

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// Name is the plugin's usual name in the config file.
const Name = "phases"

// Config is the plugin's `config { }` block; it has no settings yet.
type Config struct{}

type plugin struct {
	host sdk.Host
	db   *bun.DB
	rt   *sdk.Router
}

var _ sdk.Plugin = (*plugin)(nil)

// New opens the plugin's database and returns the plugin. It is the
// factory given to sdk.Serve.
func New(_ Config, h sdk.Host) (sdk.Plugin, error) {
	db, err := h.DB(context.Background())
	if err != nil {
		return nil, err
	}
	p := &plugin{host: h, db: db, rt: sdk.NewRouter()}
	p.rt.Handle("POST", "/projects/{id}/phases", p.createPhase)
	p.rt.Handle("GET", "/projects/{id}/phases", p.listPhases)
	p.rt.Handle("GET", "/phases/{id}", p.getPhase)
	p.rt.Handle("PATCH", "/phases/{id}", p.patchPhase)
	p.rt.Handle("DELETE", "/phases/{id}", p.deletePhase)
	return p, nil
}

func (p *plugin) Info() sdk.Info {
	return sdk.Info{
		Description:   "Phases of a project (planned → active → completed).",
		Router:        p.rt,
		Events:        eventTypes(),
		Subscriptions: []string{projectDeleted},
		Migrations:    migrations,
	}
}

// projectDeleted is the projects plugin's event after which a project's
// phases are removed.
const projectDeleted = "pm.project.deleted"

var _ sdk.EventHandler = (*plugin)(nil)

// HandleEvent removes the phases of a deleted project (idempotent: a
// redelivery deletes nothing more). No events: pm.project.deleted says it.
func (p *plugin) HandleEvent(ctx context.Context, d *sdk.Delivery) error {
	if d.Type != projectDeleted {
		return nil
	}
	var ev struct {
		ID string `json:"id"`
	}
	if err := d.Decode(&ev); err != nil || ev.ID == "" {
		p.host.Logger().Error("phases: unreadable event, skipped", "type", d.Type, "id", d.ID, "err", err)
		return nil
	}
	_, err := p.db.NewDelete().Model((*phase)(nil)).Where("project_id = ?", ev.ID).Exec(ctx)
	return err
}
