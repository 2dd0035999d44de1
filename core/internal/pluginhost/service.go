package pluginhost

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.opentelemetry.io/otel/trace"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/event"
	"github.com/switchboard-rt/switchboard/core/hub"
	"github.com/switchboard-rt/switchboard/core/internal/bus"
	"github.com/switchboard-rt/switchboard/core/internal/ingest"
	"github.com/switchboard-rt/switchboard/core/room"
	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// hostService is the Host service one plugin talks to.
type hostService struct {
	pluginv1.UnimplementedHostServer
	in *instance
}

// Emit stores each event the plugin relays and answers it, in order. Once
// one could not be stored, the rest of the stream is answered unavailable
// without storing anything, so that a relay sending ahead keeps its order.
func (s *hostService) Emit(stream pluginv1.Host_EmitServer) error {
	broken := false
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var resp *pluginv1.EmitResponse
		if broken {
			resp = &pluginv1.EmitResponse{Id: req.GetEvent().GetId(), Status: pluginv1.EmitResponse_STATUS_UNAVAILABLE,
				Message: "an earlier event on this stream was not stored"}
		} else {
			resp = s.in.emit(stream.Context(), req.GetEvent())
			broken = resp.Status == pluginv1.EmitResponse_STATUS_UNAVAILABLE
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
}

func invalid(id, format string, args ...any) *pluginv1.EmitResponse {
	return &pluginv1.EmitResponse{Id: id, Status: pluginv1.EmitResponse_STATUS_INVALID, Message: fmt.Sprintf(format, args...)}
}

// emit hands one event to the ingest path (core/internal/ingest) as the
// plugin's: it may emit only the types it declared.
func (in *instance) emit(ctx context.Context, ev *pluginv1.Event) *pluginv1.EmitResponse {
	if ev == nil {
		return invalid("", "no event")
	}
	if !in.described() {
		// The plugin relays from its outbox as soon as it is configured,
		// before the core has read its event types: ask it to retry.
		return &pluginv1.EmitResponse{Id: ev.Id, Status: pluginv1.EmitResponse_STATUS_UNAVAILABLE, Message: "plugin " + in.cfg.Name + " is starting"}
	}
	if tr := in.h.o.Tracer; tr != nil && ev.Traceparent != "" {
		var span trace.Span
		ctx, span = in.traceEmit(ctx, tr, ev) // observe.go
		defer span.End()
	}
	g := in.h.o.Ingest
	if g == nil { // `switchboard catalog` runs plugins only to read them
		return &pluginv1.EmitResponse{Id: ev.Id, Status: pluginv1.EmitResponse_STATUS_UNAVAILABLE, Message: "this process stores no events"}
	}
	checked, err := g.Check(ingest.Plugin(in.cfg.Name, declared{in}), []ingest.Event{{
		ID: ev.Id, Rooms: ev.Rooms, Type: ev.Type, Data: ev.Data, Subject: ev.Subject, Actor: ev.Actor,
		CorrelationID: ev.CorrelationId, Time: ev.Time}})
	if err != nil {
		if m := in.h.o.Metrics; m != nil {
			m.PluginEventsRejected.WithLabelValues(in.cfg.Name).Inc()
		}
		in.log.Error("event rejected", "type", ev.Type, "id", ev.Id, "reason", err.Error())
		return invalid(ev.Id, "event %s: %v", ev.Type, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := g.Store(pctx, checked)
	if err != nil {
		return &pluginv1.EmitResponse{Id: ev.Id, Status: pluginv1.EmitResponse_STATUS_UNAVAILABLE, Message: err.Error()}
	}
	return &pluginv1.EmitResponse{Id: ev.Id, Status: pluginv1.EmitResponse_STATUS_OK, Seqs: res[0].Seqs}
}

// declared is the catalogue as one plugin sees it: the types it declared.
type declared struct{ in *instance }

func (d declared) Schema(typ string) (*jsonschema.Schema, bool) {
	s := d.in.schema(typ)
	return s, s != nil
}

// Schema finds an event type in the catalogue: the types the plugins
// declared, the first plugin in config order winning. The publish API
// validates data against it.
func (h *Host) Schema(typ string) (*jsonschema.Schema, bool) {
	for _, in := range h.plugins {
		if s := in.schema(typ); s != nil {
			return s, true
		}
	}
	return nil, false
}

func principal(p *pluginv1.Principal) *auth.Principal {
	if p == nil {
		return &auth.Principal{}
	}
	return &auth.Principal{User: p.User, Workspaces: p.Workspaces}
}

// Authorize answers a plugin asking about another room's owner.
func (s *hostService) Authorize(ctx context.Context, req *pluginv1.AuthorizeRequest) (*pluginv1.AuthorizeResponse, error) {
	r, err := room.Parse(req.Room)
	if err != nil {
		return &pluginv1.AuthorizeResponse{Code: string(wire.BadRequest), Message: err.Error()}, nil
	}
	if err := s.in.h.o.Hub.AskOwner(ctx, principal(req.Principal), r); err != nil {
		e := wire.As(err)
		return &pluginv1.AuthorizeResponse{Code: string(e.Code), Message: e.Message}, nil
	}
	return &pluginv1.AuthorizeResponse{Allowed: true}, nil
}

// Revoke makes connections leave rooms on every node, and answers once
// they have: it is broadcast on the control subject, which every node
// receives in order with live events (so events the plugin stored before
// reach the rooms first), and each node answers once its connections left
// the rooms, those of the recheck kinds included. An event stored after
// Revoke returns reaches none of them (docs/PROTOCOL.md#s9). A node that
// does not answer within the plugin's timeout fails the call, and the
// plugin's relay sends the revocation again.
func (s *hostService) Revoke(ctx context.Context, req *pluginv1.RevokeRequest) (*pluginv1.RevokeResponse, error) {
	msg := hub.RevocationMsg{User: req.User, Rooms: req.Rooms, RecheckKinds: req.RecheckKinds, Reason: req.Reason}
	if _, err := msg.Revocation(); err != nil {
		return nil, fmt.Errorf("revoke: %w", err)
	}
	b, _ := json.Marshal(msg)
	bctx, cancel := context.WithTimeout(ctx, s.in.timeout())
	defer cancel()
	if err := s.in.h.o.Bus.Broadcast(bctx, "revoke", b); err != nil {
		s.in.log.Warn("revocation not yet applied on every node; the plugin will send it again", "user", req.User, "rooms", req.Rooms, "err", err)
		return nil, err
	}
	return &pluginv1.RevokeResponse{}, nil
}

// Authorize makes the plugin the hub's authorizer for its room kinds.
func (in *instance) Authorize(ctx context.Context, p *auth.Principal, r room.Room) error {
	c := in.current()
	if c == nil {
		return wire.Errorf(wire.Internal, "plugin %s, which owns %s rooms, is restarting", in.cfg.Name, r.Kind)
	}
	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := c.Authorize(actx, &pluginv1.AuthorizeRequest{
		Principal: &pluginv1.Principal{User: p.User, Workspaces: p.Workspaces}, Room: r.String()})
	if err != nil {
		return wire.Errorf(wire.Internal, "plugin %s: %v", in.cfg.Name, err)
	}
	if resp.Allowed {
		return nil
	}
	code := wire.Code(resp.Code)
	if code == "" {
		code = wire.Forbidden
	}
	return wire.Errorf(code, "%s", resp.Message)
}

// deliver hands one event of a subscribed type to the plugin; an error
// makes the bus redeliver it later.
func (in *instance) deliver(ctx context.Context, d bus.Delivery) error {
	c := in.current()
	if c == nil {
		return fmt.Errorf("plugin %s is down", in.cfg.Name)
	}
	var env event.Envelope
	if err := json.Unmarshal(d.Data, &env); err != nil {
		in.log.Error("event log entry is not a CloudEvent; skipped", "seq", d.Seq, "err", err)
		return nil
	}
	req := &pluginv1.HandleEventRequest{Seq: d.Seq, Redelivered: d.Redelivered, Event: &pluginv1.Event{
		Id: env.ID, Type: env.Type, Data: env.Data, Subject: env.Subject, Actor: env.Actor,
		CorrelationId: env.CorrelationID, Time: env.Time, Source: env.Source}}
	hctx, cancel := context.WithTimeout(ctx, in.timeout())
	defer cancel()
	resp, err := c.HandleEvent(hctx, req)
	if err != nil {
		return err
	}
	if !resp.Ok {
		in.log.Warn("plugin asked for redelivery", "type", env.Type, "id", env.ID, "reason", resp.Message)
		return fmt.Errorf("%s", resp.Message)
	}
	return nil
}
