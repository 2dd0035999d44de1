package sse

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/hub"
	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/core/transport"
	"github.com/switchboard-rt/switchboard/core/web"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// Name is the transport's name in config and metrics.
const Name = "sse"

var keepalive = []byte(": keepalive\n\n")

// Transport serves SSE streams.
type Transport struct {
	cfg     Config
	hub     *hub.Hub
	auth    *auth.Authenticator
	origins *web.Origins
	limits  *web.Limits
	log     *slog.Logger
	format  hub.Format
	closed  atomic.Bool
}

var _ transport.Transport = (*Transport)(nil)

// New makes the transport and registers its wire format with n.Hub.
func New(cfg Config, n transport.Node) *Transport {
	h, a, log, origins := n.Hub, n.Auth, n.Logger, n.AllowedOrigins
	if log == nil {
		log = slog.Default()
	}
	t := &Transport{cfg: cfg, hub: h, auth: a, origins: web.NewOrigins(origins), limits: n.Limits, log: log.With("component", "sse")}
	t.format = h.RegisterFormat(Name, encoder{})
	return t
}

// StopAccepting refuses new streams (503) from now on.
func (t *Transport) StopAccepting() { t.closed.Store(true) }

// Close stops accepting streams. Open streams end with hub.Shutdown.
func (t *Transport) Close(context.Context) error { t.closed.Store(true); return nil }

func (t *Transport) fail(w http.ResponseWriter, e *wire.Error) {
	t.hub.Metrics().RejectedUpgrade.WithLabelValues(Name, string(e.Code)).Inc()
	wire.Write(w, e)
}

// ServeHTTP checks the request and streams.
func (t *Transport) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if t.closed.Load() {
		wire.Write(w, wire.NewError(wire.Unavailable, "shutting down"))
		return
	}
	if !t.origins.Allowed(r) {
		t.fail(w, wire.Errorf(wire.Forbidden, "origin not allowed"))
		return
	}
	p, err := t.auth.FromRequest(r)
	if err != nil {
		t.fail(w, wire.Errorf(wire.Unauthorized, "%v", err))
		return
	}
	release, lerr, wait := t.limits.Connect(r, p.User)
	if lerr != nil {
		web.Refuse(w, lerr, wait)
		return
	}
	if release != nil {
		defer release()
	}
	rooms, since, werr := t.parse(r, p)
	if werr != nil {
		t.fail(w, werr)
		return
	}
	t.stream(w, r, p, rooms, since)
}

// parse reads the rooms and the resume point of a stream request. With
// hub.auto_join the rooms of p's token are added to those of the URL
// (docs/PROTOCOL.md §4.1), unless autojoin=0; then the URL may name none.
func (t *Transport) parse(r *http.Request, p *auth.Principal) ([]room.Room, *uint64, *wire.Error) {
	q := r.URL.Query()
	names := q["room"]
	var auto []room.Room
	on, err := hub.AutoJoinParam(q.Get("autojoin"))
	if err != nil {
		return nil, nil, wire.As(err)
	}
	if on {
		auto = t.hub.AutoRooms(p)
	}
	if len(names) == 0 && len(auto) == 0 {
		return nil, nil, wire.Errorf(wire.BadRequest, "at least one room parameter is required")
	}
	if max := t.cfg.MaxRooms; max > 0 && len(names) > max {
		return nil, nil, wire.Errorf(wire.TooManyRooms, "at most %d rooms per stream", max)
	}
	var rooms []room.Room
	if len(names) > 0 {
		if rooms, err = hub.ParseRooms(names); err != nil {
			return nil, nil, wire.As(err)
		}
	}
	for _, a := range auto {
		if !slices.Contains(rooms, a) {
			rooms = append(rooms, a)
		}
	}
	s := r.Header.Get("Last-Event-ID")
	src := "Last-Event-ID"
	if s == "" {
		s, src = q.Get("since"), "since"
	}
	if s == "" {
		return rooms, nil, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return nil, nil, wire.Errorf(wire.BadRequest, "%s must be a non-negative integer, got %q", src, s)
	}
	return rooms, &v, nil
}

func (t *Transport) stream(w http.ResponseWriter, r *http.Request, p *auth.Principal, rooms []room.Room, since *uint64) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	// Nothing is written before the client is a member of every room: a
	// client that has the response headers is joined, and an event
	// published from then on reaches it.
	s := &sink{w: w, rc: rc, timeout: time.Duration(t.cfg.WriteTimeout), done: make(chan struct{})}
	c := t.hub.NewClient(p, t.format, s, int64(t.cfg.QueueBytes))
	acked := false
	err := c.Enter(r.Context(), rooms, hub.JoinOptions{Since: since, MaxRooms: t.cfg.MaxRooms,
		Ack: func(a hub.JoinAck) {
			acked = true
			first := "retry: " + strconv.FormatInt(time.Duration(t.cfg.Retry).Milliseconds(), 10) + "\n\n"
			if since != nil && !a.Recovered {
				// History no longer reaches back to Last-Event-ID: say so
				// before the events that are still there.
				first += "event: recovery\ndata: {\"recovered\":false,\"since\":" + strconv.FormatUint(*since, 10) + "}\n\n"
			}
			if since == nil {
				// An id-only block sets the browser's last event id without
				// dispatching an event: a reconnect before any event resumes
				// from here (docs/PROTOCOL.md §7: no gap).
				first += "id: " + strconv.FormatUint(a.Seq, 10) + "\n\n"
			}
			c.Send([]byte(first))
		}})
	if err != nil {
		e := wire.As(err)
		if !acked {
			c.Close(wire.ReasonInternal)
			<-c.Done()
			t.fail(w, e)
			return
		}
		c.Send(errorEvent(e))
		c.Drain(wire.ReasonInternal)
	}
	tick := time.NewTicker(time.Duration(t.cfg.Keepalive))
	defer tick.Stop()
	gone := r.Context().Done()
	for {
		select {
		case <-gone:
			gone = nil
			c.Close(wire.ReasonNormal)
		case <-s.done:
			<-c.Done()
			return
		case <-tick.C:
			c.Send(keepalive)
		}
	}
}

// sink writes frames to the response. Its Flush runs on the hub's writer
// goroutine while the handler goroutine waits in stream.
type sink struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	once    sync.Once
	done    chan struct{}
	mu      sync.Mutex
	ended   bool
}

var _ hub.Sink = (*sink)(nil)

func (s *sink) Flush(frames [][]byte) error {
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.timeout))
	for _, f := range frames {
		if _, err := s.w.Write(f); err != nil {
			return err
		}
	}
	return s.rc.Flush()
}

// Interrupt aborts an in-flight write. After Disconnect the handler may
// have returned and the connection serve another request: do nothing then.
func (s *sink) Interrupt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		_ = s.rc.SetWriteDeadline(time.Unix(1, 0))
	}
}

func (s *sink) Disconnect(wire.Reason) {
	s.mu.Lock()
	s.ended = true
	s.mu.Unlock()
	s.once.Do(func() { close(s.done) })
}
