package test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/clients/go/sbclient"
	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/schema/wire"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

// shortToken mints a token for sub that expires in about ttl (exp has whole
// seconds) and returns it with its exp.
func shortToken(t *testing.T, n *testnode.Node, sub string, ttl time.Duration, workspaces ...string) (string, time.Time) {
	t.Helper()
	secret := []byte(n.Cfg.Auth.JWTSecret)
	tok, err := auth.Mint(secret, sub, workspaces, ttl, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Options{HS256Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	return tok, p.Expires
}

// A WebSocket whose token expires unrefreshed gets token_expired and close
// 4001; an SSE stream gets an error event and ends; neither receives an
// event published after exp. A WebSocket that refreshed keeps receiving.
// (docs/PROTOCOL.md §3.6, §4.3; issue 7 finding 2.)
func TestTokenExpiryEndsConnections(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	tok, exp := shortToken(t, n, "u1", 2*time.Second, "w1")
	if time.Until(exp) < 500*time.Millisecond {
		// exp has whole seconds: start over so the joins happen before it.
		tok, exp = shortToken(t, n, "u1", 2*time.Second, "w1")
	}

	expiring := n.DialWS(tok)
	expiring.Join("workspace:w1")
	refreshed := n.DialWS(tok)
	refreshed.Join("workspace:w1")
	refreshed.Send(map[string]any{"op": "refresh", "token": n.Token("u1", "w1"), "ref": "r1"})
	if f := refreshed.Reply(); f.Op != "ok" || string(f.Ref) != `"r1"` {
		t.Fatalf("refresh: %+v, want ok r1", f)
	}
	s, resp, body := n.DialSSE(n.SSEURL("workspace:w1"), bearer(tok))
	if s == nil {
		t.Fatalf("sse: %d %s", resp.StatusCode, body)
	}
	if _, err := s.Next(testnode.Timeout); err != nil {
		t.Fatalf("sse first block: %v", err)
	}

	// Publish steadily across exp: every event the expiring clients get
	// must have been published before exp.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			req, _ := http.NewRequest("POST", n.URL+"/v1/publish", bytes.NewReader([]byte(
				`{"rooms":["workspace:w1"],"type":"test.tick","data":{}}`)))
			req.Header.Set("X-Api-Key", n.Cfg.Auth.APIKeys[0])
			req.Header.Set("Content-Type", "application/json")
			if res, err := http.DefaultClient.Do(req); err == nil {
				res.Body.Close()
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	checkBefore := func(who string, cloud map[string]any) {
		t.Helper()
		ts, err := time.Parse(time.RFC3339Nano, cloud["time"].(string))
		if err != nil {
			t.Fatalf("%s: event time %v: %v", who, cloud["time"], err)
		}
		if ts.After(exp) {
			t.Errorf("%s: event published at %s, after the token's exp %s", who, ts.Format(time.RFC3339Nano), exp.Format(time.RFC3339Nano))
		}
	}

	// WebSocket: events, then the token_expired error frame, then close 4001.
	for {
		f := expiring.Read()
		if f.Op == "event" {
			checkBefore("ws", f.CloudEvent(t))
			continue
		}
		if f.Op != "error" || f.Code != wire.TokenExpired {
			t.Fatalf("ws: got %+v, want events then a token_expired error", f)
		}
		if time.Now().Before(exp) {
			t.Fatalf("ws: token_expired before exp %s", exp)
		}
		break
	}
	if code, reason := expiring.WaitClosed(); code != wire.ReasonTokenExpired.Code || reason != "token_expired" {
		t.Fatalf("ws closed with %d %q, want %d token_expired", code, reason, wire.ReasonTokenExpired.Code)
	}

	// SSE: events, then event: error with code token_expired, then the end.
	for {
		ev, err := s.Next(testnode.Timeout)
		if err != nil {
			t.Fatalf("sse: %v before the token_expired error event", err)
		}
		if ev.Event == "error" {
			if !strings.Contains(ev.Data, `"code":"token_expired"`) {
				t.Fatalf("sse error event %q, want token_expired", ev.Data)
			}
			break
		}
		if ev.ID != "" && ev.Data != "" {
			checkBefore("sse", ev.Payload(t).CloudEvent(t))
		}
	}
	s.WaitEnded()

	// The refreshed connection still receives events published after the
	// first token's exp.
	for {
		f := refreshed.Read()
		if f.Op == "error" {
			t.Fatalf("refreshed ws: %+v", f)
		}
		if f.Op != "event" || f.Seq == 0 {
			continue
		}
		ts, _ := time.Parse(time.RFC3339Nano, f.CloudEvent(t)["time"].(string))
		if ts.After(exp.Add(100 * time.Millisecond)) {
			break
		}
	}
}

// Refresh over WebSocket: a token of another user is refused and the
// connection stays; a token without a workspace makes the connection leave
// workspace:W with access.revoked; after expiry, joins are refused.
func TestRefreshRules(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	c := n.DialWS(n.Token("u1", "w1", "w2"))
	c.Join("workspace:w1")
	c.Join("workspace:w2")

	c.Send(map[string]any{"op": "refresh", "token": n.Token("u2", "w1", "w2"), "ref": "other"})
	if f := c.Reply(); f.Op != "error" || f.Code != wire.Forbidden || string(f.Ref) != `"other"` {
		t.Fatalf("refresh with u2's token: %+v, want forbidden", f)
	}
	c.Send(map[string]any{"op": "refresh", "token": "not-a-jwt", "ref": "bad"})
	if f := c.Reply(); f.Op != "error" || f.Code != wire.Unauthorized {
		t.Fatalf("refresh with a bad token: %+v, want unauthorized", f)
	}
	c.Send(map[string]any{"op": "refresh", "ref": "none"})
	if f := c.Reply(); f.Op != "error" || f.Code != wire.BadRequest {
		t.Fatalf("refresh without a token: %+v, want bad_request", f)
	}

	c.Send(map[string]any{"op": "refresh", "token": n.Token("u1", "w1"), "ref": "drop-w2"})
	var revoked, ok bool
	for !ok {
		f := c.Read()
		switch {
		case f.Op == "event" && f.Room == "workspace:w2" && f.CloudEvent(t)["type"] == "access.revoked":
			revoked = true
		case f.Op == "ok" && string(f.Ref) == `"drop-w2"`:
			ok = true
		case f.Op == "error":
			t.Fatalf("refresh: %+v", f)
		}
	}
	if !revoked {
		t.Fatal("ok for the refresh came before access.revoked for workspace:w2")
	}
	n.PublishOK("test.after", map[string]any{}, "workspace:w2")
	seq := n.PublishOK("test.after", map[string]any{}, "workspace:w1")
	if f := c.NextEvent(); f.Room != "workspace:w1" || f.Seq != seq {
		t.Fatalf("after the refresh got %+v, want only the workspace:w1 event %d", f, seq)
	}
	c.Send(map[string]any{"op": "join", "room": "workspace:w2", "ref": "again"})
	if f := c.Reply(); f.Op != "error" || f.Code != wire.Forbidden {
		t.Fatalf("join w2 with the refreshed token: %+v, want forbidden", f)
	}
}

// The Go client refreshes: a WebSocket client whose first token expires
// keeps its connection and receives past the first exp; a token of
// another user is refused and changes nothing.
func TestGoClientRefresh(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	tok, exp := shortToken(t, n, "u1", 2*time.Second, "w1")
	events := make(chan sbclient.Event, 64)
	disconnects := make(chan error, 4)
	c, err := sbclient.Dial(context.Background(), sbclient.Options{URL: n.URL, Token: tok,
		OnEvent:      func(e sbclient.Event) { events <- e },
		OnDisconnect: func(err error, _ time.Duration) { disconnects <- err },
	}, sbclient.Room{Name: "workspace:w1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), testnode.Timeout)
	defer cancel()
	var we *wire.Error
	if err := c.Refresh(ctx, n.Token("u2", "w1")); !errors.As(err, &we) || we.Code != wire.Forbidden {
		t.Fatalf("Refresh with u2's token = %v, want forbidden", err)
	}
	if err := c.Refresh(ctx, n.Token("u1", "w1")); err != nil {
		t.Fatalf("Refresh = %v", err)
	}
	time.Sleep(time.Until(exp) + 200*time.Millisecond) // the first token's expiry passes
	seq := n.PublishOK("test.after", map[string]any{}, "workspace:w1")
	for {
		select {
		case e := <-events:
			if e.Seq == seq {
				return
			}
		case err := <-disconnects:
			t.Fatalf("disconnected after a refresh: %v", err)
		case <-time.After(testnode.Timeout):
			t.Fatal("no event after the first token's exp")
		}
	}
}

// On SSE, Refresh keeps the token for the next stream: the stream ends at
// the first exp with token_expired and the client reconnects with the new
// token and resumes; without a refresh it stops with a 401.
func TestGoClientRefreshSSE(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	tok, exp := shortToken(t, n, "u1", 2*time.Second, "w1")
	events := make(chan sbclient.Event, 64)
	dial := func() *sbclient.Client {
		c, err := sbclient.Dial(context.Background(), sbclient.Options{URL: n.URL, Token: tok, SSE: true,
			OnEvent: func(e sbclient.Event) { events <- e }}, sbclient.Room{Name: "workspace:w1"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	refreshed, stale := dial(), dial()
	if err := refreshed.Refresh(context.Background(), n.Token("u1", "w1")); err != nil {
		t.Fatalf("Refresh = %v", err)
	}
	select {
	case <-stale.Done():
		var he *sbclient.HTTPError
		if !errors.As(stale.Err(), &he) || he.Status != http.StatusUnauthorized {
			t.Fatalf("unrefreshed SSE client stopped with %v, want a 401", stale.Err())
		}
	case <-time.After(time.Until(exp) + testnode.Timeout):
		t.Fatal("unrefreshed SSE client did not stop after its token expired")
	}
	seq := n.PublishOK("test.after", map[string]any{}, "workspace:w1")
	for {
		select {
		case e := <-events:
			if e.Seq == seq {
				return
			}
		case <-refreshed.Done():
			t.Fatalf("refreshed SSE client stopped: %v", refreshed.Err())
		case <-time.After(testnode.Timeout):
			t.Fatal("refreshed SSE client got no event after the first exp")
		}
	}
}
