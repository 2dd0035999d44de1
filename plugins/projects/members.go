package projects

import (
	"context"
	"fmt"
	"net/http"

	"github.com/uptrace/bun"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// memberInput is the body of POST (userId, role) and PATCH (role) on
// members.
type memberInput struct {
	UserID string `json:"userId"`
	Role   string `json:"role"`
}

func checkRole(role string) error {
	if !validRole(role) {
		return sdk.BadRequest("role must be one of owner, admin, member; got %q", role)
	}
	return nil
}

// mayGrant checks that the caller (role me) may give or take away role:
// owners and admins manage members, and only owners manage owners.
func mayGrant(me, role, pid string) error {
	if !manages(me) {
		return sdk.Forbidden("only an owner or admin may manage the members of project %s", pid)
	}
	if role == RoleOwner && me != RoleOwner {
		return sdk.Forbidden("only an owner may make or change an owner of project %s", pid)
	}
	return nil
}

// lastOwner returns a 409 if target is the only owner of project pid.
func lastOwner(ctx context.Context, tx bun.Tx, target *member) error {
	if target.Role != RoleOwner {
		return nil
	}
	n, err := countOwners(ctx, tx, target.ProjectID)
	if err != nil {
		return err
	}
	if n <= 1 {
		return sdk.Conflict("%s is the last owner of project %s", target.UserID, target.ProjectID)
	}
	return nil
}

func (p *plugin) listMembers(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	pr, err := r.Caller()
	if err != nil {
		return nil, err
	}
	page, err := r.Page()
	if err != nil {
		return nil, err
	}
	id := r.Param("id")
	if _, _, err := access(ctx, p.db, pr.User, id, false); err != nil {
		return nil, err
	}
	var rows []member
	err = p.db.NewSelect().Model(&rows).Where("m.project_id = ?", id).Order("m.user_id").
		Limit(int64(page.Limit + 1)).Offset(int64(page.Offset)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("projects: list members of %s: %w", id, err)
	}
	out := make([]MemberData, len(rows))
	for i := range rows {
		out[i] = rows[i].data()
	}
	return sdk.JSON(http.StatusOK, sdk.NewList(page, out)), nil
}

func (p *plugin) getMember(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	pr, err := r.Caller()
	if err != nil {
		return nil, err
	}
	id, user := r.Param("id"), r.Param("userId")
	if _, _, err := access(ctx, p.db, pr.User, id, false); err != nil {
		return nil, err
	}
	m, err := loadMember(ctx, p.db, id, user)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, sdk.NotFound("%s is not a member of project %s", user, id)
	}
	return sdk.JSON(http.StatusOK, m.data()), nil
}

func (p *plugin) addMember(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	pr, err := r.Caller()
	if err != nil {
		return nil, err
	}
	var in memberInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if !sdk.ValidID(in.UserID) {
		return nil, sdk.BadRequest("userId must match [A-Za-z0-9_.-]{1,128}, got %q", in.UserID)
	}
	if err := checkRole(in.Role); err != nil {
		return nil, err
	}
	m := &member{ProjectID: r.Param("id"), UserID: in.UserID, Role: in.Role}
	err = p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
		_, me, err := access(ctx, tx, pr.User, m.ProjectID, true)
		if err != nil {
			return err
		}
		if err := mayGrant(me.Role, m.Role, m.ProjectID); err != nil {
			return err
		}
		old, err := loadMember(ctx, tx, m.ProjectID, m.UserID)
		if err != nil {
			return err
		}
		if old != nil {
			return sdk.Conflict("%s is already a member of project %s", m.UserID, m.ProjectID)
		}
		if _, err := tx.NewInsert().Model(m).Exec(ctx); err != nil {
			return fmt.Errorf("projects: insert member: %w", err)
		}
		emit(memberEvent(EventMemberAdded, r, m.data()))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sdk.JSON(http.StatusCreated, m.data()), nil
}

// patchMember changes a member's role. Setting the role a member already
// has answers the membership as it is, with no event.
func (p *plugin) patchMember(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	pr, err := r.Caller()
	if err != nil {
		return nil, err
	}
	var in struct {
		Role string `json:"role"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := checkRole(in.Role); err != nil {
		return nil, err
	}
	id, user := r.Param("id"), r.Param("userId")
	var out MemberData
	err = p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
		_, me, err := access(ctx, tx, pr.User, id, true)
		if err != nil {
			return err
		}
		target, err := loadMember(ctx, tx, id, user)
		if err != nil {
			return err
		}
		if target == nil {
			return sdk.NotFound("%s is not a member of project %s", user, id)
		}
		if err := mayGrant(me.Role, in.Role, id); err != nil {
			return err
		}
		if err := mayGrant(me.Role, target.Role, id); err != nil {
			return err
		}
		if target.Role != in.Role {
			if err := lastOwner(ctx, tx, target); err != nil {
				return err
			}
			target.Role = in.Role
			if _, err := tx.NewUpdate().Model(target).Column("role").WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("projects: update member: %w", err)
			}
			emit(memberEvent(EventMemberUpdated, r, target.data()))
		}
		out = target.data()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sdk.JSON(http.StatusOK, out), nil
}

// removeMember removes a member (owners and admins), or lets a member
// leave, then makes the user's connections leave the project's room and
// recheck its tasks' rooms.
func (p *plugin) removeMember(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	pr, err := r.Caller()
	if err != nil {
		return nil, err
	}
	id, user := r.Param("id"), r.Param("userId")
	err = p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
		_, me, err := access(ctx, tx, pr.User, id, true)
		if err != nil {
			return err
		}
		target, err := loadMember(ctx, tx, id, user)
		if err != nil {
			return err
		}
		if target == nil {
			return sdk.NotFound("%s is not a member of project %s", user, id)
		}
		if user != pr.User {
			if err := mayGrant(me.Role, target.Role, id); err != nil {
				return err
			}
		}
		if err := lastOwner(ctx, tx, target); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(target).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("projects: delete member: %w", err)
		}
		// The revocation is written with the removal: a crash cannot
		// separate them.
		emit(memberEvent(EventMemberRemoved, r, target.data()),
			sdk.RevokeAccess(sdk.Revocation{User: user, Rooms: []string{"project:" + id}, RecheckKinds: []string{"task"}, Reason: "removed from project"}))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sdk.NoContent(), nil
}
