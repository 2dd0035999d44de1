package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/uptrace/bun"

	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
)

// relay sends events to the core over one Emit stream, one at a time: each
// is acknowledged (stored in history, or rejected as invalid) before the
// next is sent, so order is kept.
type relay struct {
	host pluginv1.HostClient
	log  *slog.Logger

	mu     sync.Mutex
	stream pluginv1.Host_EmitClient

	wake chan struct{}
	busy chan struct{} // held by whoever drains the outbox: run or flush
	ob   *outbox

	// ctx bounds the Emit stream: stop cancels it so that a send waiting
	// for the core's answer returns at once.
	ctx  context.Context
	stop context.CancelFunc
}

func newRelay(h pluginv1.HostClient, log *slog.Logger) *relay {
	ctx, stop := context.WithCancel(context.Background())
	return &relay{host: h, log: log, wake: make(chan struct{}, 1), busy: make(chan struct{}, 1), ctx: ctx, stop: stop}
}

// send relays one event and returns the core's answer.
func (r *relay) send(e *Event, data json.RawMessage) (*pluginv1.EmitResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stream == nil {
		s, err := r.host.Emit(r.ctx)
		if err != nil {
			return nil, err
		}
		r.stream = s
	}
	req := &pluginv1.EmitRequest{Event: &pluginv1.Event{Id: e.ID, Type: e.Type, Rooms: e.Rooms, Data: data,
		Subject: e.Subject, Actor: e.Actor, CorrelationId: e.CorrelationID, Traceparent: e.traceparent}}
	if err := r.stream.Send(req); err != nil {
		r.stream = nil
		return nil, err
	}
	resp, err := r.stream.Recv()
	if err != nil {
		r.stream = nil
		return nil, err
	}
	if resp.Id != e.ID {
		r.stream = nil
		return nil, fmt.Errorf("sdk: relay: ack for %s, want %s", resp.Id, e.ID)
	}
	return resp, nil
}

// direct relays events without an outbox, retrying until ctx ends.
func (r *relay) direct(ctx context.Context, events []*Event) error {
	for _, e := range events {
		if e.revoke != nil {
			if err := r.revoke(ctx, *e.revoke); err != nil {
				return err
			}
			continue
		}
		data, err := json.Marshal(e.Data)
		if err != nil {
			return fmt.Errorf("sdk: event %s data: %w", e.Type, err)
		}
		for backoff := 50 * time.Millisecond; ; backoff = min(backoff*2, 2*time.Second) {
			resp, err := r.send(e, data)
			if err == nil && resp.Status == pluginv1.EmitResponse_STATUS_OK {
				break
			}
			if err == nil && resp.Status == pluginv1.EmitResponse_STATUS_INVALID {
				return BadRequest("event %s rejected: %s", e.Type, resp.Message)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("sdk: emit %s: %w", e.Type, ctx.Err())
			case <-time.After(backoff):
			}
		}
	}
	return nil
}

// revoke asks the core to make connections leave rooms.
func (r *relay) revoke(ctx context.Context, rv Revocation) error {
	_, err := r.host.Revoke(ctx, &pluginv1.RevokeRequest{User: rv.User, Rooms: rv.Rooms, RecheckKinds: rv.RecheckKinds, Reason: rv.Reason})
	if err != nil {
		return fmt.Errorf("sdk: revoke: %w", err)
	}
	return nil
}

func (r *relay) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// flush relays the outbox until every row committed before the call is
// stored by the core (a revocation: applied on every node), retrying
// until ctx ends. Another node's relay may be the one sending them (see
// outbox.batch): then flush waits until those rows are gone from the
// table, not merely until its own drain returns.
func (r *relay) flush(ctx context.Context) error {
	upTo, err := r.ob.last(ctx)
	if err != nil {
		return fmt.Errorf("sdk: outbox: %w", err)
	}
	backoff := 10 * time.Millisecond
	for {
		err := r.drainOnce(ctx)
		if err == nil {
			return nil
		}
		if errors.Is(err, errBusy) {
			left, perr := r.ob.pendingUpTo(ctx, upTo)
			if perr == nil && !left {
				return nil
			}
			if perr != nil {
				err = perr
			}
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 250*time.Millisecond)
	}
}

// drainOnce drains the outbox unless another caller does: then it waits
// for its turn and drains what is left.
func (r *relay) drainOnce(ctx context.Context) error {
	select {
	case r.busy <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-r.busy }()
	return r.drain(ctx)
}

// run streams the outbox to the core until ctx ends.
func (r *relay) run(ctx context.Context) {
	const idle = time.Second
	backoff, busy := 50*time.Millisecond, 50*time.Millisecond
	for ctx.Err() == nil {
		err := r.drainOnce(ctx)
		if err == nil {
			backoff, busy = 50*time.Millisecond, 50*time.Millisecond
			select {
			case <-ctx.Done():
			case <-r.wake:
			case <-time.After(idle):
			}
			continue
		}
		if errors.Is(err, errBusy) {
			// Another node relays the outbox and drains what is committed
			// now; look again soon in case it was just finishing.
			select {
			case <-ctx.Done():
			case <-r.wake:
			case <-time.After(busy):
			}
			busy = min(2*busy, idle)
			continue
		}
		busy = 50 * time.Millisecond
		if !errors.Is(err, context.Canceled) {
			r.log.Warn("outbox relay: will retry", "err", err, "in", backoff)
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// drain relays every pending row; it returns nil when the outbox is empty,
// and errBusy when another node's relay is sending it.
// Rows are sent a batch at a time without waiting for each answer (the
// core answers them in order, and after one it could not store it stores
// none of the rest on that stream), so order holds at a fraction of the
// round trips.
func (r *relay) drain(ctx context.Context) error {
	for {
		empty, err := r.ob.batch(ctx, 64, func(ctx context.Context, db bun.IDB, rows []outboxRow) error {
			// A revocation is sent alone, after the events before it are stored.
			if rows[0].Type == revokeType {
				return r.revokeRow(ctx, db, &rows[0])
			}
			n := 0
			for n < len(rows) && rows[n].Type != revokeType {
				n++
			}
			return r.sendBatch(ctx, db, rows[:n])
		})
		if err != nil || empty {
			return err
		}
	}
}

func (r *relay) revokeRow(ctx context.Context, db bun.IDB, row *outboxRow) error {
	var rv Revocation
	if err := json.Unmarshal([]byte(row.Data), &rv); err != nil {
		return r.ob.fail(ctx, db, row.Seq, "corrupt revocation: "+err.Error())
	}
	if err := r.revoke(ctx, rv); err != nil {
		return err
	}
	return r.ob.done(ctx, db, row.Seq)
}

// sendBatch sends rows, then reads their answers in order.
func (r *relay) sendBatch(ctx context.Context, db bun.IDB, rows []outboxRow) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stream == nil {
		s, err := r.host.Emit(r.ctx)
		if err != nil {
			return err
		}
		r.stream = s
	}
	sent := 0
	for i := range rows {
		e, data, err := rows[i].event()
		if err != nil {
			break // handled below, once the rows before it are answered
		}
		req := &pluginv1.EmitRequest{Event: &pluginv1.Event{Id: e.ID, Type: e.Type, Rooms: e.Rooms, Data: data,
			Subject: e.Subject, Actor: e.Actor, CorrelationId: e.CorrelationID, Traceparent: e.traceparent}}
		if err := r.stream.Send(req); err != nil {
			r.stream = nil
			return err
		}
		sent++
	}
	var unavailable error
	for i := 0; i < sent; i++ {
		resp, err := r.stream.Recv()
		if err != nil {
			r.stream = nil
			return err
		}
		row := &rows[i]
		if resp.Id != row.ID {
			r.stream = nil
			return fmt.Errorf("sdk: relay: answer for %s, want %s", resp.Id, row.ID)
		}
		switch {
		case unavailable != nil:
			// The core stores nothing after an event it could not store.
		case resp.Status == pluginv1.EmitResponse_STATUS_OK:
			if err := r.ob.done(ctx, db, row.Seq); err != nil {
				return err
			}
		case resp.Status == pluginv1.EmitResponse_STATUS_INVALID:
			r.log.Error("event rejected by the core; kept in the outbox as failed", "type", row.Type, "id", row.ID, "reason", resp.Message)
			if err := r.ob.fail(ctx, db, row.Seq, resp.Message); err != nil {
				return err
			}
		default:
			unavailable = fmt.Errorf("core unavailable: %s", resp.Message)
		}
	}
	if unavailable != nil {
		r.stream = nil // a new stream starts clean
		return unavailable
	}
	if sent < len(rows) {
		_, _, err := rows[sent].event()
		return r.ob.fail(ctx, db, rows[sent].Seq, "corrupt row: "+err.Error())
	}
	return nil
}
