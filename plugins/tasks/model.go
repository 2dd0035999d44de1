package tasks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// Task statuses.
const (
	StatusTodo       = "todo"
	StatusInProgress = "in_progress"
	StatusDone       = "done"
)

// task is a row of tasks_tasks. PhaseID and AssigneeID are NULL when
// empty.
type task struct {
	bun.BaseModel `bun:"table:tasks_tasks,alias:t"`

	ID          string    `bun:"id,pk"`
	ProjectID   string    `bun:"project_id,notnull"`
	PhaseID     string    `bun:"phase_id,nullzero"`
	Title       string    `bun:"title,notnull"`
	Description string    `bun:"description,notnull"`
	Status      string    `bun:"status,notnull"`
	AssigneeID  string    `bun:"assignee_id,nullzero"`
	Version     int64     `bun:"version,notnull"`
	CreatedBy   string    `bun:"created_by,notnull"`
	CreatedAt   time.Time `bun:"created_at,notnull"`
	UpdatedAt   time.Time `bun:"updated_at,notnull"`
}

// payload is the task as events and the HTTP API show it.
func (t *task) payload() *Task {
	return &Task{ID: t.ID, ProjectID: t.ProjectID, PhaseID: nullable(t.PhaseID), Title: t.Title,
		Description: t.Description, Status: t.Status, AssigneeID: nullable(t.AssigneeID), Version: t.Version,
		CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC()}
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// now is the time stored in rows: UTC, to the millisecond (what both
// SQLite and PostgreSQL keep exactly).
func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// find reads a task; a missing one is a 404 *sdk.Error.
func (p *plugin) find(ctx context.Context, id string) (*task, error) {
	if !sdk.ValidID(id) {
		return nil, sdk.NotFound("task %q not found", id)
	}
	db, err := p.host.DB(ctx)
	if err != nil {
		return nil, err
	}
	return findIn(ctx, db, id, false)
}

// findIn reads a task within db; forUpdate locks its row until the
// transaction ends (PostgreSQL; SQLite transactions here are immediate,
// which locks the whole database for writing).
func findIn(ctx context.Context, db bun.IDB, id string, forUpdate bool) (*task, error) {
	t := new(task)
	q := db.NewSelect().Model(t).Where("t.id = ?", id)
	if forUpdate && sdk.IsPostgres(db) {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, sdk.NotFound("task %q not found", id)
		}
		return nil, fmt.Errorf("tasks: read task %s: %w", id, err)
	}
	return t, nil
}
