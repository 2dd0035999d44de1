package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// outboxRow is one event waiting to be relayed. The table is per plugin
// (sb_outbox_NAME) so that plugins may share a database.
type outboxRow struct {
	bun.BaseModel `bun:"table:sb_outbox"`

	Seq           int64     `bun:"seq,pk,autoincrement"`
	ID            string    `bun:"id,notnull"`
	Type          string    `bun:"type,notnull"`
	Rooms         string    `bun:"rooms,notnull"` // JSON array
	Data          string    `bun:"data,notnull"`  // JSON
	Subject       string    `bun:"subject,notnull"`
	Actor         string    `bun:"actor,notnull"`
	CorrelationID string    `bun:"correlation_id,notnull"`
	CreatedAt     time.Time `bun:"created_at,notnull"`
	FailedAt      time.Time `bun:"failed_at,nullzero"`
	Error         string    `bun:"error,nullzero"`
	// Traceparent is the trace context of the request that emitted the
	// event (trace.go); NULL when it was not traced.
	Traceparent string `bun:"traceparent,nullzero"`
}

// outboxRowV1 is the table as the first migration made it: a migration
// keeps creating what it created, whatever the model becomes.
type outboxRowV1 struct {
	bun.BaseModel `bun:"table:sb_outbox"`

	Seq           int64     `bun:"seq,pk,autoincrement"`
	ID            string    `bun:"id,notnull"`
	Type          string    `bun:"type,notnull"`
	Rooms         string    `bun:"rooms,notnull"`
	Data          string    `bun:"data,notnull"`
	Subject       string    `bun:"subject,notnull"`
	Actor         string    `bun:"actor,notnull"`
	CorrelationID string    `bun:"correlation_id,notnull"`
	CreatedAt     time.Time `bun:"created_at,notnull"`
	FailedAt      time.Time `bun:"failed_at,nullzero"`
	Error         string    `bun:"error,nullzero"`
}

type outbox struct {
	db    *bun.DB
	table string
}

func newOutbox(db *bun.DB, plugin string) *outbox {
	return &outbox{db: db, table: "sb_outbox_" + plugin}
}

// create brings the outbox table up to date, by migrations of their own
// (sdk_outbox_NNNN in the plugin's migrations table). The first adopts a
// table made before migrations existed.
func (o *outbox) create(ctx context.Context, plugin string) error {
	err := runMigrations(ctx, o.db, plugin, "sdk_outbox_", []Migration{{Name: "outbox",
		Up: func(ctx context.Context, db bun.IDB) error {
			_, err := db.NewCreateTable().Model((*outboxRowV1)(nil)).ModelTableExpr(o.table).IfNotExists().Exec(ctx)
			return err
		}}, {Name: "traceparent",
		Up: func(ctx context.Context, db bun.IDB) error {
			_, err := db.NewAddColumn().Model((*outboxRow)(nil)).ModelTableExpr(o.table).ColumnExpr("traceparent VARCHAR").Exec(ctx)
			return err
		}}})
	if err != nil {
		return fmt.Errorf("sdk: outbox %s: %w", o.table, err)
	}
	return nil
}

func toRow(e *Event) (*outboxRow, error) {
	if e.revoke != nil {
		return revocationRow(*e.revoke), nil
	}
	if e.Type == "" || len(e.Rooms) == 0 {
		return nil, fmt.Errorf("sdk: event %q needs a type and at least one room", e.Type)
	}
	data, err := json.Marshal(e.Data)
	if err != nil {
		return nil, fmt.Errorf("sdk: event %s data: %w", e.Type, err)
	}
	rooms, _ := json.Marshal(e.Rooms)
	return &outboxRow{ID: e.ID, Type: e.Type, Rooms: string(rooms), Data: string(data), Subject: e.Subject,
		Actor: e.Actor, CorrelationID: e.CorrelationID, CreatedAt: time.Now().UTC(), Traceparent: e.traceparent}, nil
}

// add writes events to the outbox within db (a transaction or the DB).
// On PostgreSQL the rows are inserted under a lock held until the commit
// (lockOutboxAdd), so that writers commit in the order of their seq: a
// transaction that drew seq 10 cannot commit after one that drew 11 and
// was already relayed. Callers insert last in their transaction, so the
// lock is never held while waiting for another.
func (o *outbox) add(ctx context.Context, db bun.IDB, events []*Event) error {
	if len(events) == 0 {
		return nil
	}
	rows := make([]*outboxRow, 0, len(events))
	for _, e := range events {
		r, err := toRow(e)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	return o.insert(ctx, db, &rows)
}

// insert inserts model (rows) into the outbox, see add.
func (o *outbox) insert(ctx context.Context, db bun.IDB, model any) error {
	if !IsPostgres(db) {
		if _, err := db.NewInsert().Model(model).ModelTableExpr(o.table).Exec(ctx); err != nil {
			return fmt.Errorf("sdk: outbox insert: %w", err)
		}
		return nil
	}
	ins := func(ctx context.Context, tx bun.IDB) error {
		if err := pgTxLock(ctx, tx, lockOutboxAdd, o.table); err != nil {
			return fmt.Errorf("sdk: outbox insert: %w", err)
		}
		if _, err := tx.NewInsert().Model(model).ModelTableExpr(o.table).Exec(ctx); err != nil {
			return fmt.Errorf("sdk: outbox insert: %w", err)
		}
		return nil
	}
	if bdb, ok := db.(*bun.DB); ok { // not in a transaction: make one
		return bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return ins(ctx, tx) })
	}
	return ins(ctx, db)
}

// errBusy says another node's relay is sending this plugin's outbox.
var errBusy = errors.New("sdk: outbox: another node is relaying it")

// batch hands fn up to n pending rows, oldest first, and db to mark them
// done or failed with; it reports whether there were none.
//
// Several nodes may run the same plugin on one PostgreSQL database, each
// with a relay. Each row must be relayed once, and in order: a row must
// not overtake an earlier one (a revocation, its event before it). Row
// locks with SKIP LOCKED would let a second relay take the rows after
// those the first holds and send them first, so instead one relay at a
// time sends a plugin's outbox: it takes a transaction-level advisory
// lock (never waiting for it: errBusy when another holds it), reads the
// batch, sends it and deletes the rows in that transaction. The lock goes
// with the transaction, so a node that dies mid-batch holds nothing; the
// rows it sent but did not delete are sent again by the next relay, and
// the core's dedup by event id (Nats-Msg-Id, within the stream's
// duplicate window) stores them once. That dedup alone would not do: each
// row would be sent by every node, and after the window stored again.
func (o *outbox) batch(ctx context.Context, n int, fn func(ctx context.Context, db bun.IDB, rows []outboxRow) error) (empty bool, err error) {
	if !IsPostgres(o.db) {
		rows, err := o.next(ctx, o.db, n)
		if err != nil || len(rows) == 0 {
			return err == nil, err
		}
		return false, fn(ctx, o.db, rows)
	}
	tx, err := o.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	ok, err := pgTryTxLock(ctx, tx, lockRelay, o.table)
	if err != nil || !ok {
		_ = tx.Rollback()
		if err == nil {
			err = errBusy
		}
		return false, err
	}
	rows, err := o.next(ctx, tx, n)
	if err != nil || len(rows) == 0 {
		_ = tx.Rollback()
		return err == nil, err
	}
	// Commit what fn did even when it stopped half-way (the core became
	// unavailable): the rows it marked are stored.
	err = fn(ctx, tx, rows)
	if cerr := tx.Commit(); cerr != nil && err == nil {
		err = fmt.Errorf("sdk: outbox commit: %w", cerr)
	}
	return false, err
}

// next returns up to n pending rows in order.
func (o *outbox) next(ctx context.Context, db bun.IDB, n int) ([]outboxRow, error) {
	var rows []outboxRow
	err := db.NewSelect().Model(&rows).ModelTableExpr(o.table + " AS outbox_row").
		Where("failed_at IS NULL").Order("seq").Limit(int64(n)).Scan(ctx)
	return rows, err
}

// pendingUpTo reports whether rows up to seq upTo are still pending.
func (o *outbox) pendingUpTo(ctx context.Context, upTo int64) (bool, error) {
	n, err := o.db.NewSelect().TableExpr(o.table).Where("failed_at IS NULL AND seq <= ?", upTo).Count(ctx)
	return n > 0, err
}

// last returns the highest seq in the outbox, 0 when it is empty.
func (o *outbox) last(ctx context.Context) (int64, error) {
	var seq int64
	err := o.db.NewSelect().TableExpr(o.table).ColumnExpr("COALESCE(MAX(seq), 0)").Scan(ctx, &seq)
	return seq, err
}

func (o *outbox) done(ctx context.Context, db bun.IDB, seq int64) error {
	_, err := db.NewDelete().Model((*outboxRow)(nil)).ModelTableExpr(o.table+" AS outbox_row").
		Where("seq = ?", seq).Exec(ctx)
	return err
}

func (o *outbox) fail(ctx context.Context, db bun.IDB, seq int64, msg string) error {
	_, err := db.NewUpdate().Model((*outboxRow)(nil)).ModelTableExpr(o.table+" AS outbox_row").
		Set("failed_at = ?", time.Now().UTC()).Set("error = ?", msg).Where("seq = ?", seq).Exec(ctx)
	return err
}

// revokeType marks an outbox row that holds a Revocation, not an event.
const revokeType = "sb.revoke"

func revocationRow(r Revocation) *outboxRow {
	data, _ := json.Marshal(r)
	return &outboxRow{ID: "revoke", Type: revokeType, Rooms: "[]", Data: string(data), CreatedAt: time.Now().UTC()}
}

func (o *outbox) addRevocation(ctx context.Context, db bun.IDB, r Revocation) error {
	return o.insert(ctx, db, revocationRow(r))
}

func (r *outboxRow) event() (*Event, json.RawMessage, error) {
	e := &Event{ID: r.ID, Type: r.Type, Subject: r.Subject, Actor: r.Actor, CorrelationID: r.CorrelationID, traceparent: r.Traceparent}
	if err := json.Unmarshal([]byte(r.Rooms), &e.Rooms); err != nil {
		return nil, nil, err
	}
	return e, json.RawMessage(r.Data), nil
}
