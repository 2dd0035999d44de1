// Package sdktest runs a plugin in-process, without the core, the way the
// plugin process runs it: Start and Each start it (config validation,
// factory, migrations) on a Host that records what the plugin emits and
// revokes, on a real SQLite database in a temporary directory or a fresh
// PostgreSQL schema; Env.Do and Serve answer requests through sdk.Call,
// the code the real gRPC path runs.
package sdktest

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// Host is an sdk.Host for tests.
type Host struct {
	t    testing.TB
	name string
	dir  string
	dsn  string
	log  *slog.Logger

	// AuthorizeFunc answers Authorize; nil allows everything.
	AuthorizeFunc func(ctx context.Context, p sdk.Principal, room string) error

	mu      sync.Mutex
	db      *bun.DB
	emitted []*sdk.Event
	revoked []sdk.Revocation
}

var _ sdk.Host = (*Host)(nil)

// NewHost makes a Host for plugin name with a temporary data dir. If dsn is
// given (and not "") the database is that one (e.g. PostgreSQL), else
// SQLite.
func NewHost(t testing.TB, name string, dsn ...string) *Host {
	h := &Host{t: t, name: name, dir: t.TempDir(), log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if len(dsn) > 0 {
		h.dsn = dsn[0]
	}
	t.Cleanup(func() {
		if h.db != nil {
			_ = h.db.Close()
		}
	})
	return h
}

func (h *Host) Name() string         { return h.name }
func (h *Host) Logger() *slog.Logger { return h.log }
func (h *Host) DataDir() string      { return h.dir }

// DB opens the database once.
func (h *Host) DB(context.Context) (*bun.DB, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.db == nil {
		dsn := h.dsn
		if dsn == "" {
			dsn = filepath.Join(h.dir, h.name+".db")
		}
		db, err := sdk.OpenDB(dsn)
		if err != nil {
			return nil, err
		}
		h.db = db
	}
	return h.db, nil
}

// Tx runs fn in a transaction; the events it emits are recorded if it
// commits.
func (h *Host) Tx(ctx context.Context, fn func(context.Context, bun.Tx, func(...*sdk.Event)) error) error {
	db, err := h.DB(ctx)
	if err != nil {
		return err
	}
	var evs []*sdk.Event
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		evs = evs[:0]
		return fn(ctx, tx, func(e ...*sdk.Event) { evs = append(evs, e...) })
	})
	if err == nil {
		h.record(evs)
	}
	return err
}

// Emit records events.
func (h *Host) Emit(_ context.Context, evs ...*sdk.Event) error {
	h.record(evs)
	return nil
}

// record keeps events, and revocations made with sdk.RevokeAccess.
func (h *Host) record(evs []*sdk.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range evs {
		if r := e.Revocation(); r != nil {
			h.revoked = append(h.revoked, *r)
			continue
		}
		h.emitted = append(h.emitted, e)
	}
}

// Authorize calls AuthorizeFunc.
func (h *Host) Authorize(ctx context.Context, p sdk.Principal, room string) error {
	if h.AuthorizeFunc == nil {
		return nil
	}
	return h.AuthorizeFunc(ctx, p, room)
}

// Revoke records r.
func (h *Host) Revoke(_ context.Context, r sdk.Revocation) error {
	h.mu.Lock()
	h.revoked = append(h.revoked, r)
	h.mu.Unlock()
	return nil
}

// Emitted returns and forgets the events recorded so far.
func (h *Host) Emitted() []*sdk.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.emitted
	h.emitted = nil
	return out
}

// Revoked returns and forgets the revocations recorded so far.
func (h *Host) Revoked() []sdk.Revocation {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.revoked
	h.revoked = nil
	return out
}

// Request builds a request to route "METHOD /pattern" with path params,
// a JSON body (marshalled unless nil, []byte or string) and a caller.
func Request(method, pattern string, params map[string]string, body any, caller *sdk.Principal) *sdk.Request {
	var b []byte
	switch v := body.(type) {
	case nil:
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		b, _ = json.Marshal(v)
	}
	if params == nil {
		params = map[string]string{}
	}
	return &sdk.Request{Method: method, Pattern: pattern, Path: "/v1" + pattern, Params: params, Query: url.Values{},
		Header: http.Header{}, Body: b, Principal: caller, CorrelationID: "test-correlation"}
}

// CountRows counts the rows of table matching where (with args) in the
// plugin's database.
func (h *Host) CountRows(t testing.TB, table, where string, args ...any) (int, error) {
	t.Helper()
	db, err := h.DB(context.Background())
	if err != nil {
		return 0, err
	}
	n, err := db.NewSelect().Table(table).Where(where, args...).Count(context.Background())
	return int(n), err
}
