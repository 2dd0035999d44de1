package sdk

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
)

// fakeCore is the core's side of the Emit stream over real gRPC: it
// stores events once per id (as the core deduplicates by Nats-Msg-Id),
// refuses those answer() says, and once it could not store one it stores
// nothing more on that stream, as the core does.
type fakeCore struct {
	pluginv1.UnimplementedHostServer

	mu     sync.Mutex
	answer func(ev *pluginv1.Event, attempt int) pluginv1.EmitResponse_Status
	// dropAnswer, when it returns true, stores the event and then breaks
	// the stream without answering, once release is closed.
	dropAnswer func(ev *pluginv1.Event) bool
	release    chan struct{}
	// revoke, when set, answers Revoke; nil answers at once.
	revoke   func(*pluginv1.RevokeRequest) error
	attempts map[string]int // sends per id
	stored   []string       // ids, in the order stored
	changed  chan struct{}  // signalled after each answer
}

func (c *fakeCore) Emit(stream pluginv1.Host_EmitServer) error {
	broken := false
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		ev := req.GetEvent()
		st := pluginv1.EmitResponse_STATUS_UNAVAILABLE
		c.mu.Lock()
		c.attempts[ev.Id]++
		if !broken {
			st = pluginv1.EmitResponse_STATUS_OK
			if c.answer != nil {
				st = c.answer(ev, c.attempts[ev.Id])
			}
			if st == pluginv1.EmitResponse_STATUS_OK && !slices.Contains(c.stored, ev.Id) {
				c.stored = append(c.stored, ev.Id)
			}
			broken = st == pluginv1.EmitResponse_STATUS_UNAVAILABLE
		}
		drop := c.dropAnswer != nil && c.dropAnswer(ev)
		c.mu.Unlock()
		if drop {
			<-c.release
			return errors.New("connection lost")
		}
		select {
		case c.changed <- struct{}{}:
		default:
		}
		if err := stream.Send(&pluginv1.EmitResponse{Id: ev.Id, Status: st, Message: st.String()}); err != nil {
			return err
		}
	}
}

func (c *fakeCore) Revoke(_ context.Context, req *pluginv1.RevokeRequest) (*pluginv1.RevokeResponse, error) {
	if c.revoke != nil {
		if err := c.revoke(req); err != nil {
			return nil, err
		}
	}
	return &pluginv1.RevokeResponse{}, nil
}

// storedIDs returns the ids stored so far.
func (c *fakeCore) storedIDs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.stored)
}

// waitStored waits until n events are stored, failing t after 10 s.
func (c *fakeCore) waitStored(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if ids := c.storedIDs(); len(ids) >= n {
			return ids
		}
		select {
		case <-c.changed:
		case <-deadline:
			t.Fatalf("stored %d events, want %d", len(c.storedIDs()), n)
		}
	}
}

// startCore serves a fakeCore on a loopback port and returns a client.
func startCore(t *testing.T, c *fakeCore) pluginv1.HostClient {
	t.Helper()
	c.attempts, c.changed = map[string]int{}, make(chan struct{}, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	pluginv1.RegisterHostServer(srv, c)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return pluginv1.NewHostClient(conn)
}

// outboxDB opens a database (a SQLite path or a PostgreSQL DSN) with the
// outbox of plugin "p".
func outboxDB(t *testing.T, dsn string) (*bun.DB, *outbox) {
	t.Helper()
	db, err := OpenDB(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ob := newOutbox(db, "p")
	if err := ob.create(context.Background(), "p"); err != nil {
		t.Fatal(err)
	}
	return db, ob
}

// runRelay runs a relay of ob to client until the returned stop is called
// (or the test ends).
func runRelay(t *testing.T, client pluginv1.HostClient, ob *outbox) (r *relay, stop func()) {
	t.Helper()
	r = newRelay(client, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r.ob = ob
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { r.stop(); cancel(); <-done }) }
	t.Cleanup(stop)
	return r, stop
}

// addEvents writes n events of type typ to the outbox in one transaction
// and returns their ids.
func addEvents(t *testing.T, db *bun.DB, ob *outbox, typ string, n int) []string {
	t.Helper()
	var ids []string
	err := db.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
		var evs []*Event
		for i := range n {
			ev := NewEvent(typ, map[string]int{"i": i}).To("project:p1")
			evs = append(evs, ev)
			ids = append(ids, ev.ID)
		}
		return ob.add(ctx, tx, evs)
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// pending counts the outbox rows not yet relayed, and the failed ones.
func pending(t *testing.T, ob *outbox) (waiting, failed int) {
	t.Helper()
	ctx := context.Background()
	all, err := ob.db.NewSelect().TableExpr(ob.table).Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ob.db.NewSelect().TableExpr(ob.table).Where("failed_at IS NOT NULL").Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return int(all - f), int(f)
}

// Events are stored in the order they were committed, across batches and
// transactions, and leave the outbox once stored.
func TestRelayOrder(t *testing.T) {
	core := &fakeCore{}
	client := startCore(t, core)
	db, ob := outboxDB(t, filepath.Join(t.TempDir(), "p.db"))
	var want []string
	for range 3 {
		want = append(want, addEvents(t, db, ob, "x.made", 70)...) // more than one batch of 64
	}
	r, _ := runRelay(t, client, ob)
	want = append(want, addEvents(t, db, ob, "x.made", 5)...)
	r.poke()
	if got := core.waitStored(t, len(want)); !slices.Equal(got, want) {
		t.Fatalf("stored in another order than committed")
	}
	waitEmpty(t, core, ob)
}

// waitEmpty waits until the outbox holds no pending row.
func waitEmpty(t *testing.T, core *fakeCore, ob *outbox) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if w, _ := pending(t, ob); w == 0 {
			return
		}
		select {
		case <-core.changed:
		case <-time.After(20 * time.Millisecond): // the delete follows the last answer
		case <-deadline:
			w, _ := pending(t, ob)
			t.Fatalf("%d rows still in the outbox", w)
		}
	}
}

// While the core cannot store events (NATS down, restarting) the relay
// retries, and everything arrives once, in order.
func TestRelayRetriesUnavailable(t *testing.T) {
	core := &fakeCore{}
	core.answer = func(ev *pluginv1.Event, attempt int) pluginv1.EmitResponse_Status {
		if attempt <= 2 { // each event fails twice before it is stored
			return pluginv1.EmitResponse_STATUS_UNAVAILABLE
		}
		return pluginv1.EmitResponse_STATUS_OK
	}
	client := startCore(t, core)
	db, ob := outboxDB(t, filepath.Join(t.TempDir(), "p.db"))
	want := addEvents(t, db, ob, "x.made", 5)
	runRelay(t, client, ob)
	if got := core.waitStored(t, len(want)); !slices.Equal(got, want) {
		t.Fatalf("stored %v, want %v", got, want)
	}
	waitEmpty(t, core, ob)
}

// An event the core rejects (its data does not match its schema) stays in
// the outbox marked failed with the reason; the events after it go on.
func TestRelayRejectedEventIsMarkedFailed(t *testing.T) {
	core := &fakeCore{}
	core.answer = func(ev *pluginv1.Event, _ int) pluginv1.EmitResponse_Status {
		if ev.Type == "x.bad" {
			return pluginv1.EmitResponse_STATUS_INVALID
		}
		return pluginv1.EmitResponse_STATUS_OK
	}
	client := startCore(t, core)
	db, ob := outboxDB(t, filepath.Join(t.TempDir(), "p.db"))
	before := addEvents(t, db, ob, "x.made", 2)
	bad := addEvents(t, db, ob, "x.bad", 1)
	after := addEvents(t, db, ob, "x.made", 2)
	runRelay(t, client, ob)
	want := append(before, after...)
	if got := core.waitStored(t, len(want)); !slices.Equal(got, want) {
		t.Fatalf("stored %v, want %v", got, want)
	}
	waitEmpty(t, core, ob)
	if _, failed := pending(t, ob); failed != 1 {
		t.Fatalf("%d failed rows, want 1", failed)
	}
	var row outboxRow
	if err := db.NewSelect().Model(&row).ModelTableExpr(ob.table + " AS outbox_row").Where("failed_at IS NOT NULL").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if row.ID != bad[0] || row.Error != "STATUS_INVALID" {
		t.Errorf("failed row %s %q, want %s with the core's reason", row.ID, row.Error, bad[0])
	}
}

// A plugin killed after the core stored an event but before the answer
// reached it sends that event again when it restarts: the core keeps each
// id once, and the order holds.
func TestRelayExactlyOnceAcrossRestarts(t *testing.T) {
	core := &fakeCore{}
	client := startCore(t, core)
	path := filepath.Join(t.TempDir(), "p.db")
	db, ob := outboxDB(t, path)
	want := addEvents(t, db, ob, "x.made", 10)

	// First run: the core stores the 4th event, then the stream breaks
	// before its answer is sent, and the plugin dies.
	cut, release := make(chan struct{}), make(chan struct{})
	core.mu.Lock()
	core.dropAnswer = func(ev *pluginv1.Event) bool {
		if ev.Id != want[3] || core.attempts[ev.Id] > 1 {
			return false
		}
		close(cut)
		return true
	}
	core.release = release
	core.mu.Unlock()
	_, stop := runRelay(t, client, ob)
	<-cut
	stop()
	close(release)
	// The 4th and those after it are still in the outbox (and maybe some
	// before it whose answers the dead relay did not get to).
	if w, _ := pending(t, ob); w < 7 {
		t.Fatalf("%d rows pending after the crash, want at least 7", w)
	}

	// Second run, as after a restart: a new relay on the same database.
	_, ob2 := outboxDB(t, path)
	runRelay(t, client, ob2)
	if got := core.waitStored(t, len(want)); !slices.Equal(got, want) {
		t.Fatalf("stored %v, want %v", got, want)
	}
	waitEmpty(t, core, ob2)
	core.mu.Lock()
	defer core.mu.Unlock()
	if n := core.attempts[want[3]]; n != 2 {
		t.Errorf("the unanswered event was sent %d times, want 2", n)
	}
	if len(core.stored) != len(want) {
		t.Errorf("stored %d events, want %d: an event was stored twice", len(core.stored), len(want))
	}
}
