package phases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// Phase statuses; a phase moves only planned → active → completed.
const (
	StatusPlanned   = "planned"
	StatusActive    = "active"
	StatusCompleted = "completed"
)

func validStatus(s string) bool {
	return s == StatusPlanned || s == StatusActive || s == StatusCompleted
}

// canMove reports whether a phase may go from status from to status to.
func canMove(from, to string) bool {
	return from == StatusPlanned && to == StatusActive || from == StatusActive && to == StatusCompleted
}

// phase is a row of phases_phases. Dates are stored as YYYY-MM-DD text,
// which sorts and compares as dates on every database.
type phase struct {
	bun.BaseModel `bun:"table:phases_phases,alias:ph"`

	ID        string  `bun:"id,pk"`
	ProjectID string  `bun:"project_id,notnull"`
	Name      string  `bun:"name,notnull"`
	Status    string  `bun:"status,notnull"`
	StartsOn  *string `bun:"starts_on,type:varchar(10)"`
	EndsOn    *string `bun:"ends_on,type:varchar(10)"`
	Version   int64   `bun:"version,notnull"`
}

func (p *phase) data() PhaseData {
	return PhaseData{ID: p.ID, ProjectID: p.ProjectID, Name: p.Name, Status: p.Status,
		StartsOn: p.StartsOn, EndsOn: p.EndsOn, Version: p.Version}
}

// loadPhase reads phase id; lock takes a row lock on PostgreSQL (SQLite
// transactions are already exclusive). An unknown phase is a 404.
func loadPhase(ctx context.Context, db bun.IDB, id string, lock bool) (*phase, error) {
	p := new(phase)
	q := db.NewSelect().Model(p).Where("ph.id = ?", id)
	if lock && sdk.IsPostgres(db) {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, sdk.NotFound("phase %s not found", id)
		}
		return nil, fmt.Errorf("phases: load phase %s: %w", id, err)
	}
	return p, nil
}
