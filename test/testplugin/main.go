// Command testplugin is a plugin for the core's tests: it emits valid and
// schema-invalid events, reports its PID (for kill -9 tests), owns the
// "box" room kind (only user "boxer" may join), and asks the host about
// other rooms.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

type config struct {
	Mode string `hcl:"mode,optional"`
}

var blobSchema = []byte(`{"type":"object","required":["pad"],"properties":{"pad":{"type":"string"}}}`)

var pingSchema = []byte(`{"type":"object","required":["n"],"properties":{"n":{"type":"integer"}},"additionalProperties":false}`)

type plug struct {
	cfg  config
	host sdk.Host
	rt   *sdk.Router

	mu       sync.Mutex
	seen     []string // ids of subscribed events (not presence), in delivery order
	presence []string // "TYPE USER ROOM" of presence events, in delivery order
}

func main() {
	sdk.Serve(func(cfg config, h sdk.Host) (sdk.Plugin, error) {
		p := &plug{cfg: cfg, host: h, rt: sdk.NewRouter()}
		p.rt.Handle("POST", "/test/ping/{room}", p.ping)
		p.rt.Handle("POST", "/test/outbox/{room}", p.outbox)
		p.rt.Handle("POST", "/test/invalid/{room}", p.invalid)
		p.rt.Handle("POST", "/test/undeclared/{room}", p.undeclared)
		p.rt.Handle("POST", "/test/blob/{room}", p.blob)
		p.rt.Handle("GET", "/test/pid", p.pid)
		p.rt.Handle("GET", "/test/may/{room}", p.may)
		p.rt.Handle("POST", "/test/revoke/{user}/{room}", p.revoke)
		p.rt.Handle("GET", "/test/seen", p.seenIDs)
		p.rt.Handle("GET", "/test/presence", p.presenceSeen)
		p.rt.Handle("GET", "/test/sleep", p.sleep)
		p.rt.Handle("POST", "/test/fail", p.fail)
		p.rt.Handle("POST", "/test/crash", p.crash)
		return p, nil
	})
}

func (p *plug) Info() sdk.Info {
	return sdk.Info{Name: "test", APIVersion: sdk.APIVersion1, Routes: p.rt.Routes(), RoomKinds: []string{"box"},
		Subscriptions: []string{"demo.hello.said", "presence.join", "presence.leave"},
		Events: []sdk.EventType{{Type: "test.ping", Schema: pingSchema, Description: "a ping", Rooms: []string{"any"}},
			{Type: "test.blob", Schema: blobSchema, Description: "padding of any size", Rooms: []string{"any"}}}}
}

func (p *plug) Handle(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	return p.rt.Serve(ctx, r)
}

func (p *plug) Authorize(_ context.Context, pr sdk.Principal, room sdk.Room) error {
	if pr.User != "boxer" {
		return sdk.Forbidden("only boxer may join %s", room)
	}
	return nil
}

type pingBody struct {
	N int `json:"n"`
}

func (p *plug) ping(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	var b pingBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	ev := sdk.NewEvent("test.ping", b).To(r.Param("room")).For(r)
	if err := p.host.Emit(ctx, ev); err != nil {
		return nil, err
	}
	return sdk.JSON(202, map[string]string{"id": ev.ID}), nil
}

// outbox emits through the database outbox in a transaction.
func (p *plug) outbox(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	var b pingBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	ev := sdk.NewEvent("test.ping", b).To(r.Param("room")).For(r)
	err := p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
		emit(ev)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sdk.JSON(202, map[string]string{"id": ev.ID}), nil
}

func (p *plug) invalid(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	err := p.host.Emit(ctx, sdk.NewEvent("test.ping", map[string]string{"n": "not a number"}).To(r.Param("room")))
	return nil, err
}

// blob emits an event whose data is ?bytes= bytes of padding.
func (p *plug) blob(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	n, err := strconv.Atoi(r.Query.Get("bytes"))
	if err != nil || n < 0 {
		return nil, sdk.BadRequest("bytes: %v", err)
	}
	err = p.host.Emit(ctx, sdk.NewEvent("test.blob", map[string]string{"pad": strings.Repeat("x", n)}).To(r.Param("room")))
	return nil, err
}

func (p *plug) undeclared(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	err := p.host.Emit(ctx, sdk.NewEvent("test.other", map[string]int{"n": 1}).To(r.Param("room")))
	return nil, err
}

func (p *plug) pid(context.Context, *sdk.Request) (*sdk.Response, error) {
	return sdk.JSON(200, map[string]int{"pid": os.Getpid()}), nil
}

func (p *plug) may(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	if err := p.host.Authorize(ctx, *r.Principal, r.Param("room")); err != nil {
		return nil, err
	}
	return sdk.JSON(200, map[string]bool{"allowed": true}), nil
}

func (p *plug) revoke(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	err := p.host.Revoke(ctx, sdk.Revocation{User: r.Param("user"), Rooms: []string{r.Param("room")}, Reason: "test"})
	if err != nil {
		return nil, err
	}
	return sdk.NoContent(), nil
}

// HandleEvent records subscribed events (once per id).
func (p *plug) HandleEvent(_ context.Context, d *sdk.Delivery) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if strings.HasPrefix(d.Type, "presence.") {
		var data struct{ UserID, Room string }
		if err := json.Unmarshal(d.Data, &data); err != nil {
			return err
		}
		p.presence = append(p.presence, d.Type+" "+data.UserID+" "+data.Room)
		return nil
	}
	for _, id := range p.seen {
		if id == d.ID {
			return nil
		}
	}
	p.seen = append(p.seen, d.ID)
	return nil
}

func (p *plug) presenceSeen(context.Context, *sdk.Request) (*sdk.Response, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return sdk.JSON(200, map[string][]string{"events": p.presence}), nil
}

func (p *plug) seenIDs(context.Context, *sdk.Request) (*sdk.Response, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return sdk.JSON(200, map[string][]string{"ids": p.seen}), nil
}

// sleep answers after ?ms= milliseconds, or when the call is abandoned.
func (p *plug) sleep(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	ms, _ := strconv.Atoi(r.Query.Get("ms"))
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
		return sdk.NoContent(), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fail logs a warning with ?note= and answers 500.
func (p *plug) fail(_ context.Context, r *sdk.Request) (*sdk.Response, error) {
	p.host.Logger().Warn("about to fail", "note", r.Query.Get("note"))
	return nil, errors.New("test failure")
}

// crash panics on another goroutine: the plugin process dies (the core
// restarts it) after answering 202.
func (p *plug) crash(context.Context, *sdk.Request) (*sdk.Response, error) {
	go func() {
		time.Sleep(10 * time.Millisecond) // let the answer go out first
		panic("testplugin: injected crash")
	}()
	return sdk.NoContent(), nil
}
