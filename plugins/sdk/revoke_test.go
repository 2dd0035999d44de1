package sdk

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
	"github.com/switchboard-rt/switchboard/test/poll"
)

// A revocation made with RevokeAccess is written in the transaction of the
// change that ends the access: rolled back with it, committed with it, and
// stored after the events emitted before it (issue 7, finding 4).
func TestRevokeAccessIsWrittenInTheChangesTransaction(t *testing.T) {
	ctx := context.Background()
	db, ob := outboxDB(t, filepath.Join(t.TempDir(), "p.db"))
	rv := Revocation{User: "u2", Rooms: []string{"project:p1"}, RecheckKinds: []string{"task"}, Reason: "removed"}
	write := func(fail error) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			items := []*Event{NewEvent("pm.team.member_removed", map[string]string{"userId": "u2"}).To("project:p1"), RevokeAccess(rv)}
			if err := ob.add(ctx, tx, items); err != nil {
				return err
			}
			return fail
		})
	}
	crash := errors.New("crash before commit")
	if err := write(crash); !errors.Is(err, crash) {
		t.Fatalf("rolled-back transaction: %v", err)
	}
	if w, _ := pending(t, ob); w != 0 {
		t.Fatalf("%d outbox rows after a rollback, want 0: the revocation must go with its change", w)
	}
	if err := write(nil); err != nil {
		t.Fatal(err)
	}
	rows, err := ob.next(ctx, db, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Type != "pm.team.member_removed" || rows[1].Type != revokeType {
		t.Fatalf("outbox rows %+v, want the event, then the revocation", rows)
	}
}

// revokingHost is a plugin's host whose outbox is relayed to core.
func revokingHost(t *testing.T, core *fakeCore) (*host, *outbox) {
	t.Helper()
	db, ob := outboxDB(t, filepath.Join(t.TempDir(), "p.db"))
	r, _ := runRelay(t, startCore(t, core), ob)
	return &host{name: "p", log: r.log, relay: r, db: db}, ob
}

func removeMember(ctx context.Context, h *host) error {
	return h.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*Event)) error {
		emit(NewEvent("pm.team.member_removed", map[string]string{"userId": "u2"}).To("project:p1"),
			RevokeAccess(Revocation{User: "u2", Rooms: []string{"project:p1"}, Reason: "removed"}))
		return nil
	})
}

// Tx returns only once the core has applied the revocation it wrote, so
// that a handler answers its client after that (issue 7, finding 1).
func TestTxWithARevocationReturnsOnceTheCoreAppliedIt(t *testing.T) {
	got, release := make(chan struct{}), make(chan struct{})
	core := &fakeCore{revoke: func(req *pluginv1.RevokeRequest) error {
		close(got)
		<-release
		return nil
	}}
	h, ob := revokingHost(t, core)
	done := make(chan error, 1)
	go func() { done <- removeMember(context.Background(), h) }()
	<-got
	select {
	case err := <-done:
		t.Fatalf("Tx returned (%v) while the core was still applying the revocation", err)
	default:
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Tx: %v", err)
	}
	if w, _ := pending(t, ob); w != 0 {
		t.Fatalf("%d rows still in the outbox after Tx returned", w)
	}
}

// When the core cannot apply the revocation in time, Tx says the change
// is saved and the revocation on its way (503); the relay goes on and
// applies it once the core can.
func TestTxWithARevocationTheCoreCannotApplyYetAnswers503(t *testing.T) {
	var mu sync.Mutex
	failing := true
	core := &fakeCore{revoke: func(*pluginv1.RevokeRequest) error {
		mu.Lock()
		defer mu.Unlock()
		if failing {
			return errors.New("node n2 did not answer")
		}
		return nil
	}}
	h, ob := revokingHost(t, core)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := removeMember(ctx, h)
	var e *Error
	if !errors.As(err, &e) || e.Status != 503 || !strings.Contains(e.Message, "saved") {
		t.Fatalf("Tx = %v; want a 503 *Error saying the change is saved", err)
	}
	if w, _ := pending(t, ob); w != 1 {
		t.Fatalf("%d rows waiting, want the revocation (the event before it is relayed)", w)
	}
	mu.Lock()
	failing = false
	mu.Unlock()
	h.relay.poke()
	poll.Until(t, "the relay to apply the revocation", func() bool { w, _ := pending(t, ob); return w == 0 })
}
