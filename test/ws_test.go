package test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/switchboard-rt/switchboard/clients/go/sbclient"
	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/schema/hclconf"
	"github.com/switchboard-rt/switchboard/test/testnode"
	wstransport "github.com/switchboard-rt/switchboard/transports/ws"
)

func TestWSPublishReceive(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	c := n.DialWS(n.Token("u1", "w1"))
	if c.Welcome.User != "u1" || c.Welcome.Conn == "" {
		t.Fatalf("welcome %+v", c.Welcome)
	}
	c.Join("workspace:w1")
	st, body := n.Do("POST", "/v1/publish", map[string]any{"rooms": []string{"workspace:w1"}, "type": "pm.task.created",
		"data": map[string]any{"id": "t1"}, "subject": "task/t1", "actor": "u7"}, map[string]string{"X-Api-Key": n.Cfg.Auth.APIKeys[0], "X-Correlation-Id": "c-42"})
	if st != http.StatusOK {
		t.Fatalf("publish %d %s", st, body)
	}
	f := c.NextEvent()
	if f.Room != "workspace:w1" || f.Seq == 0 {
		t.Fatalf("event %+v", f)
	}
	ev := f.CloudEvent(t)
	for k, want := range map[string]any{"type": "pm.task.created", "specversion": "1.0", "correlationid": "c-42",
		"source": "switchboard/api", "datacontenttype": "application/json", "subject": "task/t1", "actor": "u7"} {
		if ev[k] != want {
			t.Errorf("event %s = %v, want %v", k, ev[k], want)
		}
	}
	if d, _ := ev["data"].(map[string]any); d["id"] != "t1" {
		t.Errorf("data %v", ev["data"])
	}
	if _, err := time.Parse(time.RFC3339, fmt.Sprint(ev["time"])); err != nil || ev["id"] == "" {
		t.Errorf("time %v id %v", ev["time"], ev["id"])
	}
}

func TestWSRoomIsolation(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	a := n.DialWS(n.Token("u1", "w1", "w2"))
	b := n.DialWS(n.Token("u2", "w1", "w2"))
	a.Join("workspace:w1")
	b.Join("workspace:w2")
	n.PublishOK("x.one", 1, "workspace:w1")
	n.PublishOK("x.two", 2, "workspace:w2")
	if f := a.NextEvent(); f.Room != "workspace:w1" {
		t.Fatalf("a got %+v", f)
	}
	if f := b.NextEvent(); f.Room != "workspace:w2" {
		t.Fatalf("b got %+v", f)
	}
	// A ping round trip proves no other stored event was queued before the
	// pong (presence events, live only, come when the cluster-wide state
	// has changed, and may come first).
	for _, c := range []*testnode.WS{a, b} {
		c.Send(`{"op":"ping","ref":"p"}`)
		f := c.Read()
		for f.Op == "event" && f.Seq == 0 && strings.HasPrefix(f.CloudEvent(t)["type"].(string), "presence.") {
			f = c.Read()
		}
		if f.Op != "pong" || string(f.Ref) != `"p"` {
			t.Fatalf("after isolation, got %+v", f)
		}
	}
}

func TestWSManyClientsOneRoomEachOnce(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	const clients, events = 20, 10
	cs := make([]*testnode.WS, clients)
	for i := range cs {
		cs[i] = n.DialWS(n.Token(fmt.Sprintf("u%d", i), "w1"))
		cs[i].Join("workspace:w1")
	}
	var seqs []uint64
	for i := 0; i < events; i++ {
		seqs = append(seqs, n.PublishOK("x.e", i, "workspace:w1"))
	}
	for i, c := range cs {
		for j := 0; j < events; j++ {
			if f := c.NextEvent(); f.Seq != seqs[j] {
				t.Fatalf("client %d event %d: seq %d, want %d", i, j, f.Seq, seqs[j])
			}
		}
		c.Send(`{"op":"ping","ref":1}`)
		for {
			f := c.Read()
			if f.Op == "pong" {
				break
			}
			if f.Op == "event" && f.Seq != 0 {
				t.Fatalf("client %d got a duplicate or extra event %+v", i, f)
			}
		}
	}
}

func TestWSAuthRejections(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	secret := []byte(n.Cfg.Auth.JWTSecret)
	expired, err := auth.Mint(secret, "u1", nil, time.Minute, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// Expired a few seconds ago: refused too, with the default leeway.
	justExpired, err := auth.Mint(secret, "u1", nil, time.Minute, time.Now().Add(-time.Minute-5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	wrongKey, _ := auth.Mint([]byte(strings.Repeat("k", 40)), "u1", nil, time.Hour, time.Now())
	good := n.Token("u1")
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin","exp":9999999999}`)) + "." + parts[2]
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"u1","exp":9999999999}`)) + "."
	for name, tok := range map[string]string{"missing": "", "expired": expired, "just expired": justExpired, "wrong key": wrongKey,
		"tampered": tampered, "alg none": none, "malformed": "not-a-jwt"} {
		t.Run(name, func(t *testing.T) {
			_, _, err := n.TryDialWS(tok, nil)
			var he *sbclient.HTTPError
			if !errors.As(err, &he) || he.Status != http.StatusUnauthorized {
				t.Fatalf("dial: %v, want 401", err)
			}
		})
	}
	// The node still serves after the rejections.
	n.DialWS(good)
}

func TestWSJoinRefusals(t *testing.T) {
	cfg := testnode.Config(t)
	wstransport.ConfigOf(cfg).MaxRooms = 2
	n := testnode.Start(t, cfg)
	c := n.DialWS(n.Token("u1", "w1"))
	for _, tc := range []struct{ frame, code string }{
		{`{"op":"join","room":"user:u2","ref":"a"}`, "forbidden"},
		{`{"op":"join","room":"workspace:w9","ref":"b"}`, "forbidden"},
		{`{"op":"join","room":"project:p1","ref":"c"}`, "forbidden"},
		{`{"op":"join","room":"task:t1","ref":"d"}`, "forbidden"},
		{`{"op":"join","room":"nope","ref":"e"}`, "bad_request"},
		{`{"op":"join","room":"user:bad id","ref":"f"}`, "bad_request"},
		{`{"op":"join","ref":"g"}`, "bad_request"},
		{`{"op":"leave","room":"user:u1","ref":"h"}`, "not_found"},
		{`{"op":"dance","ref":"i"}`, "bad_request"},
		{`not json`, "bad_request"},
		{`{"op":"join","room":"user:u1","since":"x","ref":"j"}`, "bad_request"},
	} {
		c.Send(tc.frame)
		f := c.Reply()
		if f.Op != "error" || string(f.Code) != tc.code || f.Message == "" {
			t.Errorf("%s: got %+v, want error %s", tc.frame, f, tc.code)
		}
	}
	c.Join("user:u1")
	c.Join("workspace:w1")
	c.Send(`{"op":"join","room":"user:u1","ref":"dup"}`)
	if f := c.Reply(); f.Code == "" {
		t.Errorf("second join of a room: %+v", f)
	}
	n.DialWS(n.Token("u3")) // a new connection is unaffected
	c.Send(`{"op":"leave","room":"workspace:w1","ref":"l"}`)
	if f := c.ReadOp("ok"); string(f.Ref) != `"l"` {
		t.Fatalf("leave: %+v", f)
	}
}

func TestWSTooManyRooms(t *testing.T) {
	cfg := testnode.Config(t)
	wstransport.ConfigOf(cfg).MaxRooms = 1
	n := testnode.Start(t, cfg)
	c := n.DialWS(n.Token("u1", "w1"))
	c.Join("user:u1")
	c.Send(`{"op":"join","room":"workspace:w1","ref":1}`)
	if f := c.Reply(); f.Code != "too_many_rooms" || string(f.Ref) != "1" {
		t.Fatalf("got %+v", f)
	}
}

func TestWSOversizeFrameCloses1009(t *testing.T) {
	cfg := testnode.Config(t)
	wstransport.ConfigOf(cfg).MaxFrameBytes = 1024
	n := testnode.Start(t, cfg)
	c := n.DialWS(n.Token("u1"))
	c.Send(`{"op":"ping","ref":"` + strings.Repeat("x", 2000) + `"}`)
	code, reason := c.WaitClosed()
	if code != 1009 {
		t.Fatalf("close %d %q, want 1009", code, reason)
	}
	n.DialWS(n.Token("u1")).Join("user:u1") // server stays up
}

func TestWSAbusiveClientIsClosed(t *testing.T) {
	cfg := testnode.Config(t)
	wstransport.ConfigOf(cfg).MaxErrors = 3
	n := testnode.Start(t, cfg)
	c := n.DialWS(n.Token("u1"))
	for i := 0; i < 3; i++ {
		c.Send(`garbage`)
	}
	code, reason := c.WaitClosed()
	if code != 1008 || reason != "too_many_errors" {
		t.Fatalf("close %d %q", code, reason)
	}
}

func TestWSRateLimit(t *testing.T) {
	cfg := testnode.Config(t)
	wstransport.ConfigOf(cfg).RateLimit = 1
	wstransport.ConfigOf(cfg).RateBurst = 2
	wstransport.ConfigOf(cfg).MaxErrors = 100
	n := testnode.Start(t, cfg)
	c := n.DialWS(n.Token("u1"))
	limited := false
	for i := 0; i < 5; i++ {
		c.Send(fmt.Sprintf(`{"op":"ping","ref":"p%d"}`, i))
	}
	for i := 0; i < 5; i++ {
		f := c.Read()
		if want := fmt.Sprintf(`"p%d"`, i); string(f.Ref) != want {
			t.Errorf("reply %d (%s %s): ref %q, want %q", i, f.Op, f.Code, f.Ref, want)
		}
		if f.Code == "rate_limited" {
			limited = true
		}
	}
	if !limited {
		t.Fatal("5 frames at once with burst 2 were not rate limited")
	}
}

// Any ref is echoed, however long (the frame limit bounds it).
func TestWSLongRefIsEchoed(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	c := n.DialWS(n.Token("u1"))
	ref := strings.Repeat("r", 1000)
	c.Send(fmt.Sprintf(`{"op":"ping","ref":%q}`, ref))
	if f := c.Reply(); f.Op != "pong" || string(f.Ref) != `"`+ref+`"` {
		t.Fatalf("got %s with a ref of %d bytes, want pong echoing %d", f.Op, len(f.Ref), len(ref))
	}
	c.Send(fmt.Sprintf(`{"op":"join","room":"user:u2","ref":%q}`, ref))
	if f := c.Reply(); f.Code != "forbidden" || string(f.Ref) != `"`+ref+`"` {
		t.Fatalf("got %s %s with a ref of %d bytes", f.Op, f.Code, len(f.Ref))
	}
}

func TestWSOriginCheck(t *testing.T) {
	cfg := testnode.Config(t)
	cfg.Server.AllowedOrigins = []string{"https://app.example.com"}
	n := testnode.Start(t, cfg)
	_, _, err := n.TryDialWS(n.Token("u1"), http.Header{"Origin": {"https://evil.example.com"}})
	var he *sbclient.HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusForbidden {
		t.Fatalf("evil origin: %v", err)
	}
	if _, _, err := n.TryDialWS(n.Token("u1"), http.Header{"Origin": {"https://app.example.com"}}); err != nil {
		t.Fatalf("allowed origin: %v", err)
	}
}

// Requests to the WebSocket endpoint that are not a valid upgrade get a
// JSON error, like every other refusal; the token is checked first.
func TestWSHandshakeErrorsAreJSON(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	auth := "Bearer " + n.Token("u1")
	upgrade := func(version string) map[string]string {
		return map[string]string{"Authorization": auth, "Connection": "Upgrade", "Upgrade": "websocket",
			"Sec-WebSocket-Version": version, "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
	}
	for _, tc := range []struct {
		name   string
		hdr    map[string]string
		status int
		msg    string
	}{
		{"no token, no upgrade", nil, 401, "token"},
		{"plain GET", map[string]string{"Authorization": auth}, 400, "not a WebSocket upgrade"},
		{"old version", upgrade("8"), 426, "want 13"},
	} {
		st, b := n.Do("GET", "/v1/ws", nil, tc.hdr)
		if st != tc.status || !strings.Contains(string(b), `{"error":{"code":`) || !strings.Contains(string(b), tc.msg) {
			t.Errorf("%s: %d %s, want %d with %q", tc.name, st, b, tc.status, tc.msg)
		}
	}
}

func TestWSPresence(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	a := n.DialWS(n.Token("u1", "w1"))
	a.Join("workspace:w1")
	if f := a.ReadOp("event"); f.CloudEvent(t)["type"] != "presence.join" || f.Seq != 0 {
		t.Fatalf("own presence %+v", f)
	}
	b := n.DialWS(n.Token("u2", "w1"))
	b.Join("workspace:w1")
	f := a.ReadOp("event")
	ev := f.CloudEvent(t)
	if ev["type"] != "presence.join" || ev["data"].(map[string]any)["userId"] != "u2" || ev["actor"] != "u2" ||
		ev["subject"] != "workspace:w1" || ev["correlationid"] == nil || ev["specversion"] != "1.0" {
		t.Fatalf("presence %v", ev)
	}
	// A second connection of u2 announces nothing; its last one leaving does.
	b2 := n.DialWS(n.Token("u2", "w1"))
	b2.Join("workspace:w1")
	b.Conn.Close()
	b2.Send(`{"op":"leave","room":"workspace:w1","ref":"x"}`)
	b2.ReadOp("ok")
	f = a.ReadOp("event")
	ev = f.CloudEvent(t)
	if ev["type"] != "presence.leave" || ev["data"].(map[string]any)["userId"] != "u2" {
		t.Fatalf("got %v, want presence.leave of u2 (and no join for u2's second connection)", ev)
	}
}

func TestWSShutdownCloses1001(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	c := n.DialWS(n.Token("u1"))
	c.Join("user:u1")
	go n.Stop()
	code, reason := c.WaitClosed()
	if code != 1001 {
		t.Fatalf("close %d %q, want 1001", code, reason)
	}
}

func TestWSIdleTimeout(t *testing.T) {
	cfg := testnode.Config(t)
	wstransport.ConfigOf(cfg).PingInterval = hclconf.Duration(50 * time.Millisecond)
	wstransport.ConfigOf(cfg).IdleTimeout = hclconf.Duration(200 * time.Millisecond)
	n := testnode.Start(t, cfg)
	c := n.DialWS(n.Token("u1"))
	// A client that answers pings stays.
	start := time.Now()
	for time.Since(start) < 400*time.Millisecond {
		if _, err := c.Next(50 * time.Millisecond); err != nil && c.Closed != nil {
			t.Fatalf("a client answering pings was closed: %+v", c.Closed)
		}
	}
	// A silent one is closed: read raw frames without answering pings.
	silent := n.DialWS(n.Token("u2"))
	_ = silent.Conn.SetReadDeadline(time.Now().Add(testnode.Timeout))
	for {
		h, err := ws.ReadHeader(silent.Conn)
		if err != nil {
			t.Fatalf("silent client: %v before a close frame", err)
		}
		p := make([]byte, h.Length)
		if _, err := silent.Conn.Read(p); err != nil && h.Length > 0 {
			t.Fatal(err)
		}
		if h.OpCode == ws.OpClose {
			if code, reason := ws.ParseCloseFrameData(p); code != 1001 || reason != "idle_timeout" {
				t.Fatalf("close %d %q", code, reason)
			}
			return
		}
	}
}

// A burst of bad frames still ends with a clean close frame (not a reset
// that would lose it and the error frames before it).
func TestWSBadFrameBurstClosesCleanly(t *testing.T) {
	cfg := testnode.Config(t)
	wstransport.ConfigOf(cfg).MaxErrors = 20
	n := testnode.Start(t, cfg)
	for round := 0; round < 3; round++ {
		c := n.DialWS(n.Token("u1"))
		for i := 0; i < 40; i++ {
			c.Send(`x`)
		}
		errs := 0
		for {
			f, err := c.Next(testnode.Timeout)
			if err != nil {
				break
			}
			if f.Op == "error" {
				errs++
			}
		}
		if c.Closed == nil || c.Closed.Code != 1008 || c.Closed.Reason != "too_many_errors" || errs != 20 {
			t.Fatalf("round %d: %d error frames, close %+v", round, errs, c.Closed)
		}
	}
}

func TestCatalogEndpoint(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	st, b := n.Do("GET", "/v1/catalog", nil, nil)
	if st != 200 || !strings.HasPrefix(string(b), "asyncapi: 3.0.0") {
		t.Fatalf("%d %s", st, b)
	}
}
