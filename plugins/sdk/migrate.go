package sdk

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// Migration is one versioned change of a plugin's schema. A plugin lists
// its migrations in Info.Migrations, oldest first, and never edits or
// reorders one that has shipped: it appends a new one. The SDK runs the
// ones not yet applied when the plugin starts, each in a transaction, and
// records them in the table sb_migrations_NAME. Several nodes sharing a
// database may start at once: on PostgreSQL the whole setup runs under an
// advisory lock, on SQLite under bun/migrate's lock.
type Migration struct {
	// Name says what the migration does, e.g. "tables" or "task_labels".
	// Its version is its position in the list: the first is 0001_NAME.
	Name string
	// Up changes the schema (SQL, CreateTables …).
	Up func(ctx context.Context, db bun.IDB) error
}

// SQL is a migration step that runs statements in order.
func SQL(statements ...string) func(context.Context, bun.IDB) error {
	return func(ctx context.Context, db bun.IDB) error {
		for _, s := range statements {
			if _, err := db.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("%.60s: %w", s, err)
			}
		}
		return nil
	}
}

// Table is a table for CreateTables. Name the bun model's table after the
// plugin (`bun:"table:tasks_tasks"`): plugins may share a database.
type Table struct {
	Model       any      // a bun model, e.g. (*task)(nil)
	ForeignKeys []string // bun ForeignKey clauses, e.g. `("project_id") REFERENCES "projects_projects" ("id") ON DELETE CASCADE`
	Indexes     []Index
}

// Index is an index of a Table.
type Index struct {
	Name    string
	Columns []string
	Unique  bool
}

// CreateTables is a migration step that creates tables and their indexes
// from bun models, on SQLite or PostgreSQL. It skips those that exist
// (IF NOT EXISTS), so a plugin's first migration can adopt a database made
// before migrations existed.
func CreateTables(tables ...Table) func(context.Context, bun.IDB) error {
	return func(ctx context.Context, db bun.IDB) error {
		for _, t := range tables {
			q := db.NewCreateTable().Model(t.Model).IfNotExists()
			for _, fk := range t.ForeignKeys {
				q = q.ForeignKey(fk)
			}
			if _, err := q.Exec(ctx); err != nil {
				return fmt.Errorf("create table %s: %w", db.Dialect().Tables().Get(modelType(t.Model)).Name, err)
			}
			for _, ix := range t.Indexes {
				q := db.NewCreateIndex().Model(t.Model).Index(ix.Name).Column(ix.Columns...).IfNotExists()
				if ix.Unique {
					q = q.Unique()
				}
				if _, err := q.Exec(ctx); err != nil {
					return fmt.Errorf("create index %s: %w", ix.Name, err)
				}
			}
		}
		return nil
	}
}

func modelType(m any) reflect.Type {
	t := reflect.TypeOf(m)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// Migrate applies the migrations of plugin name to db that are not applied
// yet. The SDK calls it at start; it is exported for tools and tests.
func Migrate(ctx context.Context, db *bun.DB, name string, ms []Migration) error {
	return runMigrations(ctx, db, name, "", ms)
}

// runMigrations applies ms, named prefix+NNNN_name, under the lock.
func runMigrations(ctx context.Context, db *bun.DB, plugin, prefix string, ms []Migration) error {
	if len(ms) == 0 {
		return nil
	}
	set := migrate.NewMigrations()
	for i, m := range ms {
		up := m.Up
		set.Add(migrate.Migration{Name: fmt.Sprintf("%s%04d", prefix, i+1), Comment: m.Name,
			Up: func(ctx context.Context, mg *migrate.Migrator, _ *migrate.Migration) error {
				return mg.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return up(ctx, tx) })
			}})
	}
	mg := migrate.NewMigrator(db, set, migrate.WithTableName("sb_migrations_"+plugin),
		migrate.WithLocksTableName("sb_migration_locks_"+plugin), migrate.WithMarkAppliedOnSuccess(true))
	if IsPostgres(db) {
		// Nodes starting at once would race to create the same tables
		// (PostgreSQL's IF NOT EXISTS is not safe against that: "duplicate
		// key value violates unique constraint pg_type_typname_nsp_index"),
		// bun/migrate's own lock table included. So the whole setup, from
		// the migrations table on, runs under an advisory lock held on one
		// connection: the other nodes wait, then find nothing left to do.
		// The lock ends with its session, so a node that dies migrating
		// leaves nothing behind to clean up.
		unlock, err := pgSessionLock(ctx, db, lockMigrations, "sb_migrations_"+plugin)
		if err != nil {
			return fmt.Errorf("%s: migrations: %w", plugin, err)
		}
		defer unlock()
		if err := mg.Init(ctx); err != nil {
			return fmt.Errorf("%s: migrations table: %w", plugin, err)
		}
		if _, err := mg.Migrate(ctx); err != nil {
			return fmt.Errorf("%s: migration %w", plugin, err)
		}
		return nil
	}
	// SQLite: one writer at a time already (immediate transactions), and
	// the file is one node's; bun/migrate's lock guards against two
	// processes on it.
	var err error
	for range 3 {
		if err = mg.Init(ctx); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("%s: migrations table: %w", plugin, err)
	}
	if err := lock(ctx, mg); err != nil {
		return fmt.Errorf("%s: %w (if no node is migrating, a crashed one left it: delete the row of sb_migration_locks_%s)", plugin, err, plugin)
	}
	defer func() { _ = mg.Unlock(context.WithoutCancel(ctx)) }()
	if _, err := mg.Migrate(ctx); err != nil {
		return fmt.Errorf("%s: migration %w", plugin, err)
	}
	return nil
}

// lock takes the migrations lock, waiting while another node holds it.
func lock(ctx context.Context, mg *migrate.Migrator) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for backoff := 20 * time.Millisecond; ; backoff = min(2*backoff, time.Second) {
		err := mg.Lock(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(backoff):
		}
	}
}
