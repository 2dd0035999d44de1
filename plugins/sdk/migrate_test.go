package sdk_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

type item struct {
	bun.BaseModel `bun:"table:m_items"`
	ID            string `bun:"id,pk"`
}

// eachDB runs fn with the DSN of a fresh SQLite file and of a fresh
// PostgreSQL schema (skipped, saying why, when PostgreSQL is unreachable).
func eachDB(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "m.db")) })
	t.Run("postgres", func(t *testing.T) { fn(t, sdktest.Postgres(t)) })
}

func open(t *testing.T, dsn string) *bun.DB {
	t.Helper()
	db, err := sdk.OpenDB(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// A database made before migrations (tables created with IF NOT EXISTS)
// is adopted by the first migration; later ones run once.
func TestMigrateAdoptsOldDatabase(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := open(t, dsn)
		if err := sdk.CreateTables(sdk.Table{Model: (*item)(nil)})(ctx, db); err != nil { // what the old code did
			t.Fatal(err)
		}
		if _, err := db.NewInsert().Model(&item{ID: "a"}).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		var second atomic.Int32
		ms := []sdk.Migration{
			{Name: "items", Up: sdk.CreateTables(sdk.Table{Model: (*item)(nil)})},
			{Name: "item_note", Up: func(ctx context.Context, db bun.IDB) error {
				second.Add(1)
				return sdk.SQL(`ALTER TABLE m_items ADD COLUMN note TEXT NOT NULL DEFAULT ''`)(ctx, db)
			}},
		}
		for range 2 {
			if err := sdk.Migrate(ctx, db, "m", ms); err != nil {
				t.Fatal(err)
			}
		}
		if n := second.Load(); n != 1 {
			t.Errorf("second migration ran %d times", n)
		}
		var note string
		if err := db.NewSelect().Table("m_items").Column("note").Where("id = 'a'").Scan(ctx, &note); err != nil {
			t.Errorf("row of the old table after migrating: %v", err)
		}
	})
}

// Several nodes starting at once on one database: each migration runs
// exactly once, and every node goes on.
func TestMigrateConcurrently(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		var runs atomic.Int32
		ms := []sdk.Migration{{Name: "items", Up: func(ctx context.Context, db bun.IDB) error {
			runs.Add(1)
			return sdk.CreateTables(sdk.Table{Model: (*item)(nil)})(ctx, db)
		}}}
		const nodes = 4
		dbs := make([]*bun.DB, nodes)
		for i := range dbs {
			dbs[i] = open(t, dsn)
		}
		var wg sync.WaitGroup
		errs := make([]error, nodes)
		for i := range nodes {
			wg.Go(func() { errs[i] = sdk.Migrate(context.Background(), dbs[i], "m", ms) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if n := runs.Load(); n != 1 {
			t.Errorf("migration ran %d times, want 1", n)
		}
	})
}

// A failing migration is rolled back, named in the error, and runs again
// at the next start; the lock is released.
func TestMigrateFailure(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := open(t, dsn)
		fail := true
		ms := []sdk.Migration{{Name: "items", Up: func(ctx context.Context, db bun.IDB) error {
			if err := sdk.CreateTables(sdk.Table{Model: (*item)(nil)})(ctx, db); err != nil {
				return err
			}
			if fail {
				return errors.New("disk full")
			}
			return nil
		}}}
		err := sdk.Migrate(ctx, db, "m", ms)
		if err == nil || !strings.Contains(err.Error(), "0001") || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("failed migration: %v", err)
		}
		fail = false
		if err := sdk.Migrate(ctx, db, "m", ms); err != nil {
			t.Fatalf("after a failure: %v", err)
		}
		if _, err := db.NewInsert().Model(&item{ID: "b"}).Exec(ctx); err != nil {
			t.Errorf("table after the retried migration: %v", err)
		}
	})
}
