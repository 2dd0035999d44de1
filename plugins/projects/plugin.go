package projects

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// Name is the plugin's name in Info.
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

// New opens the plugin's database, creates its tables if needed and
// returns the plugin. It is the factory given to sdk.Serve.
func New(_ Config, h sdk.Host) (sdk.Plugin, error) {
	db, err := sdk.OpenTables(h, tables...)
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
		Name:        Name,
		APIVersion:  sdk.APIVersion1,
		Description: "Projects and their members; decides who joins project: rooms.",
		Routes:      p.rt.Routes(),
		Events:      eventTypes(),
		RoomKinds:   []string{"project"},
	}
}

func (p *plugin) Handle(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	return p.rt.Serve(ctx, r)
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

// caller returns the authenticated caller, or a 401.
func caller(r *sdk.Request) (*sdk.Principal, error) {
	if r.Principal == nil || r.Principal.User == "" {
		return nil, sdk.Unauthorized("authentication required")
	}
	return r.Principal, nil
}

// revoke makes connections leave rooms after a committed change. The change
// stands if this fails (the rooms get no more events of the project), so
// the failure is logged rather than returned.
func (p *plugin) revoke(ctx context.Context, rv sdk.Revocation) {
	if err := p.host.Revoke(ctx, rv); err != nil {
		p.host.Logger().Error("revoke failed", "user", rv.User, "rooms", rv.Rooms, "err", err)
	}
}
