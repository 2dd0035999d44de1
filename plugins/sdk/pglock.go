package sdk

import (
	"context"
	"database/sql/driver"
	"fmt"

	"github.com/uptrace/bun"
)

// PostgreSQL advisory locks serialize what several nodes sharing one
// database must not do at once. Each key is the pair (class, hash of
// the current schema and a table name): classes keep the uses apart, and
// the schema keeps apart plugins of the same name in different schemas of
// one database (advisory locks are per database).
const (
	lockMigrations = 0x5342_0001 // a plugin's whole schema setup
	lockRelay      = 0x5342_0002 // the one relay sending a plugin's outbox
	lockOutboxAdd  = 0x5342_0003 // writers of a plugin's outbox, insert to commit
)

// lockKey is the SQL of the second key of an advisory lock on name.
const lockKey = "hashtext(current_schema() || '.' || ?)"

// pgSessionLock takes the advisory lock (class, name) on a connection of
// its own, waiting while another session holds it, and returns the
// function that releases it. The lock also ends with the connection: a
// node that dies holding it does not keep it.
func pgSessionLock(ctx context.Context, db *bun.DB, class int32, name string) (unlock func(), err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("advisory lock %s: connection: %w", name, err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?, "+lockKey+")", class, name); err != nil {
		discard(conn)
		return nil, fmt.Errorf("advisory lock %s: %w", name, err)
	}
	return func() {
		ctx := context.WithoutCancel(ctx)
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock(?, "+lockKey+")", class, name); err != nil {
			discard(conn) // closing the session releases the lock
			return
		}
		_ = conn.Close()
	}, nil
}

// discard closes conn's session rather than returning it to the pool, so
// that a lock it may hold (a query cancelled after the lock was granted)
// goes with it.
func discard(conn bun.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}

// pgTryTxLock takes the advisory lock (class, name) for the rest of tx if
// no other session holds it, and reports whether it did.
func pgTryTxLock(ctx context.Context, tx bun.Tx, class int32, name string) (bool, error) {
	var ok bool
	err := tx.NewRaw("SELECT pg_try_advisory_xact_lock(?, "+lockKey+")", class, name).Scan(ctx, &ok)
	if err != nil {
		return false, fmt.Errorf("advisory lock %s: %w", name, err)
	}
	return ok, nil
}

// pgTxLock takes the advisory lock (class, name) for the rest of tx,
// waiting while another transaction holds it.
func pgTxLock(ctx context.Context, tx bun.IDB, class int32, name string) error {
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?, "+lockKey+")", class, name); err != nil {
		return fmt.Errorf("advisory lock %s: %w", name, err)
	}
	return nil
}
