package ws

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/hub"
	"github.com/switchboard-rt/switchboard/core/transport"
	"github.com/switchboard-rt/switchboard/core/web"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// Name is the transport's name in config and metrics.
const Name = "ws"

// Transport serves WebSocket connections.
type Transport struct {
	cfg      Config
	hub      *hub.Hub
	auth     *auth.Authenticator
	origins  *web.Origins
	limits   *web.Limits
	log      *slog.Logger
	format   hub.Format
	poller   *poller
	upgrader ws.HTTPUpgrader
	rejected *prometheus.CounterVec

	readers sync.Pool
	stop    chan struct{}
	once    sync.Once
	closed  atomic.Bool
}

var _ transport.Transport = (*Transport)(nil)

// New makes the transport and registers its wire format with n.Hub.
func New(cfg Config, n transport.Node) (*Transport, error) {
	h, a, log, origins := n.Hub, n.Auth, n.Logger, n.AllowedOrigins
	if log == nil {
		log = slog.Default()
	}
	t := &Transport{cfg: cfg, hub: h, auth: a, origins: web.NewOrigins(origins), limits: n.Limits, log: log.With("component", "ws"),
		rejected: h.Metrics().RejectedUpgrade, stop: make(chan struct{})}
	t.format = h.RegisterFormat(Name, encoder{})
	t.upgrader = ws.HTTPUpgrader{Timeout: time.Duration(cfg.HandshakeTimeout)}
	t.readers.New = func() any { return bufio.NewReaderSize(nil, 4096) }
	p, err := newPoller(t.onReadable)
	if err != nil {
		return nil, err
	}
	t.poller = p
	go t.sweep()
	return t, nil
}

// ServeHTTP authenticates and upgrades a connection.
func (t *Transport) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if t.closed.Load() {
		t.rejected.WithLabelValues(Name, "shutdown").Inc()
		wire.Write(w, wire.NewError(wire.Unavailable, "shutting down"))
		return
	}
	if !t.origins.Allowed(r) {
		t.reject(w, wire.Forbidden, "origin", "origin not allowed")
		return
	}
	p, err := t.auth.FromRequest(r)
	if err != nil {
		t.reject(w, wire.Unauthorized, "unauthorized", err.Error())
		return
	}
	release, lerr, wait := t.limits.Connect(r, p.User)
	if lerr != nil {
		t.rejected.WithLabelValues(Name, "rate_limited").Inc()
		web.Refuse(w, lerr, wait)
		return
	}
	var done <-chan struct{} // the connection's end, once it has a client
	defer func() { web.ReleaseOn(done, release) }()
	since, serr := sinceParam(r)
	autoJoin, aerr := hub.AutoJoinParam(r.URL.Query().Get("autojoin"))
	if serr != nil || aerr != nil {
		t.rejected.WithLabelValues(Name, "handshake").Inc()
		if serr == nil {
			serr = wire.As(aerr)
		}
		wire.Write(w, serr)
		return
	}
	if status, msg := upgradeProblem(r); status != 0 {
		if status == http.StatusUpgradeRequired {
			w.Header().Set("Sec-WebSocket-Version", "13")
		}
		t.rejected.WithLabelValues(Name, "handshake").Inc()
		wire.WriteStatus(w, status, wire.NewError(wire.BadRequest, msg))
		return
	}
	nc, rw, _, err := t.upgrader.Upgrade(r, w)
	if err != nil {
		t.rejected.WithLabelValues(Name, "handshake").Inc()
		t.log.Debug("upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	c := &conn{t: t, nc: nc, rc: rawConn(nc), fd: -1}
	if fd, err := connFD(nc); err == nil {
		c.fd = fd // before the client exists: Disconnect may run at once
	}
	c.touch()
	c.client = t.hub.NewClient(p, t.format, c, int64(t.cfg.QueueBytes))
	if release != nil { // Done makes a channel: only for the connection caps
		done = c.client.Done()
	}
	t.welcome(c, p, since, autoJoin)
	if rw != nil && rw.Reader.Buffered() > 0 {
		// The client sent frames right behind its handshake.
		if !c.readBuffered(rw.Reader) {
			return
		}
	}
	if err := t.poller.add(c); err != nil {
		t.log.Error("poller", "err", err)
		c.client.Close(wire.ReasonInternal)
	}
}

// welcome sends the welcome frame (docs/PROTOCOL.md §3.1). With
// hub.auto_join the connection first joins the rooms of its token, resumed
// from since when given, and the welcome lists them with the position to
// resume from (seq) or whether since was recovered, like the ok of a
// join; a failed auto-join gets a welcome without rooms and an error
// frame, and the connection stays. autoJoin false (?autojoin=0) joins
// none and gives the plain welcome.
func (t *Transport) welcome(c *conn, p *auth.Principal, since *uint64, autoJoin bool) {
	w := &reply{Op: "welcome", Conn: c.client.ID(), User: p.User}
	if !t.hub.AutoJoins() || !autoJoin {
		c.client.Send(w.frame())
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(t.cfg.WriteTimeout))
	defer cancel()
	acked := false
	err := c.client.AutoJoin(ctx, hub.JoinOptions{Since: since, MaxRooms: t.cfg.MaxRooms}, func(rooms []string, a hub.JoinAck) {
		acked = true
		w.Rooms = &rooms
		if since != nil {
			w.Recovered = &a.Recovered
		} else {
			w.Seq = &a.Seq
		}
		c.client.Send(w.frame())
	})
	if err != nil && !acked { // after the welcome (a failed replay) the client is closed: it resumes
		none := []string{}
		w.Rooms = &none
		c.client.Send(w.frame())
		e := wire.As(err)
		c.client.Send(errorFrame(nil, wire.Errorf(e.Code, "joining the rooms of the token on connect: %s", e.Message)))
	}
}

// sinceParam reads the URL's since: the position the rooms joined on
// connect resume from (docs/PROTOCOL.md §3.1).
func sinceParam(r *http.Request) (*uint64, *wire.Error) {
	s := r.URL.Query().Get("since")
	if s == "" {
		return nil, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return nil, wire.Errorf(wire.BadRequest, "since must be a non-negative integer, got %q", s)
	}
	return &v, nil
}

func (t *Transport) reject(w http.ResponseWriter, code wire.Code, reason, msg string) {
	t.rejected.WithLabelValues(Name, reason).Inc()
	wire.Write(w, wire.NewError(code, msg))
}

// sweep pings every connection each ping interval and closes the silent.
func (t *Transport) sweep() {
	tick := time.NewTicker(time.Duration(t.cfg.PingInterval))
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case now := <-tick.C:
			idle := now.Add(-time.Duration(t.cfg.IdleTimeout)).UnixNano()
			t.poller.each(func(c *conn) {
				if c.lastRead.Load() < idle {
					c.client.Close(wire.ReasonIdle)
					return
				}
				c.client.Send(pingFrame)
			})
		}
	}
}

// StopAccepting refuses new connections (503) from now on.
func (t *Transport) StopAccepting() { t.closed.Store(true) }

// Close stops accepting connections, the sweeper and the poller. Call it
// after hub.Shutdown has closed the connections. It is idempotent.
func (t *Transport) Close(context.Context) error {
	t.closed.Store(true)
	t.once.Do(func() {
		close(t.stop)
		t.poller.close()
	})
	return nil
}

// upgradeProblem checks that r is a WebSocket upgrade (RFC 6455 §4.2.1)
// before gobwas/ws takes the connection, so that a refusal is a JSON error
// like every other one. It returns 0 when r is fine.
func upgradeProblem(r *http.Request) (int, string) {
	switch {
	case r.Method != http.MethodGet:
		return http.StatusMethodNotAllowed, "a WebSocket upgrade is a GET, not " + r.Method
	case !hasToken(r.Header, "Connection", "upgrade") || !hasToken(r.Header, "Upgrade", "websocket"):
		return http.StatusBadRequest, "not a WebSocket upgrade: want the headers Connection: Upgrade and Upgrade: websocket"
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		return http.StatusUpgradeRequired, fmt.Sprintf("Sec-WebSocket-Version %q is not supported: want 13", r.Header.Get("Sec-WebSocket-Version"))
	case r.Header.Get("Sec-WebSocket-Key") == "":
		return http.StatusBadRequest, "missing Sec-WebSocket-Key"
	}
	return 0, ""
}

// hasToken reports whether a comma-separated header lists token (case
// insensitive).
func hasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
