package comments

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// precondition is an If-Match header: any version when absent or "*".
type precondition struct {
	set     bool
	version int64
}

// ifMatch reads If-Match: 3, "3" and W/"3" all mean version 3.
func ifMatch(r *sdk.Request) (precondition, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return precondition{}, nil
	}
	v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(h, "W/"), `"`), 10, 64)
	if err != nil || v < 1 {
		return precondition{}, sdk.BadRequest(`If-Match must be a version such as 3 or "3", got %q`, h)
	}
	return precondition{set: true, version: v}, nil
}

func (pc precondition) check(c *comment) error {
	if pc.set && pc.version != c.Version {
		return sdk.PreconditionFailed("comment %s is at version %d, not %d", c.ID, c.Version, pc.version)
	}
	return nil
}

// patch serves PATCH /comments/{id}. Membership is asked outside the
// transaction (a call to another plugin); the row is read again, locked,
// checked against If-Match and written in one transaction.
func (p *plugin) patch(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	c, err := p.load(ctx, r, true)
	if err != nil {
		return nil, err
	}
	pc, err := ifMatch(r)
	if err != nil {
		return nil, err
	}
	body, err := p.body(r)
	if err != nil {
		return nil, err
	}
	err = p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
		if c, err = findComment(ctx, tx, c.ID, true); err != nil {
			return err
		}
		if err := pc.check(c); err != nil {
			return err
		}
		if c.Body == body {
			return nil
		}
		was := c.Version
		c.Body, c.Version, c.UpdatedAt = body, was+1, now()
		res, err := tx.NewUpdate().Model(c).WherePK().Where("version = ?", was).Exec(ctx)
		if err != nil {
			return fmt.Errorf("comments: update comment %s: %w", c.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return sdk.Conflict("comment %s changed meanwhile; retry", c.ID)
		}
		emit(event(CommentUpdated, c.payload(), c, r))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return withComment(http.StatusOK, c), nil
}

// delete serves DELETE /comments/{id}.
func (p *plugin) delete(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	c, err := p.load(ctx, r, true)
	if err != nil {
		return nil, err
	}
	pc, err := ifMatch(r)
	if err != nil {
		return nil, err
	}
	err = p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
		if c, err = findComment(ctx, tx, c.ID, true); err != nil {
			return err
		}
		if err := pc.check(c); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(c).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("comments: delete comment %s: %w", c.ID, err)
		}
		emit(event(CommentDeleted, &Deleted{ID: c.ID, TaskID: c.TaskID, ProjectID: c.ProjectID, Version: c.Version + 1}, c, r))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sdk.NoContent(), nil
}
