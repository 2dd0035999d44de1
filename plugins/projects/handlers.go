package projects

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// projectInput is the body of POST and PATCH on projects; absent fields are
// nil.
type projectInput struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

// check trims and validates the fields given; create requires a name.
func (in *projectInput) check(create bool) error {
	if in.Name == nil && create {
		return sdk.BadRequest("name is required")
	}
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" || utf8.RuneCountInString(n) > maxName {
			return sdk.BadRequest("name must be 1 to %d characters", maxName)
		}
		in.Name = &n
	}
	if in.Description != nil {
		d := strings.TrimSpace(*in.Description)
		if utf8.RuneCountInString(d) > maxDescription {
			return sdk.BadRequest("description must be at most %d characters", maxDescription)
		}
		in.Description = &d
	}
	return nil
}

// inWorkspace checks that the caller's token lists workspace ws.
func inWorkspace(pr sdk.Principal, ws string) error {
	if !sdk.ValidID(ws) {
		return sdk.BadRequest("invalid workspace id %q", ws)
	}
	if !pr.InWorkspace(ws) {
		return sdk.Forbidden("workspace %s is not in your token", ws)
	}
	return nil
}

func (p *plugin) createProject(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	pr, err := r.Caller()
	if err != nil {
		return nil, err
	}
	ws := r.Param("ws")
	if err := inWorkspace(pr, ws); err != nil {
		return nil, err
	}
	var in projectInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := in.check(true); err != nil {
		return nil, err
	}
	proj := &project{ID: sdk.NewID(), WorkspaceID: ws, Name: *in.Name, CreatedBy: pr.User, Version: 1}
	if in.Description != nil {
		proj.Description = *in.Description
	}
	owner := &member{ProjectID: proj.ID, UserID: pr.User, Role: RoleOwner}
	err = p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
		if _, err := tx.NewInsert().Model(proj).Exec(ctx); err != nil {
			return fmt.Errorf("projects: insert project: %w", err)
		}
		if _, err := tx.NewInsert().Model(owner).Exec(ctx); err != nil {
			return fmt.Errorf("projects: insert owner: %w", err)
		}
		emit(projectEvent(EventProjectCreated, r, proj.data()))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sdk.WithVersion(sdk.JSON(http.StatusCreated, proj.data()), proj.Version), nil
}

// listProjects lists the projects of a workspace that the caller is a
// member of, oldest first.
func (p *plugin) listProjects(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	pr, err := r.Caller()
	if err != nil {
		return nil, err
	}
	ws := r.Param("ws")
	if err := inWorkspace(pr, ws); err != nil {
		return nil, err
	}
	page, err := r.Page()
	if err != nil {
		return nil, err
	}
	var rows []project
	err = p.db.NewSelect().Model(&rows).
		Join("JOIN projects_members AS m ON m.project_id = p.id AND m.user_id = ?", pr.User).
		Where("p.workspace_id = ?", ws).Order("p.id").Limit(int64(page.Limit + 1)).Offset(int64(page.Offset)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("projects: list projects of %s: %w", ws, err)
	}
	out := make([]ProjectData, len(rows))
	for i := range rows {
		out[i] = rows[i].data()
	}
	return sdk.JSON(http.StatusOK, sdk.NewList(page, out)), nil
}

func (p *plugin) getProject(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	pr, err := r.Caller()
	if err != nil {
		return nil, err
	}
	proj, _, err := access(ctx, p.db, pr.User, r.Param("id"), false)
	if err != nil {
		return nil, err
	}
	return sdk.WithVersion(sdk.JSON(http.StatusOK, proj.data()), proj.Version), nil
}

// patchProject changes the name or description (owners and admins). A
// request that changes nothing answers the project as it is, with no event.
func (p *plugin) patchProject(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	pr, err := r.Caller()
	if err != nil {
		return nil, err
	}
	pc, err := sdk.IfMatch(r)
	if err != nil {
		return nil, err
	}
	var in projectInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := in.check(false); err != nil {
		return nil, err
	}
	var out ProjectData
	err = p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
		proj, me, err := access(ctx, tx, pr.User, r.Param("id"), true)
		if err != nil {
			return err
		}
		if !manages(me.Role) {
			return sdk.Forbidden("only an owner or admin may change project %s", proj.ID)
		}
		if err := pc.Check("project "+proj.ID, proj.Version); err != nil {
			return err
		}
		changed := false
		if in.Name != nil && *in.Name != proj.Name {
			proj.Name, changed = *in.Name, true
		}
		if in.Description != nil && *in.Description != proj.Description {
			proj.Description, changed = *in.Description, true
		}
		if changed {
			proj.Version++
			if _, err := tx.NewUpdate().Model(proj).Column("name", "description", "version").WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("projects: update project %s: %w", proj.ID, err)
			}
			emit(projectEvent(EventProjectUpdated, r, proj.data()))
		}
		out = proj.data()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sdk.WithVersion(sdk.JSON(http.StatusOK, out), out.Version), nil
}

// deleteProject deletes a project and its memberships (owners only), then
// makes every connection leave its room and recheck its tasks' rooms.
func (p *plugin) deleteProject(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	pr, err := r.Caller()
	if err != nil {
		return nil, err
	}
	id := r.Param("id")
	pc, err := sdk.IfMatch(r)
	if err != nil {
		return nil, err
	}
	err = p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
		proj, me, err := access(ctx, tx, pr.User, id, true)
		if err != nil {
			return err
		}
		if me.Role != RoleOwner {
			return sdk.Forbidden("only an owner may delete project %s", id)
		}
		if err := pc.Check("project "+id, proj.Version); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*member)(nil)).Where("m.project_id = ?", id).Exec(ctx); err != nil {
			return fmt.Errorf("projects: delete members of %s: %w", id, err)
		}
		if _, err := tx.NewDelete().Model(proj).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("projects: delete project %s: %w", id, err)
		}
		proj.Version++
		// The revocation is written with the deletion: a crash cannot
		// separate them.
		emit(projectEvent(EventProjectDeleted, r, proj.data()),
			sdk.RevokeAccess(sdk.Revocation{Rooms: []string{"project:" + id}, RecheckKinds: []string{"task"}, Reason: "project deleted"}))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sdk.NoContent(), nil
}
