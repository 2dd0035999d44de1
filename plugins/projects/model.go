package projects

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// Member roles.
const (
	RoleOwner  = "owner"
	RoleAdmin  = "admin"
	RoleMember = "member"
)

func validRole(r string) bool { return r == RoleOwner || r == RoleAdmin || r == RoleMember }

// manages reports whether role may change a project and its members.
func manages(role string) bool { return role == RoleOwner || role == RoleAdmin }

// project is a row of projects_projects.
type project struct {
	bun.BaseModel `bun:"table:projects_projects,alias:p"`

	ID          string `bun:"id,pk"`
	WorkspaceID string `bun:"workspace_id,notnull"`
	Name        string `bun:"name,notnull"`
	Description string `bun:"description,notnull"`
	CreatedBy   string `bun:"created_by,notnull"`
	Version     int64  `bun:"version,notnull"`
}

func (p *project) data() ProjectData {
	return ProjectData{ID: p.ID, WorkspaceID: p.WorkspaceID, Name: p.Name, Description: p.Description,
		CreatedBy: p.CreatedBy, Version: p.Version}
}

// member is a row of projects_members.
type member struct {
	bun.BaseModel `bun:"table:projects_members,alias:m"`

	ProjectID string `bun:"project_id,pk"`
	UserID    string `bun:"user_id,pk"`
	Role      string `bun:"role,notnull"`
}

func (m *member) data() MemberData {
	return MemberData{ProjectID: m.ProjectID, UserID: m.UserID, Role: m.Role}
}

// loadProject reads project id; lock takes a row lock on PostgreSQL (SQLite
// transactions are already exclusive). An unknown project is a 404.
func loadProject(ctx context.Context, db bun.IDB, id string, lock bool) (*project, error) {
	p := new(project)
	q := db.NewSelect().Model(p).Where("p.id = ?", id)
	if lock && sdk.IsPostgres(db) {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, sdk.NotFound("project %s not found", id)
		}
		return nil, fmt.Errorf("projects: load project %s: %w", id, err)
	}
	return p, nil
}

// loadMember reads the membership of user in project pid; nil if none.
func loadMember(ctx context.Context, db bun.IDB, pid, user string) (*member, error) {
	m := new(member)
	err := db.NewSelect().Model(m).Where("m.project_id = ?", pid).Where("m.user_id = ?", user).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("projects: load member %s of %s: %w", user, pid, err)
	}
	return m, nil
}

// countOwners counts the owners of project pid.
func countOwners(ctx context.Context, db bun.IDB, pid string) (int64, error) {
	n, err := db.NewSelect().Model((*member)(nil)).Where("m.project_id = ?", pid).Where("m.role = ?", RoleOwner).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("projects: count owners of %s: %w", pid, err)
	}
	return n, nil
}

// access loads project id and the caller's membership of it: 404 if the
// project is unknown, 403 if the caller is not a member. Inside a write
// transaction pass lock, so that changes to one project are serialized.
func access(ctx context.Context, db bun.IDB, user, id string, lock bool) (*project, *member, error) {
	p, err := loadProject(ctx, db, id, lock)
	if err != nil {
		return nil, nil, err
	}
	m, err := loadMember(ctx, db, id, user)
	if err != nil {
		return nil, nil, err
	}
	if m == nil {
		return nil, nil, sdk.Forbidden("not a member of project %s", id)
	}
	return p, m, nil
}
