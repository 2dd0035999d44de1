package tasks

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/uptrace/bun"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// assignable checks that user may be assigned tasks of project pid: a
// project member (asked of the projects plugin, as for the caller). ""
// (nobody) is always fine.
func (p *plugin) assignable(ctx context.Context, pid, user string) error {
	if user == "" {
		return nil
	}
	err := p.host.Authorize(ctx, sdk.Principal{User: user}, "project:"+pid)
	var e *sdk.Error
	if errors.As(err, &e) && e.Code == "forbidden" {
		return sdk.BadRequest("assigneeId: %s is not a member of project %s", user, pid)
	}
	return err
}

// withTask answers with a task and its version as ETag.
func withTask(status int, t *task) *sdk.Response {
	return sdk.WithVersion(sdk.JSON(status, t.payload()), t.Version)
}

// create serves POST /projects/{id}/tasks.
func (p *plugin) create(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	pid := r.Param("id")
	if err := sdk.ProjectMember(ctx, p.host, r, pid); err != nil {
		return nil, err
	}
	var in createInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	t, err := in.task(p.cfg)
	if err != nil {
		return nil, err
	}
	if err := p.assignable(ctx, pid, t.AssigneeID); err != nil {
		return nil, err
	}
	t.ID, t.ProjectID, t.Version, t.CreatedBy = sdk.NewID(), pid, 1, r.Principal.User
	t.CreatedAt = now()
	t.UpdatedAt = t.CreatedAt
	err = p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
		if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
			return fmt.Errorf("tasks: insert task: %w", err)
		}
		emit(event(TaskCreated, t.payload(), t, r))
		if t.AssigneeID != "" { // the assignee hears of it in their user room
			emit(event(TaskAssigned, &Assigned{ID: t.ID, ProjectID: t.ProjectID, AssigneeID: nullable(t.AssigneeID),
				Version: t.Version}, t, r).To("user:" + t.AssigneeID))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	resp := withTask(http.StatusCreated, t)
	resp.Header.Set("Location", "/v1/tasks/"+t.ID)
	return resp, nil
}

// list serves GET /projects/{id}/tasks, oldest first.
func (p *plugin) list(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	pid := r.Param("id")
	if err := sdk.ProjectMember(ctx, p.host, r, pid); err != nil {
		return nil, err
	}
	page, err := r.Page()
	if err != nil {
		return nil, err
	}
	db, err := p.host.DB(ctx)
	if err != nil {
		return nil, err
	}
	var rows []task
	q := db.NewSelect().Model(&rows).Where("t.project_id = ?", pid)
	if s := r.Query.Get("status"); s != "" {
		if !validStatus(s) {
			return nil, sdk.BadRequest("status must be one of todo, in_progress, done; got %q", s)
		}
		q = q.Where("t.status = ?", s)
	}
	if a := r.Query.Get("assigneeId"); a != "" {
		q = q.Where("t.assignee_id = ?", a)
	}
	if err := q.Order("t.id").Limit(int64(page.Limit + 1)).Offset(int64(page.Offset)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("tasks: list tasks of %s: %w", pid, err)
	}
	out := make([]*Task, len(rows))
	for i := range rows {
		out[i] = rows[i].payload()
	}
	return sdk.JSON(http.StatusOK, sdk.NewList(page, out)), nil
}

// get serves GET /tasks/{id}.
func (p *plugin) get(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	t, err := p.find(ctx, r.Param("id"))
	if err != nil {
		return nil, err
	}
	if err := sdk.ProjectMember(ctx, p.host, r, t.ProjectID); err != nil {
		return nil, err
	}
	return withTask(http.StatusOK, t), nil
}

// patch serves PATCH /tasks/{id}. Membership is asked outside the
// transaction (it is a call to another plugin); the row is read again,
// locked, checked against If-Match and written in one transaction, and
// the update is conditional on the version read, so two writers with the
// same If-Match never both succeed.
func (p *plugin) patch(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	t, err := p.find(ctx, r.Param("id"))
	if err != nil {
		return nil, err
	}
	if err := sdk.ProjectMember(ctx, p.host, r, t.ProjectID); err != nil {
		return nil, err
	}
	pc, err := sdk.IfMatch(r)
	if err != nil {
		return nil, err
	}
	var in patchInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := in.check(p.cfg); err != nil {
		return nil, err
	}
	if in.AssigneeID.Set && !in.AssigneeID.Null {
		if err := p.assignable(ctx, t.ProjectID, in.AssigneeID.Value); err != nil {
			return nil, err
		}
	}
	err = p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
		if t, err = findIn(ctx, tx, t.ID, true); err != nil {
			return err
		}
		if err := pc.Check("task "+t.ID, t.Version); err != nil {
			return err
		}
		before := *t
		if !in.apply(t) {
			return nil
		}
		t.Version++
		t.UpdatedAt = now()
		if err := update(ctx, tx, t, before.Version); err != nil {
			return err
		}
		emit(event(TaskUpdated, t.payload(), t, r))
		if t.Status != before.Status {
			emit(event(TaskStatusChanged, &StatusChanged{ID: t.ID, ProjectID: t.ProjectID,
				From: before.Status, To: t.Status, Version: t.Version}, t, r))
		}
		if t.AssigneeID != before.AssigneeID {
			ev := event(TaskAssigned, &Assigned{ID: t.ID, ProjectID: t.ProjectID, AssigneeID: nullable(t.AssigneeID),
				PreviousAssigneeID: nullable(before.AssigneeID), Version: t.Version}, t, r)
			if t.AssigneeID != "" {
				ev.To("user:" + t.AssigneeID)
			}
			emit(ev)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return withTask(http.StatusOK, t), nil
}

// update writes t if its row is still at version was.
func update(ctx context.Context, tx bun.Tx, t *task, was int64) error {
	res, err := tx.NewUpdate().Model(t).WherePK().Where("version = ?", was).Exec(ctx)
	if err != nil {
		return fmt.Errorf("tasks: update task %s: %w", t.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return sdk.Conflict("task %s changed meanwhile; retry", t.ID)
	}
	return nil
}

// delete serves DELETE /tasks/{id} (If-Match optional).
func (p *plugin) delete(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	t, err := p.find(ctx, r.Param("id"))
	if err != nil {
		return nil, err
	}
	if err := sdk.ProjectMember(ctx, p.host, r, t.ProjectID); err != nil {
		return nil, err
	}
	pc, err := sdk.IfMatch(r)
	if err != nil {
		return nil, err
	}
	err = p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
		if t, err = findIn(ctx, tx, t.ID, true); err != nil {
			return err
		}
		if err := pc.Check("task "+t.ID, t.Version); err != nil {
			return err
		}
		res, err := tx.NewDelete().Model(t).WherePK().Where("version = ?", t.Version).Exec(ctx)
		if err != nil {
			return fmt.Errorf("tasks: delete task %s: %w", t.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return sdk.Conflict("task %s changed meanwhile; retry", t.ID)
		}
		emit(event(TaskDeleted, &Deleted{ID: t.ID, ProjectID: t.ProjectID, Version: t.Version + 1}, t, r))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sdk.NoContent(), nil
}
