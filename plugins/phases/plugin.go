package phases

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// Name is the plugin's name in Info.
const Name = "phases"

// Config is the plugin's `config { }` block; it has no settings yet.
type Config struct{}

type plugin struct {
	host sdk.Host
	db   *bun.DB
	rt   *sdk.Router
}

var _ sdk.Plugin = (*plugin)(nil)

// New opens the plugin's database, creates its table if needed and returns
// the plugin. It is the factory given to sdk.Serve.
func New(_ Config, h sdk.Host) (sdk.Plugin, error) {
	db, err := sdk.OpenTables(h, tables...)
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
		Name:          Name,
		APIVersion:    sdk.APIVersion1,
		Description:   "Phases of a project (planned → active → completed).",
		Routes:        p.rt.Routes(),
		Events:        eventTypes(),
		Subscriptions: []string{projectDeleted},
	}
}

func (p *plugin) Handle(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	return p.rt.Serve(ctx, r)
}

// member checks, by asking the owner of room project:pid (the projects
// plugin) through the host, that the caller is a member of project pid.
// Its refusal (403 or 404) is returned as is.
func (p *plugin) member(ctx context.Context, r *sdk.Request, pid string) error {
	if r.Principal == nil || r.Principal.User == "" {
		return sdk.Unauthorized("authentication required")
	}
	if !idPattern.MatchString(pid) {
		return sdk.NotFound("project %s not found", pid)
	}
	return p.host.Authorize(ctx, *r.Principal, "project:"+pid)
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
