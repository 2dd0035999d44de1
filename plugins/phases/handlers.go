package phases

import (
	"context"
	"fmt"
	"net/http"

	"github.com/uptrace/bun"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

func (p *plugin) createPhase(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	pid := r.Param("id")
	if err := sdk.ProjectMember(ctx, p.host, r, pid); err != nil {
		return nil, err
	}
	var in createInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	ph := &phase{ID: sdk.NewID(), ProjectID: pid, Name: *in.Name, Status: StatusPlanned,
		StartsOn: in.StartsOn, EndsOn: in.EndsOn, Version: 1}
	err := p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
		if _, err := tx.NewInsert().Model(ph).Exec(ctx); err != nil {
			return fmt.Errorf("phases: insert phase: %w", err)
		}
		emit(phaseEvent(EventPhaseCreated, r, ph.data()))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sdk.WithVersion(sdk.JSON(http.StatusCreated, ph.data()), ph.Version), nil
}

// listPhases lists a project's phases, oldest first.
func (p *plugin) listPhases(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	pid := r.Param("id")
	if err := sdk.ProjectMember(ctx, p.host, r, pid); err != nil {
		return nil, err
	}
	page, err := r.Page()
	if err != nil {
		return nil, err
	}
	var rows []phase
	err = p.db.NewSelect().Model(&rows).Where("ph.project_id = ?", pid).Order("ph.id").
		Limit(int64(page.Limit + 1)).Offset(int64(page.Offset)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("phases: list phases of %s: %w", pid, err)
	}
	out := make([]PhaseData, len(rows))
	for i := range rows {
		out[i] = rows[i].data()
	}
	return sdk.JSON(http.StatusOK, sdk.NewList(page, out)), nil
}

// load reads phase id and checks that the caller is a member of its
// project. The check is made outside any transaction: it is a call to
// another plugin, and a phase never changes project.
func (p *plugin) load(ctx context.Context, r *sdk.Request) (*phase, error) {
	if r.Principal == nil || r.Principal.User == "" {
		return nil, sdk.Unauthorized("authentication required")
	}
	ph, err := loadPhase(ctx, p.db, r.Param("id"), false)
	if err != nil {
		return nil, err
	}
	if err := sdk.ProjectMember(ctx, p.host, r, ph.ProjectID); err != nil {
		return nil, err
	}
	return ph, nil
}

func (p *plugin) getPhase(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	ph, err := p.load(ctx, r)
	if err != nil {
		return nil, err
	}
	return sdk.WithVersion(sdk.JSON(http.StatusOK, ph.data()), ph.Version), nil
}

// patchPhase changes a phase. Any change emits pm.phase.updated, followed
// by pm.phase.started or pm.phase.completed when the status moves; a
// request that changes nothing answers the phase as it is, with no event.
func (p *plugin) patchPhase(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	if _, err := p.load(ctx, r); err != nil {
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
	if err := in.check(); err != nil {
		return nil, err
	}
	var out PhaseData
	err = p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
		ph, err := loadPhase(ctx, tx, r.Param("id"), true)
		if err != nil {
			return err
		}
		if err := pc.Check("phase "+ph.ID, ph.Version); err != nil {
			return err
		}
		from := ph.Status
		changed, err := apply(ph, &in)
		if err != nil || !changed {
			out = ph.data()
			return err
		}
		ph.Version++
		if _, err := tx.NewUpdate().Model(ph).Column("name", "status", "starts_on", "ends_on", "version").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("phases: update phase %s: %w", ph.ID, err)
		}
		out = ph.data()
		emit(phaseEvent(EventPhaseUpdated, r, out))
		switch {
		case from != ph.Status && ph.Status == StatusActive:
			emit(phaseEvent(EventPhaseStarted, r, out))
		case from != ph.Status && ph.Status == StatusCompleted:
			emit(phaseEvent(EventPhaseCompleted, r, out))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sdk.WithVersion(sdk.JSON(http.StatusOK, out), out.Version), nil
}

// apply changes ph as in says and reports whether anything changed. A
// status move other than planned → active → completed is a 409.
func apply(ph *phase, in *patchInput) (bool, error) {
	changed := false
	if in.Name != nil && *in.Name != ph.Name {
		ph.Name, changed = *in.Name, true
	}
	if in.StartsOn.Set && !sameDate(in.StartsOn.Value, ph.StartsOn) {
		ph.StartsOn, changed = in.StartsOn.Value, true
	}
	if in.EndsOn.Set && !sameDate(in.EndsOn.Value, ph.EndsOn) {
		ph.EndsOn, changed = in.EndsOn.Value, true
	}
	if in.Status != nil && *in.Status != ph.Status {
		if !canMove(ph.Status, *in.Status) {
			return false, sdk.Conflict("phase %s is %s and cannot become %s (planned → active → completed)", ph.ID, ph.Status, *in.Status)
		}
		ph.Status, changed = *in.Status, true
	}
	if err := checkSpan(ph.StartsOn, ph.EndsOn); err != nil {
		return false, err
	}
	return changed, nil
}

func sameDate(a, b *string) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func (p *plugin) deletePhase(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	if _, err := p.load(ctx, r); err != nil {
		return nil, err
	}
	pc, err := sdk.IfMatch(r)
	if err != nil {
		return nil, err
	}
	err = p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
		ph, err := loadPhase(ctx, tx, r.Param("id"), true)
		if err != nil {
			return err
		}
		if err := pc.Check("phase "+ph.ID, ph.Version); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(ph).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("phases: delete phase %s: %w", ph.ID, err)
		}
		ph.Version++
		emit(phaseEvent(EventPhaseDeleted, r, ph.data()))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sdk.NoContent(), nil
}
