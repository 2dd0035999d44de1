package hub

import (
	"context"
	"time"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// Token lifetime (docs/PROTOCOL.md §3.6): a client ends when its token
// expires (plus Options.ExpiryGrace) unless Refresh gave it a later one.
//
// Each client holds one runtime timer (time.AfterFunc), not a goroutine:
// an idle connection costs a timer-heap entry, and the expiry is exact to
// the millisecond instead of waiting for a transport's sweep. Enter also
// checks the expiry, so no join succeeds after it even if the timer is
// late.

// ErrorEncoder is implemented by an Encoder that can frame an error for
// the client (a WebSocket error frame, an SSE error event). The hub uses
// it to say why it ends a connection before ending it.
type ErrorEncoder interface {
	EncodeError(e *wire.Error) []byte
}

// ReasonTokenRefreshed is the access.revoked reason for rooms a refreshed
// token no longer allows.
const ReasonTokenRefreshed = "token refreshed"

// deadline is when a client with principal p must end; zero is never.
func (h *Hub) deadline(p *auth.Principal) time.Time {
	if p == nil || p.Expires.IsZero() {
		return time.Time{}
	}
	return p.Expires.Add(h.grace)
}

// Expired reports whether the client's token has expired, grace included.
func (c *Client) Expired() bool {
	d := c.hub.deadline(c.Principal())
	return !d.IsZero() && !time.Now().Before(d)
}

func (c *Client) expiredError() *wire.Error {
	return wire.Errorf(wire.TokenExpired, "token expired at %s; reconnect with a fresh token",
		c.Principal().Expires.UTC().Format(time.RFC3339))
}

// armExpiry (re)starts the expiry timer for principal p.
func (c *Client) armExpiry(p *auth.Principal) {
	d := c.hub.deadline(p)
	if d.IsZero() {
		c.ends.Store(0)
		return
	}
	c.ends.Store(d.UnixNano())
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.ended {
		return
	}
	if c.expiry != nil {
		c.expiry.Stop()
	}
	c.expiry = time.AfterFunc(time.Until(d), c.expire)
}

// expire ends the client if its token is still expired (a timer from
// before a Refresh may fire late): it leaves every room first, so that no
// event reaches it after the expiry, then sends token_expired and closes
// with wire.ReasonTokenExpired once that is written.
func (c *Client) expire() {
	if !c.Expired() {
		return
	}
	c.leaveAll()
	if ee, ok := c.hub.formats[c.format].enc.(ErrorEncoder); ok {
		c.Send(ee.EncodeError(c.expiredError()))
	}
	c.hub.log.Debug("token expired", "user", c.Principal().User, "conn", c.id)
	c.Drain(wire.ReasonTokenExpired)
}

// Refresh replaces the client's token with p (already verified by the
// transport). p must be for the same user (else forbidden) and the current
// token must not have expired (else token_expired); the connection stays
// either way. The new claims apply at once: every room p no longer allows
// is left with access.revoked before Refresh returns.
func (c *Client) Refresh(ctx context.Context, p *auth.Principal) error {
	old := c.Principal()
	if p == nil || p.User != old.User {
		return wire.Errorf(wire.Forbidden, "the new token is for another user: this connection is %q's", old.User)
	}
	if c.Expired() {
		return c.expiredError()
	}
	if c.isClosed() {
		return wire.Errorf(wire.Unavailable, "connection closing")
	}
	c.user.Store(p)
	c.armExpiry(p)
	c.rmu.Lock()
	c.narrowed++
	rooms := make([]room.Room, 0, c.rooms.len())
	for _, mb := range c.rooms.list() {
		rooms = append(rooms, mb.rs.room)
	}
	c.rmu.Unlock()
	for _, r := range rooms {
		// Any refusal, including a failing plugin, leaves the room: no
		// access survives a token that cannot be shown to allow it.
		if c.hub.Authorize(ctx, p, r) != nil {
			c.leaveRevoked(r, ReasonTokenRefreshed)
		}
	}
	return nil
}
