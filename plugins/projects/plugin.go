package projects

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// Name is the plugin's usual name in the config file.
const Name = "projects"

// Config is the plugin's `config { }` block; it has no settings yet.
type Config struct{}

type plugin struct {
	host sdk.Host
	db   *bun.DB
	rt   *sdk.Router
}

var (
	_ sdk.Plugin     = (*plugin)(nil)
	_ sdk.Authorizer = (*plugin)(nil)
)

// New opens the plugin's database and returns the plugin. It is the
// factory given to sdk.Serve.
func New(_ Config, h sdk.Host) (sdk.Plugin, error) {
	db, err := h.DB(context.Background())
	if err != nil {
		return nil, err
	}
	p := &plugin{host: h, db: db, rt: sdk.NewRouter()}
	p.rt.Handle("POST", "/workspaces/{ws}/projects", p.createProject)
	p.rt.Handle("GET", "/workspaces/{ws}/projects", p.listProjects)
	p.rt.Handle("GET", "/projects/{id}", p.getProject)
	p.rt.Handle("PATCH", "/projects/{id}", p.patchProject)
	p.rt.Handle("DELETE", "/projects/{id}", p.deleteProject)
	p.rt.Handle("GET", "/projects/{id}/members", p.listMembers)
	p.rt.Handle("POST", "/projects/{id}/members", p.addMember)
	p.rt.Handle("GET", "/projects/{id}/members/{userId}", p.getMember)
	p.rt.Handle("PATCH", "/projects/{id}/members/{userId}", p.patchMember)
	p.rt.Handle("DELETE", "/projects/{id}/members/{userId}", p.removeMember)
	return p, nil
}

func (p *plugin) Info() sdk.Info {
	return sdk.Info{
		Description: "Projects and their members; decides who joins project: rooms.",
		Router:      p.rt,
		Events:      eventTypes(),
		RoomKinds:   []string{"project"},
		Migrations:  migrations,
	}
}

// Authorize lets the members of project P join room project:P.
func (p *plugin) Authorize(ctx context.Context, pr sdk.Principal, room sdk.Room) error {
	if room.Kind != "project" {
		return sdk.Forbidden("the projects plugin does not own room %s", room)
	}
	if pr.User == "" {
		return sdk.Forbidden("not a member of project %s", room.ID)
	}
	_, _, err := access(ctx, p.db, pr.User, room.ID, false)
	return err
}
