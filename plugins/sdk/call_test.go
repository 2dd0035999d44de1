package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"

	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
)

// handlerPlugin serves every route with one handler.
type handlerPlugin struct {
	rt *Router
}

func (p *handlerPlugin) Info() Info { return Info{Router: p.rt} }

func newHandlerPlugin(h HandlerFunc) *handlerPlugin {
	rt := NewRouter()
	rt.Handle("GET", "/x", h)
	return &handlerPlugin{rt: rt}
}

// What a handler returns reaches the core the same way through Call (what
// sdktest uses) and through the gRPC server's HandleHTTP.
func TestCallAndGRPCAgree(t *testing.T) {
	for name, c := range map[string]struct {
		h        HandlerFunc
		status   int
		body     string
		internal bool
	}{
		"nil, nil": {h: func(context.Context, *Request) (*Response, error) { return nil, nil }, status: 204},
		"JSON": {h: func(context.Context, *Request) (*Response, error) { return JSON(201, map[string]int{"a": 1}), nil },
			status: 201, body: `{"a":1}`},
		"no status": {h: func(context.Context, *Request) (*Response, error) { return &Response{Body: []byte("x")}, nil },
			status: 200, body: "x"},
		"*Error": {h: func(context.Context, *Request) (*Response, error) { return nil, Forbidden("no %s", "way") },
			status: 403, body: `{"error":{"code":"forbidden","message":"no way"}}`},
		"wrapped *Error": {h: func(context.Context, *Request) (*Response, error) {
			return nil, fmt.Errorf("find: %w", NotFound("task t1 not found"))
		}, status: 404, body: `{"error":{"code":"not_found","message":"task t1 not found"}}`},
		"response and *Error": {h: func(context.Context, *Request) (*Response, error) { return JSON(200, 1), Conflict("c") },
			status: 409, body: `{"error":{"code":"conflict","message":"c"}}`},
		"other error": {h: func(context.Context, *Request) (*Response, error) { return nil, errors.New("db down") },
			status: 500, body: `{"error":{"code":"internal","message":"internal error"}}`, internal: true},
		"panic": {h: func(context.Context, *Request) (*Response, error) { panic("bug") },
			status: 500, body: `{"error":{"code":"internal","message":"internal error"}}`, internal: true},
	} {
		t.Run(name, func(t *testing.T) {
			p := newHandlerPlugin(c.h)
			r := &Request{Method: "GET", Pattern: "/x", Header: http.Header{}}
			resp, err := Call(context.Background(), p, r)
			if (err != nil) != c.internal {
				t.Errorf("Call error %v, internal %v", err, c.internal)
			}
			if resp.Status != c.status || string(resp.Body) != c.body {
				t.Errorf("Call: %d %s, want %d %s", resp.Status, resp.Body, c.status, c.body)
			}
			s := &server[struct{}]{p: p, h: &host{log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
			out, err := s.HandleHTTP(context.Background(), &pluginv1.HTTPRequest{Method: "GET", Pattern: "/x", Path: "/v1/x"})
			if err != nil {
				t.Fatalf("HandleHTTP: %v", err)
			}
			if int(out.Status) != c.status || string(out.Body) != c.body {
				t.Errorf("HandleHTTP: %d %s, want %d %s", out.Status, out.Body, c.status, c.body)
			}
			for k, v := range resp.Header {
				if got := out.Headers[k].GetValues(); fmt.Sprint(got) != fmt.Sprint(v) {
					t.Errorf("header %s: gRPC %v, Call %v", k, got, v)
				}
			}
		})
	}
}

// A route the plugin does not have is 404; so is any request to a plugin
// without a Router or Handle.
func TestCallNoRoute(t *testing.T) {
	for _, p := range []Plugin{newHandlerPlugin(nil), &infoOnly{}} {
		resp, err := Call(context.Background(), p, &Request{Method: "POST", Pattern: "/y"})
		if err != nil || resp.Status != 404 {
			t.Errorf("%T: %d %v", p, resp.Status, err)
		}
	}
}

type infoOnly struct{}

func (infoOnly) Info() Info { return Info{} }

// The core receives the name of the config block and APIVersion1 unless
// the plugin says otherwise, and the Router's routes.
func TestDescribe(t *testing.T) {
	in := Describe(newHandlerPlugin(nil), "mine")
	if in.Name != "mine" || in.APIVersion != APIVersion1 || len(in.Routes) != 1 || in.Routes[0] != (Route{"GET", "/x"}) {
		t.Errorf("Describe = %+v", in)
	}
}
