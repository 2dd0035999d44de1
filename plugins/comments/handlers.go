package comments

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// input is the body of POST and PATCH.
type input struct {
	Body *string `json:"body"`
}

// body reads and checks the request body; the comment is trimmed.
func (p *plugin) body(r *sdk.Request) (string, error) {
	var in input
	if err := r.Decode(&in); err != nil {
		return "", err
	}
	if in.Body == nil {
		return "", sdk.BadRequest("body is required")
	}
	s := strings.TrimSpace(*in.Body)
	if s == "" {
		return "", sdk.BadRequest("body must not be empty")
	}
	if n := utf8.RuneCountInString(s); n > p.cfg.MaxBodyLength {
		return "", sdk.BadRequest("body is %d characters long, at most %d are allowed", n, p.cfg.MaxBodyLength)
	}
	return s, nil
}

// withComment answers with a comment and its version as ETag.
func withComment(status int, c *comment) *sdk.Response {
	resp := sdk.JSON(status, c.payload())
	resp.Header.Set("ETag", `"`+strconv.FormatInt(c.Version, 10)+`"`)
	return resp
}

// create serves POST /tasks/{id}/comments.
func (p *plugin) create(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	db, err := p.host.DB(ctx)
	if err != nil {
		return nil, err
	}
	t, err := findTask(ctx, db, r.Param("id"), false)
	if err != nil {
		return nil, err
	}
	if err := sdk.ProjectMember(ctx, p.host, r, t.ProjectID); err != nil {
		return nil, err
	}
	body, err := p.body(r)
	if err != nil {
		return nil, err
	}
	ts := now()
	c := &comment{ID: sdk.NewID(), TaskID: t.TaskID, ProjectID: t.ProjectID, AuthorID: r.Principal.User,
		Body: body, Version: 1, CreatedAt: ts, UpdatedAt: ts}
	err = p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
		// The task must still be there, and stay there until we commit.
		if _, err := findTask(ctx, tx, t.TaskID, true); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return fmt.Errorf("comments: insert comment: %w", err)
		}
		emit(event(CommentCreated, c.payload(), c, r))
		return nil
	})
	if err != nil {
		return nil, err
	}
	resp := withComment(http.StatusCreated, c)
	resp.Header.Set("Location", "/v1/comments/"+c.ID)
	return resp, nil
}

// list serves GET /tasks/{id}/comments, oldest first.
func (p *plugin) list(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	db, err := p.host.DB(ctx)
	if err != nil {
		return nil, err
	}
	t, err := findTask(ctx, db, r.Param("id"), false)
	if err != nil {
		return nil, err
	}
	if err := sdk.ProjectMember(ctx, p.host, r, t.ProjectID); err != nil {
		return nil, err
	}
	page, err := r.Page()
	if err != nil {
		return nil, err
	}
	var rows []comment
	err = db.NewSelect().Model(&rows).Where("c.task_id = ?", t.TaskID).Order("c.id").
		Limit(int64(page.Limit + 1)).Offset(int64(page.Offset)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("comments: list comments of %s: %w", t.TaskID, err)
	}
	out := make([]*Comment, len(rows))
	for i := range rows {
		out[i] = rows[i].payload()
	}
	return sdk.JSON(http.StatusOK, sdk.NewList(page, out)), nil
}

// load reads the comment of the route and checks that the caller is a
// member of its project and, if authorOnly, its author.
func (p *plugin) load(ctx context.Context, r *sdk.Request, authorOnly bool) (*comment, error) {
	db, err := p.host.DB(ctx)
	if err != nil {
		return nil, err
	}
	c, err := findComment(ctx, db, r.Param("id"), false)
	if err != nil {
		return nil, err
	}
	if err := sdk.ProjectMember(ctx, p.host, r, c.ProjectID); err != nil {
		return nil, err
	}
	if authorOnly && c.AuthorID != r.Principal.User {
		return nil, sdk.Forbidden("only the author of comment %s may change it", c.ID)
	}
	return c, nil
}

// get serves GET /comments/{id}.
func (p *plugin) get(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	c, err := p.load(ctx, r, false)
	if err != nil {
		return nil, err
	}
	return withComment(http.StatusOK, c), nil
}
