package sdk

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/uptrace/bun"
)

// Table is one of a plugin's tables, for OpenTables. Name the bun model's
// table after the plugin (`bun:"table:tasks_tasks"`): plugins may share a
// database.
type Table struct {
	Model       any      // a bun model, e.g. (*task)(nil)
	ForeignKeys []string // bun ForeignKey clauses, e.g. `("project_id") REFERENCES "projects_projects" ("id") ON DELETE CASCADE`
	Indexes     []Index
}

// Index is an index of a Table.
type Index struct {
	Name    string
	Columns []string
}

// OpenTables opens the plugin's database (Host.DB) and creates, in order,
// the tables and indexes that do not exist yet, on SQLite or PostgreSQL.
// Plugins call it from their factory.
func OpenTables(h Host, tables ...Table) (*bun.DB, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := h.DB(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: open database: %w", h.Name(), err)
	}
	for _, t := range tables {
		q := db.NewCreateTable().Model(t.Model).IfNotExists()
		for _, fk := range t.ForeignKeys {
			q = q.ForeignKey(fk)
		}
		if _, err := q.Exec(ctx); err != nil {
			return nil, fmt.Errorf("%s: create table %s: %w", h.Name(), db.Table(modelType(t.Model)).Name, err)
		}
		for _, ix := range t.Indexes {
			_, err := db.NewCreateIndex().Model(t.Model).Index(ix.Name).Column(ix.Columns...).IfNotExists().Exec(ctx)
			if err != nil {
				return nil, fmt.Errorf("%s: create index %s: %w", h.Name(), ix.Name, err)
			}
		}
	}
	return db, nil
}

func modelType(m any) reflect.Type {
	t := reflect.TypeOf(m)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}
