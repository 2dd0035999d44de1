package sdktest

import (
	"context"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// DefaultPostgres is the PostgreSQL that Postgres uses unless
// $SWITCHBOARD_TEST_POSTGRES names another.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresURL returns $SWITCHBOARD_TEST_POSTGRES, or DefaultPostgres.
func PostgresURL() string {
	if s := os.Getenv("SWITCHBOARD_TEST_POSTGRES"); s != "" {
		return s
	}
	return DefaultPostgres
}

var (
	pgOnce sync.Once
	pgErr  error
)

// reachable pings PostgreSQL once per test binary.
func reachable(base string) error {
	pgOnce.Do(func() {
		db, err := sdk.OpenDB(base)
		if err != nil {
			pgErr = err
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		pgErr = db.PingContext(ctx)
	})
	return pgErr
}

// Postgres makes a fresh schema on the test PostgreSQL (see PostgresURL),
// dropped when t ends, and returns a DSN whose search_path is that schema:
// pass it to NewHost. It skips t, with the reason, when PostgreSQL is not
// reachable.
func Postgres(t testing.TB) string {
	t.Helper()
	base := PostgresURL()
	if err := reachable(base); err != nil {
		t.Skipf("PostgreSQL not reachable at %s: %v", base, err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("SWITCHBOARD_TEST_POSTGRES: %v", err)
	}
	admin, err := sdk.OpenDB(base)
	if err != nil {
		t.Fatalf("open PostgreSQL: %v", err)
	}
	schema := "t_" + strings.ToLower(ulid.Make().String())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		_ = admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		_ = admin.Close()
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
