package sdk

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/uptrace/bun"

	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
	"github.com/switchboard-rt/switchboard/test/poll"
)

// testPostgres makes a fresh schema on the test PostgreSQL
// ($SWITCHBOARD_TEST_POSTGRES, else sdktest.DefaultPostgres, which this
// package cannot import), dropped when t ends, and returns a DSN whose
// search_path is that schema. It skips t, saying why, when PostgreSQL is
// not reachable.
func testPostgres(t *testing.T) string {
	t.Helper()
	base := os.Getenv("SWITCHBOARD_TEST_POSTGRES")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	admin, err := OpenDB(base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		_ = admin.Close()
		t.Skipf("PostgreSQL not reachable at %s: %v", base, err)
	}
	schema := "t_" + strings.ToLower(ulid.Make().String())
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
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// pgOutbox opens a pool of its own on dsn (as one node does) with the
// outbox of plugin "p".
func pgOutbox(t *testing.T, dsn string) (*bun.DB, *outbox) {
	t.Helper()
	return outboxDB(t, dsn) // OpenDB takes a DSN as well as a path
}

type pgItem struct {
	bun.BaseModel `bun:"table:p_items"`
	ID            string `bun:"id,pk"`
	Kind          string `bun:"kind,notnull"`
}

type pgNote struct {
	bun.BaseModel `bun:"table:p_notes"`
	ID            string `bun:"id,pk"`
	ItemID        string `bun:"item_id,notnull"`
}

// Nodes starting at once on a fresh PostgreSQL schema each set up the
// plugin's schema as a plugin process does (the outbox's migrations, then
// the plugin's own): all succeed, and each migration runs once. Without
// the advisory lock most rounds fail with "duplicate key value violates
// unique constraint pg_type_typname_nsp_index" or "already exists" when
// bun/migrate's lock is not in the way.
func TestSchemaSetupConcurrentlyOnPostgres(t *testing.T) {
	const nodes, rounds = 6, 5
	for round := range rounds {
		dsn := testPostgres(t) // fresh each round
		var runs [2]atomic.Int32
		ms := []Migration{
			{Name: "items", Up: func(ctx context.Context, db bun.IDB) error {
				runs[0].Add(1)
				return CreateTables(Table{Model: (*pgItem)(nil), Indexes: []Index{{Name: "p_items_kind", Columns: []string{"kind"}}}},
					Table{Model: (*pgNote)(nil), ForeignKeys: []string{`("item_id") REFERENCES "p_items" ("id") ON DELETE CASCADE`}})(ctx, db)
			}},
			{Name: "item_note", Up: func(ctx context.Context, db bun.IDB) error {
				runs[1].Add(1)
				return SQL(`ALTER TABLE p_items ADD COLUMN note TEXT NOT NULL DEFAULT ''`)(ctx, db)
			}},
		}
		dbs := make([]*bun.DB, nodes)
		for i := range dbs {
			db, err := OpenDB(dsn)
			if err != nil {
				t.Fatal(err)
			}
			dbs[i] = db
		}
		errs := make([]error, nodes)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range nodes {
			wg.Go(func() {
				<-start
				ctx := context.Background()
				if err := newOutbox(dbs[i], "p").create(ctx, "p"); err != nil {
					errs[i] = fmt.Errorf("node %d: %w", i, err)
					return
				}
				if err := Migrate(ctx, dbs[i], "p", ms); err != nil {
					errs[i] = fmt.Errorf("node %d: %w", i, err)
				}
			})
		}
		close(start)
		wg.Wait()
		for _, db := range dbs {
			_ = db.Close()
		}
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for k := range runs {
			if n := runs[k].Load(); n != 1 {
				t.Fatalf("round %d: migration %d ran %d times, want 1", round, k+1, n)
			}
		}
	}
}

// Two nodes' relays on one PostgreSQL outbox, while both nodes write to
// it: each row is sent once (not merely stored once thanks to the core's
// dedup), each writer's rows arrive in the order written, and a
// revocation is applied after the events written before it.
func TestRelaysOnOnePostgresOutboxSendEachRowOnce(t *testing.T) {
	dsn := testPostgres(t)
	var mu sync.Mutex
	revokedAt := map[string]int{} // revocation reason → events stored before it
	core := &fakeCore{}
	core.revoke = func(req *pluginv1.RevokeRequest) error {
		n := len(core.storedIDs())
		mu.Lock()
		defer mu.Unlock()
		revokedAt[req.Reason]++
		if revokedAt[req.Reason] == 1 {
			revokedAt[req.Reason+"@"] = n
		}
		return nil
	}
	client := startCore(t, core)
	const writers, txs, per = 2, 15, 4
	dbs := make([]*bun.DB, writers)
	obs := make([]*outbox, writers)
	relays := make([]*relay, writers)
	for i := range writers {
		dbs[i], obs[i] = pgOutbox(t, dsn)
		relays[i], _ = runRelay(t, client, obs[i])
	}
	ids := make([][]string, writers) // per writer, in the order written
	revs := make([][]int, writers)   // per writer, events written before each revocation
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for k := range txs {
				var evs []*Event
				for i := range per {
					ev := NewEvent("x.made", map[string]int{"w": w, "k": k, "i": i}).To("project:p1")
					evs = append(evs, ev)
				}
				if k%5 == 4 {
					evs = append(evs, RevokeAccess(Revocation{User: "u", Rooms: []string{"project:p1"}, Reason: fmt.Sprintf("w%d-k%d", w, k)}))
				}
				err := dbs[w].RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
					return obs[w].add(ctx, tx, evs)
				})
				if err != nil {
					t.Error(err)
					return
				}
				for _, e := range evs {
					if e.revoke == nil {
						ids[w] = append(ids[w], e.ID)
					} else {
						revs[w] = append(revs[w], len(ids[w]))
					}
				}
				relays[w].poke()
			}
		})
	}
	wg.Wait()
	stored := core.waitStored(t, writers*txs*per)
	poll.Until(t, "the outbox to empty", func() bool { w, _ := pending(t, obs[0]); return w == 0 })

	core.mu.Lock()
	for id, n := range core.attempts {
		if n != 1 {
			t.Errorf("event %s sent %d times, want once", id, n)
		}
	}
	core.mu.Unlock()
	pos := map[string]int{}
	for i, id := range stored {
		pos[id] = i
	}
	for w := range writers {
		got := slices.Clone(ids[w])
		slices.SortFunc(got, func(a, b string) int { return pos[a] - pos[b] })
		if !slices.Equal(got, ids[w]) {
			t.Errorf("writer %d: events stored in another order than written", w)
		}
		mu.Lock()
		for k, before := range revs[w] {
			reason := fmt.Sprintf("w%d-k%d", w, 5*k+4)
			if revokedAt[reason] != 1 {
				t.Errorf("revocation %s applied %d times, want once", reason, revokedAt[reason])
			}
			// Every event this writer wrote before it is stored before it.
			if last := pos[ids[w][before-1]]; revokedAt[reason+"@"] <= last {
				t.Errorf("revocation %s applied before the event written before it", reason)
			}
		}
		mu.Unlock()
	}
}

// A request whose transaction wrote a revocation returns once that row is
// gone from the outbox, even when another node's relay is the one sending
// it: here the test plays that node, holding the relay lock, and deletes
// the rows itself.
func TestFlushWaitsForAnotherNodesRelay(t *testing.T) {
	dsn := testPostgres(t)
	core := &fakeCore{}
	db, ob := pgOutbox(t, dsn)
	r, _ := runRelay(t, startCore(t, core), ob)
	h := &host{name: "p", log: r.log, relay: r, db: db}

	other, otherOb := pgOutbox(t, dsn)
	ctx := context.Background()
	tx, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if ok, err := pgTryTxLock(ctx, tx, lockRelay, otherOb.table); err != nil || !ok {
		t.Fatalf("relay lock: %v %v", ok, err)
	}

	done := make(chan error, 1)
	go func() { done <- removeMember(ctx, h) }()
	poll.Until(t, "the revocation to be committed", func() bool { w, _ := pending(t, ob); return w == 2 })
	select {
	case err := <-done:
		t.Fatalf("Tx returned (%v) while its revocation was still in the outbox", err)
	case <-time.After(300 * time.Millisecond): // several flush rounds
	}
	// The other node sends both rows and deletes them.
	rows, err := otherOb.next(ctx, tx, 10)
	if err != nil || len(rows) != 2 || rows[1].Type != revokeType {
		t.Fatalf("rows %+v, %v", rows, err)
	}
	for _, row := range rows {
		if err := otherOb.done(ctx, tx, row.Seq); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Tx: %v", err)
	}
	if ids := core.storedIDs(); len(ids) != 0 {
		t.Errorf("this node's relay sent %v too", ids)
	}
}
