package hub

import (
	"context"

	"github.com/switchboard-rt/switchboard/schema/wire"
)

// Shutdown disconnects every client with reason, writing what is queued
// first, and waits until all are gone or ctx ends. New clients are refused
// from the first call on. It is idempotent.
func (h *Hub) Shutdown(ctx context.Context, reason wire.Reason) error {
	h.closed.Store(true)
	all := h.clients.all()
	for _, c := range all {
		c.Drain(reason)
	}
	for _, c := range all {
		select {
		case <-c.Done():
		case <-ctx.Done():
			for _, c := range all {
				c.Close(reason)
			}
			return ctx.Err()
		}
	}
	return nil
}

// Clients returns the number of open clients.
func (h *Hub) Clients() int {
	return h.clients.len()
}
