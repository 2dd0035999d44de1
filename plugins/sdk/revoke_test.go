package sdk

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/uptrace/bun"
)

// A revocation made with RevokeAccess is written in the transaction of the
// change that ends the access: rolled back with it, committed with it, and
// stored after the events emitted before it (issue 7, finding 4).
func TestRevokeAccessIsWrittenInTheChangesTransaction(t *testing.T) {
	ctx := context.Background()
	db, ob := outboxDB(t, filepath.Join(t.TempDir(), "p.db"))
	rv := Revocation{User: "u2", Rooms: []string{"project:p1"}, RecheckKinds: []string{"task"}, Reason: "removed"}
	write := func(fail error) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			items := []*Event{NewEvent("pm.team.member_removed", map[string]string{"userId": "u2"}).To("project:p1"), RevokeAccess(rv)}
			if err := ob.add(ctx, tx, items); err != nil {
				return err
			}
			return fail
		})
	}
	crash := errors.New("crash before commit")
	if err := write(crash); !errors.Is(err, crash) {
		t.Fatalf("rolled-back transaction: %v", err)
	}
	if w, _ := pending(t, ob); w != 0 {
		t.Fatalf("%d outbox rows after a rollback, want 0: the revocation must go with its change", w)
	}
	if err := write(nil); err != nil {
		t.Fatal(err)
	}
	rows, err := ob.next(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Type != "pm.team.member_removed" || rows[1].Type != revokeType {
		t.Fatalf("outbox rows %+v, want the event, then the revocation", rows)
	}
}
