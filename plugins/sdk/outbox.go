package sdk

import (
	"context"
	"encoding/json"
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
			_, err := db.NewCreateTable().Model((*outboxRow)(nil)).ModelTableExpr(o.table).IfNotExists().Exec(ctx)
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
		Actor: e.Actor, CorrelationID: e.CorrelationID, CreatedAt: time.Now().UTC()}, nil
}

// add writes events to the outbox within db (a transaction or the DB).
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
	_, err := db.NewInsert().Model(&rows).ModelTableExpr(o.table).Exec(ctx)
	if err != nil {
		return fmt.Errorf("sdk: outbox insert: %w", err)
	}
	return nil
}

// next returns up to n pending rows in order.
func (o *outbox) next(ctx context.Context, n int) ([]outboxRow, error) {
	var rows []outboxRow
	err := o.db.NewSelect().Model(&rows).ModelTableExpr(o.table + " AS outbox_row").
		Where("failed_at IS NULL").Order("seq").Limit(int64(n)).Scan(ctx)
	return rows, err
}

func (o *outbox) done(ctx context.Context, seq int64) error {
	_, err := o.db.NewDelete().Model((*outboxRow)(nil)).ModelTableExpr(o.table+" AS outbox_row").
		Where("seq = ?", seq).Exec(ctx)
	return err
}

func (o *outbox) fail(ctx context.Context, seq int64, msg string) error {
	_, err := o.db.NewUpdate().Model((*outboxRow)(nil)).ModelTableExpr(o.table+" AS outbox_row").
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
	row := revocationRow(r)
	if _, err := db.NewInsert().Model(row).ModelTableExpr(o.table).Exec(ctx); err != nil {
		return fmt.Errorf("sdk: outbox insert: %w", err)
	}
	return nil
}

func (r *outboxRow) event() (*Event, json.RawMessage, error) {
	e := &Event{ID: r.ID, Type: r.Type, Subject: r.Subject, Actor: r.Actor, CorrelationID: r.CorrelationID}
	if err := json.Unmarshal([]byte(r.Rooms), &e.Rooms); err != nil {
		return nil, nil, err
	}
	return e, json.RawMessage(r.Data), nil
}
