package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/hcl/v2"
	"github.com/uptrace/bun"

	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
)

// Serve runs the plugin; main is usually just this call. C is the type of
// the plugin's `config { }` block, decoded with gohcl (`hcl:"name,optional"`
// tags; unknown attributes are errors with their position; env() works).
// It never returns: the process exits when the core stops it.
func Serve[C any](factory func(cfg C, h Host) (Plugin, error)) {
	s := &server[C]{factory: factory}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: pluginv1.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{
			pluginv1.ProtocolVersion: {pluginv1.PluginName: &pluginv1.GRPCPlugin{Impl: s, OnBroker: s.setBroker}},
		},
		GRPCServer: grpcServer, // trace.go
		Logger:     hclog.New(&hclog.LoggerOptions{Output: logOut, JSONFormat: true, Level: hclog.Info}),
	})
}

// server implements the Plugin service over a Plugin.
type server[C any] struct {
	pluginv1.UnimplementedPluginServer
	factory func(C, Host) (Plugin, error)

	mu     sync.Mutex
	broker *plugin.GRPCBroker
	p      Plugin
	h      *host
}

func (s *server[C]) setBroker(b *plugin.GRPCBroker) {
	s.mu.Lock()
	s.broker = b
	s.mu.Unlock()
}

func (s *server[C]) plugin() (Plugin, *host, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.p == nil {
		return nil, nil, errors.New("sdk: plugin not configured")
	}
	return s.p, s.h, nil
}

func (s *server[C]) name() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h == nil {
		return ""
	}
	return s.h.name
}

func diag(d *hcl.Diagnostic) *pluginv1.Diagnostic {
	pd := &pluginv1.Diagnostic{Summary: d.Summary, Detail: d.Detail}
	if d.Subject != nil {
		pd.Filename = d.Subject.Filename
		pd.Start = &pluginv1.Pos{Line: int64(d.Subject.Start.Line), Column: int64(d.Subject.Start.Column), Byte: int64(d.Subject.Start.Byte)}
	}
	return pd
}

// Configure decodes the config block, connects to the host and makes the
// plugin.
func (s *server[C]) Configure(ctx context.Context, req *pluginv1.ConfigureRequest) (*pluginv1.ConfigureResponse, error) {
	at := hcl.InitialPos
	if req.Start != nil {
		at = hcl.Pos{Line: int(req.Start.Line), Column: int(req.Start.Column), Byte: int(req.Start.Byte)}
	}
	cfg, diags := decodeConfig[C](req.Filename, req.ConfigHcl, at)
	if diags.HasErrors() {
		resp := &pluginv1.ConfigureResponse{}
		for _, d := range diags {
			resp.Diagnostics = append(resp.Diagnostics, diag(d))
		}
		return resp, nil
	}
	s.mu.Lock()
	broker := s.broker
	s.mu.Unlock()
	conn, err := broker.Dial(req.HostBrokerId)
	if err != nil {
		return nil, fmt.Errorf("sdk: dial host: %w", err)
	}
	log := newLogger()
	h := &host{name: req.Name, dataDir: req.DataDir, dsn: req.Database, log: log}
	h.relay = newRelay(pluginv1.NewHostClient(conn), log)
	h.client = pluginv1.NewHostClient(conn)
	if err := os.MkdirAll(h.dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("sdk: data dir: %w", err)
	}
	if h.hasDB() {
		// Events may be waiting in the outbox from a previous run: relay
		// them even if this run never touches the database.
		if _, err := h.DB(ctx); err != nil {
			h.close()
			return &pluginv1.ConfigureResponse{Diagnostics: []*pluginv1.Diagnostic{{Summary: err.Error()}}}, nil
		}
	}
	p, err := start(ctx, cfg, h, s.factory)
	if err != nil {
		h.close()
		return &pluginv1.ConfigureResponse{Diagnostics: []*pluginv1.Diagnostic{{Summary: err.Error()}}}, nil
	}
	s.mu.Lock()
	s.p, s.h = p, h
	s.mu.Unlock()
	return &pluginv1.ConfigureResponse{}, nil
}

// GetInfo describes the plugin.
func (s *server[C]) GetInfo(context.Context, *pluginv1.GetInfoRequest) (*pluginv1.GetInfoResponse, error) {
	p, _, err := s.plugin()
	if err != nil {
		return nil, err
	}
	in := Describe(p, s.name())
	out := &pluginv1.GetInfoResponse{Name: in.Name, ApiVersion: in.APIVersion, Description: in.Description,
		RoomKinds: in.RoomKinds, Subscriptions: in.Subscriptions}
	for _, r := range in.Routes {
		out.Routes = append(out.Routes, &pluginv1.Route{Method: r.Method, Pattern: r.Pattern})
	}
	for _, e := range in.Events {
		out.Events = append(out.Events, &pluginv1.EventType{Type: e.Type, Schema: e.Schema, Description: e.Description, Rooms: e.Rooms})
	}
	return out, nil
}

// HandleHTTP serves one request.
func (s *server[C]) HandleHTTP(ctx context.Context, req *pluginv1.HTTPRequest) (*pluginv1.HTTPResponse, error) {
	p, h, err := s.plugin()
	if err != nil {
		return nil, err
	}
	q, _ := url.ParseQuery(req.RawQuery)
	r := &Request{Method: req.Method, Path: req.Path, Pattern: req.Pattern, Params: req.PathParams, Query: q,
		Header: http.Header{}, Body: req.Body, CorrelationID: req.CorrelationId}
	for k, v := range req.Headers {
		r.Header[k] = v.Values
	}
	if req.Principal != nil {
		r.Principal = &Principal{User: req.Principal.User, Workspaces: req.Principal.Workspaces}
	}
	resp, err := Call(ctx, p, r)
	if err != nil {
		h.log.Error("handler failed", "method", r.Method, "pattern", r.Pattern, "err", err, "correlationid", r.CorrelationID)
	}
	out := &pluginv1.HTTPResponse{Status: int32(resp.Status), Body: resp.Body, Headers: map[string]*pluginv1.HeaderValues{}}
	for k, v := range resp.Header {
		out.Headers[k] = &pluginv1.HeaderValues{Values: v}
	}
	return out, nil
}

// Authorize asks the plugin's Authorizer.
func (s *server[C]) Authorize(ctx context.Context, req *pluginv1.AuthorizeRequest) (*pluginv1.AuthorizeResponse, error) {
	p, _, err := s.plugin()
	if err != nil {
		return nil, err
	}
	a, ok := p.(Authorizer)
	if !ok {
		return &pluginv1.AuthorizeResponse{Code: "forbidden", Message: "plugin has no authorizer"}, nil
	}
	var pr Principal
	if req.Principal != nil {
		pr = Principal{User: req.Principal.User, Workspaces: req.Principal.Workspaces}
	}
	if err := a.Authorize(ctx, pr, ParseRoom(req.Room)); err != nil {
		var e *Error
		if errors.As(err, &e) {
			return &pluginv1.AuthorizeResponse{Code: e.Code, Message: e.Message}, nil
		}
		return &pluginv1.AuthorizeResponse{Code: "internal", Message: err.Error()}, nil
	}
	return &pluginv1.AuthorizeResponse{Allowed: true}, nil
}

// HandleEvent delivers a subscribed event to the plugin's EventHandler.
func (s *server[C]) HandleEvent(ctx context.Context, req *pluginv1.HandleEventRequest) (*pluginv1.HandleEventResponse, error) {
	p, h, err := s.plugin()
	if err != nil {
		return nil, err
	}
	eh, ok := p.(EventHandler)
	if !ok {
		return &pluginv1.HandleEventResponse{Ok: true}, nil
	}
	e := req.GetEvent()
	d := &Delivery{ID: e.GetId(), Type: e.GetType(), Source: e.GetSource(), Subject: e.GetSubject(), Actor: e.GetActor(),
		CorrelationID: e.GetCorrelationId(), Time: e.GetTime(), Data: e.GetData(), Seq: req.Seq, Redelivered: req.Redelivered}
	if err := eh.HandleEvent(ctx, d); err != nil {
		h.log.Warn("event handler failed; it will be redelivered", "type", d.Type, "id", d.ID, "err", err)
		return &pluginv1.HandleEventResponse{Ok: false, Message: err.Error()}, nil
	}
	return &pluginv1.HandleEventResponse{Ok: true}, nil
}

// Stop stops the plugin and its relay.
func (s *server[C]) Stop(ctx context.Context, _ *pluginv1.StopRequest) (*pluginv1.StopResponse, error) {
	p, h, err := s.plugin()
	if err != nil {
		return &pluginv1.StopResponse{}, nil
	}
	if st, ok := p.(Stopper); ok {
		if err := st.Stop(ctx); err != nil {
			h.log.Error("stop", "err", err)
		}
	}
	h.close()
	return &pluginv1.StopResponse{}, nil
}

// logOut is the process's real stderr, taken before plugin.Serve points
// os.Stderr at a pipe whose lines the host discards; go-plugin reads the
// real one line by line and logs each JSON record.
var logOut io.Writer = os.Stderr

// newLogger writes one JSON line per record to the real stderr with
// go-plugin's (hclog) keys and time format, so the core logs each at its
// level with its attributes. Without hclog's exact time layout go-plugin
// takes the line for plain text and logs it whole at debug.
func newLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.MessageKey:
				a.Key = "@message"
			case slog.LevelKey:
				a.Key = "@level"
				a.Value = slog.StringValue(strings.ToLower(a.Value.String()))
			case slog.TimeKey:
				a.Key = "@timestamp"
				a.Value = slog.StringValue(a.Value.Time().Format(hclog.TimeFormatJSON))
			}
			return a
		},
	}))
}

// host implements Host in the plugin process.
type host struct {
	name, dataDir, dsn string
	log                *slog.Logger
	client             pluginv1.HostClient
	relay              *relay

	mu     sync.Mutex
	db     *bun.DB
	cancel context.CancelFunc
	done   chan struct{}
}

func (h *host) Name() string         { return h.name }
func (h *host) Logger() *slog.Logger { return h.log }
func (h *host) DataDir() string      { return h.dataDir }

func (h *host) DB(ctx context.Context) (*bun.DB, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.db != nil {
		return h.db, nil
	}
	dsn := h.dsn
	if dsn == "" {
		dsn = filepath.Join(h.dataDir, h.name+".db")
	}
	db, err := OpenDB(dsn)
	if err != nil {
		return nil, err
	}
	ob := newOutbox(db, h.name)
	if err := ob.create(ctx, h.name); err != nil {
		_ = db.Close()
		return nil, err
	}
	h.db = db
	h.relay.ob = ob
	rctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan struct{})
	go func() { defer close(h.done); h.relay.run(rctx) }()
	return db, nil
}

// hasDB reports whether the plugin has a database from an earlier run (or
// a configured DSN).
func (h *host) hasDB() bool {
	if h.dsn != "" {
		return true
	}
	_, err := os.Stat(filepath.Join(h.dataDir, h.name+".db"))
	return err == nil
}

func (h *host) Tx(ctx context.Context, fn func(context.Context, bun.Tx, func(...*Event)) error) error {
	db, err := h.DB(ctx)
	if err != nil {
		return err
	}
	var events []*Event
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		events = events[:0]
		if err := fn(ctx, tx, func(e ...*Event) { events = append(events, traced(ctx, e)...) }); err != nil {
			return err
		}
		return h.relay.ob.add(ctx, tx, events)
	})
	if err != nil || len(events) == 0 {
		return err
	}
	if !revokes(events) {
		h.relay.poke()
		return nil
	}
	return h.applied(ctx)
}

// revokes reports whether any of events is a revocation.
func revokes(events []*Event) bool {
	return slices.ContainsFunc(events, func(e *Event) bool { return e.revoke != nil })
}

// applied relays the outbox at once and returns when it is empty: a
// revocation it held has then been applied on every node, so the caller
// answers its client only once no event sent after the answer can reach
// the revoked connections. When that takes longer than ctx allows (a node
// does not answer), the change stays saved and the relay goes on trying;
// the error says both.
func (h *host) applied(ctx context.Context) error {
	if err := h.relay.flush(ctx); err != nil {
		h.relay.poke()
		return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable",
			Message: "saved, but the revocation of access is not applied on every node yet; it will be: " + err.Error()}
	}
	return nil
}

func (h *host) Emit(ctx context.Context, events ...*Event) error {
	events = traced(ctx, events)
	h.mu.Lock()
	hasDB := h.db != nil
	h.mu.Unlock()
	if !hasDB {
		return h.relay.direct(ctx, events)
	}
	if err := h.relay.ob.add(ctx, h.db, events); err != nil {
		return err
	}
	if revokes(events) {
		return h.applied(ctx)
	}
	h.relay.poke()
	return nil
}

func (h *host) Authorize(ctx context.Context, p Principal, room string) error {
	resp, err := h.client.Authorize(ctx, &pluginv1.AuthorizeRequest{
		Principal: &pluginv1.Principal{User: p.User, Workspaces: p.Workspaces}, Room: room})
	if err != nil {
		return fmt.Errorf("sdk: authorize %s: %w", room, err)
	}
	if resp.Allowed {
		return nil
	}
	switch resp.Code {
	case "not_found":
		return NotFound("%s", resp.Message)
	case "forbidden", "":
		return Forbidden("%s", resp.Message)
	default:
		return &Error{Status: http.StatusServiceUnavailable, Code: resp.Code, Message: resp.Message}
	}
}

// Revoke goes through the outbox when the plugin has a database, behind
// the events already committed: a member removed from a project receives
// pm.team.member_removed in the project room before leaving it. Without a
// database it is sent at once.
func (h *host) Revoke(ctx context.Context, r Revocation) error {
	h.mu.Lock()
	db := h.db
	h.mu.Unlock()
	if db == nil {
		return h.relay.revoke(ctx, r)
	}
	if err := h.relay.ob.addRevocation(ctx, db, r); err != nil {
		return err
	}
	return h.applied(ctx)
}

func (h *host) close() {
	h.relay.stop()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cancel != nil {
		h.cancel()
		<-h.done
		h.cancel = nil
	}
	if h.db != nil {
		_ = h.db.Close()
		h.db = nil
	}
}
