package comments

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// taskEvent is the part of the tasks plugin's (and pm.project.deleted's)
// data the projection reads.
type taskEvent struct {
	ID        string `json:"id"`
	ProjectID string `json:"projectId"`
}

// HandleEvent keeps comments_tasks up to date. Every branch is
// idempotent, and a delete leaves a tombstone, so redeliveries (even of
// pm.task.created after pm.task.deleted) change nothing.
func (p *plugin) HandleEvent(ctx context.Context, d *sdk.Delivery) error {
	var ev taskEvent
	if err := d.Decode(&ev); err != nil {
		// A payload we cannot read will not get better on redelivery.
		p.host.Logger().Error("comments: unreadable event, skipped", "type", d.Type, "id", d.ID, "err", err)
		return nil
	}
	switch d.Type {
	case TaskCreated:
		if !sdk.ValidID(ev.ID) || ev.ProjectID == "" {
			return p.skip(d, "no task or project id")
		}
		return p.taskCreated(ctx, ev)
	case TaskDeleted:
		if !sdk.ValidID(ev.ID) || ev.ProjectID == "" {
			return p.skip(d, "no task or project id")
		}
		return p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, _ func(...*sdk.Event)) error {
			return taskDeleted(ctx, tx, ev)
		})
	case ProjectDeleted:
		pid := ev.ProjectID
		if pid == "" {
			pid = ev.ID
		}
		if pid == "" {
			return p.skip(d, "no project id")
		}
		return p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, _ func(...*sdk.Event)) error {
			return projectDeleted(ctx, tx, pid)
		})
	}
	return nil
}

func (p *plugin) skip(d *sdk.Delivery, why string) error {
	p.host.Logger().Error("comments: event skipped: "+why, "type", d.Type, "id", d.ID)
	return nil
}

func (p *plugin) taskCreated(ctx context.Context, ev taskEvent) error {
	db, err := p.host.DB(ctx)
	if err != nil {
		return err
	}
	_, err = db.NewInsert().Model(&taskRef{TaskID: ev.ID, ProjectID: ev.ProjectID}).
		On("CONFLICT (task_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return fmt.Errorf("comments: project task %s: %w", ev.ID, err)
	}
	return nil
}

// taskDeleted marks the task deleted (first, which waits for the share
// locks of comments being added to it) and then deletes its comments.
func taskDeleted(ctx context.Context, tx bun.Tx, ev taskEvent) error {
	ts := now()
	_, err := tx.NewInsert().Model(&taskRef{TaskID: ev.ID, ProjectID: ev.ProjectID, DeletedAt: ts}).
		On("CONFLICT (task_id) DO NOTHING").Exec(ctx)
	if err == nil {
		_, err = tx.NewUpdate().Model((*taskRef)(nil)).Set("deleted_at = ?", ts).
			Where("task_id = ?", ev.ID).Where("deleted_at IS NULL").Exec(ctx)
	}
	if err == nil {
		_, err = tx.NewDelete().Model((*comment)(nil)).Where("task_id = ?", ev.ID).Exec(ctx)
	}
	if err != nil {
		return fmt.Errorf("comments: delete task %s: %w", ev.ID, err)
	}
	return nil
}

// projectDeleted marks the project's tasks deleted and deletes their
// comments.
func projectDeleted(ctx context.Context, tx bun.Tx, pid string) error {
	_, err := tx.NewUpdate().Model((*taskRef)(nil)).Set("deleted_at = ?", now()).
		Where("project_id = ?", pid).Where("deleted_at IS NULL").Exec(ctx)
	if err == nil {
		_, err = tx.NewDelete().Model((*comment)(nil)).Where("project_id = ?", pid).Exec(ctx)
	}
	if err != nil {
		return fmt.Errorf("comments: delete project %s: %w", pid, err)
	}
	return nil
}
