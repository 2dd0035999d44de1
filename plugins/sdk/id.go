package sdk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"

	"github.com/oklog/ulid/v2"
	"github.com/uptrace/bun"
)

// IDPattern is what an id in a room name or a path may look like
// (A-Z, a-z, 0-9, '_', '.', '-'; 1 to 128 characters), as the core checks
// room ids.
const IDPattern = `^[A-Za-z0-9_.-]{1,128}$`

var idRE = regexp.MustCompile(IDPattern)

// ValidID reports whether s matches IDPattern. Check ids from paths with
// it before using them: a malformed id is a resource that does not exist.
func ValidID(s string) bool { return idRE.MatchString(s) }

// NewID makes a new id: a ULID, sortable by creation time.
func NewID() string { return ulid.Make().String() }

// Caller returns the authenticated caller, or a 401 *Error.
func (r *Request) Caller() (Principal, error) {
	if r.Principal == nil || r.Principal.User == "" {
		return Principal{}, Unauthorized("authentication required")
	}
	return *r.Principal, nil
}

// ProjectMember checks that the caller of r is a member of project pid, by
// asking the owner of room project:pid (the projects plugin) through h. It
// answers 401 without a caller, 404 for a malformed id, and the owner's
// refusal (403 not a member, 404 no such project) as is.
func ProjectMember(ctx context.Context, h Host, r *Request, pid string) error {
	who, err := r.Caller()
	if err != nil {
		return err
	}
	if !ValidID(pid) {
		return NotFound("project %q not found", pid)
	}
	return h.Authorize(ctx, who, "project:"+pid)
}

// Find reads the row of model (a pointer to a bun model with its primary
// key set) by that key. No such row is a 404 *Error whose message is
// format with args; other errors are returned wrapped.
func Find(ctx context.Context, db bun.IDB, model any, format string, args ...any) error {
	err := db.NewSelect().Model(model).WherePK().Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return NotFound(format, args...)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", fmt.Sprintf(format, args...), err)
	}
	return nil
}
