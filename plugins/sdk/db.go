package sdk

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// OpenDB opens a database by DSN: "postgres://…" (or "postgresql://…") is
// PostgreSQL through pgx; anything else is a SQLite file path (WAL, foreign
// keys on, immediate transactions, a busy timeout).
func OpenDB(dsn string) (*bun.DB, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		sqldb, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("sdk: open postgres: %w", err)
		}
		return bun.NewDB(sqldb, pgdialect.New()), nil
	}
	if err := os.MkdirAll(filepath.Dir(dsn), 0o755); err != nil {
		return nil, fmt.Errorf("sdk: sqlite dir: %w", err)
	}
	sqldb, err := sql.Open(sqliteshim.ShimName, "file:"+dsn+
		"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sdk: open sqlite %s: %w", dsn, err)
	}
	sqldb.SetMaxOpenConns(4)
	return bun.NewDB(sqldb, sqlitedialect.New()), nil
}

// IsPostgres reports whether db is PostgreSQL.
func IsPostgres(db bun.IDB) bool { return db.Dialect().Name().String() == "pg" }
