package comments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// comment is a row of comments_comments.
type comment struct {
	bun.BaseModel `bun:"table:comments_comments,alias:c"`

	ID        string    `bun:"id,pk"`
	TaskID    string    `bun:"task_id,notnull"`
	ProjectID string    `bun:"project_id,notnull"`
	AuthorID  string    `bun:"author_id,notnull"`
	Body      string    `bun:"body,notnull"`
	Version   int64     `bun:"version,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
}

// payload is the comment as events and the HTTP API show it.
func (c *comment) payload() *Comment {
	return &Comment{ID: c.ID, TaskID: c.TaskID, ProjectID: c.ProjectID, AuthorID: c.AuthorID, Body: c.Body,
		Version: c.Version, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

// taskRef is a row of comments_tasks, the projection of the tasks
// plugin's events: which project a task belongs to. A deleted task keeps
// its row with DeletedAt set, so that a late or repeated pm.task.created
// does not bring it back.
type taskRef struct {
	bun.BaseModel `bun:"table:comments_tasks,alias:ct"`

	TaskID    string    `bun:"task_id,pk"`
	ProjectID string    `bun:"project_id,notnull"`
	DeletedAt time.Time `bun:"deleted_at,nullzero"`
}

// now is the time stored in rows: UTC, to the millisecond.
func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// lock adds a row lock to q on PostgreSQL (SQLite transactions here are
// immediate: they hold the database's write lock from the start).
func lock(db bun.IDB, q *bun.SelectQuery, mode string) *bun.SelectQuery {
	if sdk.IsPostgres(db) {
		return q.For(mode)
	}
	return q
}

// findTask reads a live task of the projection; share locks its row until
// the transaction ends, so that a concurrent deletion waits for it.
func findTask(ctx context.Context, db bun.IDB, id string, share bool) (*taskRef, error) {
	if !sdk.ValidID(id) {
		return nil, sdk.NotFound("task %q not found", id)
	}
	t := new(taskRef)
	q := db.NewSelect().Model(t).Where("ct.task_id = ?", id).Where("ct.deleted_at IS NULL")
	if share {
		q = lock(db, q, "SHARE")
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, sdk.NotFound("task %q not found", id)
		}
		return nil, fmt.Errorf("comments: read task %s: %w", id, err)
	}
	return t, nil
}

// findComment reads a comment; forUpdate locks its row.
func findComment(ctx context.Context, db bun.IDB, id string, forUpdate bool) (*comment, error) {
	if !sdk.ValidID(id) {
		return nil, sdk.NotFound("comment %q not found", id)
	}
	c := new(comment)
	q := db.NewSelect().Model(c).Where("c.id = ?", id)
	if forUpdate {
		q = lock(db, q, "UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, sdk.NotFound("comment %q not found", id)
		}
		return nil, fmt.Errorf("comments: read comment %s: %w", id, err)
	}
	return c, nil
}
