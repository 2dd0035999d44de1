package test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/clients/go/sbclient"
	"github.com/switchboard-rt/switchboard/schema/hclconf"
	"github.com/switchboard-rt/switchboard/test/poll"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

// edgeNode is a node with body_timeout and idle_timeout of 400ms.
func edgeNode(t *testing.T) *testnode.Node {
	t.Helper()
	cfg := testnode.Config(t)
	cfg.Server.BodyTimeout = hclconf.Duration(400 * time.Millisecond)
	cfg.Server.IdleTimeout = hclconf.Duration(400 * time.Millisecond)
	return testnode.Start(t, cfg)
}

// rawRequest writes head on a new TCP connection to n and returns it.
// rawHealthz asks GET /healthz on a new keep-alive connection and reads
// the whole answer, leaving the connection open for what the test does next.
func rawHealthz(t *testing.T, n *testnode.Node) (net.Conn, *bufio.Reader, *http.Response) {
	t.Helper()
	c := rawRequest(t, n, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return c, br, resp
}

func rawRequest(t *testing.T, n *testnode.Node, head string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(n.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	return c
}

// untilClosed reads c until the server closes it and returns what it read
// and how long that took; it fails after limit.
func untilClosed(t *testing.T, c net.Conn, limit time.Duration) (string, time.Duration) {
	t.Helper()
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(limit))
	b, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v (read %q)", limit, b)
	}
	return string(b), time.Since(start)
}

func TestEdgeSlowBodyIsCutOff(t *testing.T) {
	n := edgeNode(t)
	// An authorized publish whose body trickles: the body deadline ends it.
	c := rawRequest(t, n, "POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Api-Key: "+
		n.Cfg.Auth.APIKeys[0]+"\r\nContent-Length: 200000\r\n\r\n[")
	out, took := untilClosed(t, c, 5*time.Second)
	if took > 3*time.Second {
		t.Fatalf("slow body held for %v with body_timeout 400ms", took)
	}
	if !strings.HasPrefix(out, "HTTP/1.1 400") || !strings.Contains(out, "timeout") {
		t.Fatalf("slow authorized body answered %q, want 400 naming the timeout", out)
	}

	// Unauthenticated: refused at once, before the body, and closed.
	c = rawRequest(t, n, "POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n[")
	start := time.Now()
	out, _ = untilClosed(t, c, 5*time.Second)
	if !strings.HasPrefix(out, "HTTP/1.1 401") || !strings.Contains(out, "unauthorized") {
		t.Fatalf("unauthenticated slow publish answered %q, want 401 unauthorized", out)
	}
	if took := time.Since(start); took > 300*time.Millisecond {
		t.Fatalf("unauthenticated slow publish held %v before closing; want a refusal before the body is read", took)
	}
}

func TestEdgeIdleKeepAliveIsClosed(t *testing.T) {
	n := edgeNode(t)
	c, br, resp := rawHealthz(t, n)
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers %v: want X-Content-Type-Options nosniff and Cache-Control no-store", resp.Header)
	}
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(5 * time.Second))
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("idle keep-alive connection: read %v, want EOF from the server", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("idle keep-alive closed after %v with idle_timeout 400ms", took)
	}
}

func TestEdgeStreamsOutliveTimeouts(t *testing.T) {
	n := edgeNode(t)
	tok := n.Token("u1", "w1")
	ws := n.DialWS(tok)
	ws.Join("workspace:w1")
	sse, resp, body := n.DialSSE(n.SSEURL("workspace:w1"), map[string]string{"Authorization": "Bearer " + tok})
	if sse == nil {
		t.Fatalf("sse: %v %s", resp.Status, body)
	}
	// Well past body_timeout and idle_timeout (400ms each); the streams
	// carry nothing meanwhile.
	time.Sleep(1500 * time.Millisecond)
	n.PublishOK("edge.tick", map[string]any{"n": 1}, "workspace:w1")
	if f := ws.NextEvent(); f.CloudEvent(t)["type"] != "edge.tick" {
		t.Fatalf("ws after the timeouts: %v", f)
	}
	if e := sse.NextEvent(); e.Payload(t).CloudEvent(t)["type"] != "edge.tick" {
		t.Fatalf("sse after the timeouts: %v", e)
	}
}

func TestEdgeConnectionCapPerIP(t *testing.T) {
	cfg := testnode.Config(t)
	cfg.Server.MaxConnsPerIP = 2
	n := testnode.Start(t, cfg)
	tok := n.Token("u1", "w1")
	a := n.DialWS(tok)
	sse, resp, body := n.DialSSE(n.SSEURL("workspace:w1"), map[string]string{"Authorization": "Bearer " + tok})
	if sse == nil {
		t.Fatalf("second connection (sse) refused: %v %s", resp.Status, body)
	}
	_, _, err := n.TryDialWS(tok, nil)
	var he *sbclient.HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusTooManyRequests || he.Err == nil || he.Err.Code != "rate_limited" {
		t.Fatalf("third connection (ws): %v, want 429 rate_limited", err)
	}
	for _, path := range []string{"/v1/ws?token=" + tok, "/v1/sse?room=workspace:w1&token=" + tok} {
		r, err := http.Get(n.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(string(b), "rate_limited") {
			t.Fatalf("GET %s over the cap: %d Retry-After %q %s; want 429 with Retry-After", path, r.StatusCode, r.Header.Get("Retry-After"), b)
		}
	}
	a.Conn.Close()
	poll.Until(t, "a WebSocket slot freed by a closed connection", func() bool {
		c, _, err := n.TryDialWS(tok, nil)
		if err == nil {
			c.Conn.Close()
		}
		return err == nil
	})
}

// Behind a trusted proxy the per-IP cap counts each client named by
// X-Forwarded-For; the header of a peer that is not trusted counts for
// nothing.
func TestEdgeConnectionCapPerIPBehindATrustedProxy(t *testing.T) {
	cfg := testnode.Config(t)
	cfg.Server.MaxConnsPerIP = 1
	cfg.Server.TrustedProxies = []string{"127.0.0.1"}
	n := testnode.Start(t, cfg)
	tok := n.Token("u1", "w1")
	xff := func(ip string) http.Header { return http.Header{"X-Forwarded-For": {ip}} }
	for _, client := range []string{"203.0.113.7", "203.0.113.8"} {
		if _, _, err := n.TryDialWS(tok, xff(client)); err != nil {
			t.Fatalf("first connection of client %s behind the proxy: %v", client, err)
		}
	}
	_, _, err := n.TryDialWS(tok, xff("203.0.113.7"))
	var he *sbclient.HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusTooManyRequests || !strings.Contains(he.Err.Message, "203.0.113.7") {
		t.Fatalf("second connection of 203.0.113.7: %v, want 429 naming the client", err)
	}

	untrusted := testnode.Config(t)
	untrusted.Server.MaxConnsPerIP = 1
	u := testnode.Start(t, untrusted)
	if _, _, err := u.TryDialWS(tok, xff("203.0.113.7")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := u.TryDialWS(tok, xff("203.0.113.8")); !errors.As(err, &he) || he.Status != http.StatusTooManyRequests {
		t.Fatalf("a forged X-Forwarded-For from an untrusted peer escaped the cap: %v", err)
	}
}

func TestEdgePublishRateLimit(t *testing.T) {
	cfg := testnode.Config(t)
	cfg.Server.PublishRate = 0.01
	cfg.Server.PublishBurst = 1
	n := testnode.Start(t, cfg)
	n.PublishOK("edge.one", map[string]any{}, "workspace:w1")
	r, err := http.NewRequest("POST", n.URL+"/v1/publish", strings.NewReader(`{"rooms":["workspace:w1"],"type":"edge.two","data":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("X-Api-Key", cfg.Auth.APIKeys[0])
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(b), "rate_limited") {
		t.Fatalf("second publish: %d Retry-After %q %s; want 429 rate_limited with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
}

func TestEdgeOrigins(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t)) // allowed_origins = ["*"]
	tok := n.Token("u1", "w1")
	_, _, err := n.TryDialWS(tok, http.Header{"Origin": {"null"}})
	var he *sbclient.HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusForbidden {
		t.Fatalf("Origin: null under [\"*\"]: %v, want 403", err)
	}

	cfg := testnode.Config(t)
	cfg.Server.AllowedOrigins = nil // same origin only
	n = testnode.Start(t, cfg)
	tok = n.Token("u1", "w1")
	host := strings.TrimPrefix(n.URL, "http://")
	if _, _, err := n.TryDialWS(tok, http.Header{"Origin": {"https://" + host}}); !errors.As(err, &he) || he.Status != http.StatusForbidden {
		t.Fatalf("same host, other scheme: %v, want 403", err)
	}
	c, _, err := n.TryDialWS(tok, http.Header{"Origin": {"http://" + host}})
	if err != nil {
		t.Fatalf("same origin refused: %v", err)
	}
	c.Conn.Close()
	sse, resp, _ := n.DialSSE(n.SSEURL("workspace:w1"), map[string]string{"Authorization": "Bearer " + tok, "Origin": "https://" + host})
	if sse != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("sse, same host, other scheme: %v, want 403", resp.Status)
	}
}

func TestEdgeMetricsApart(t *testing.T) {
	cfg := testnode.Config(t)
	cfg.Server.MetricsListen = "127.0.0.1:0"
	cfg.Server.MetricsKey = "metrics-key-for-test"
	n := testnode.Start(t, cfg)
	if st, _ := n.Do("GET", "/metrics", nil, nil); st != http.StatusNotFound {
		t.Fatalf("/metrics on the client port: %d, want 404", st)
	}
	url := fmt.Sprintf("http://%s/metrics", n.Server.MetricsAddr())
	get := func(auth string) (int, string) {
		r, _ := http.NewRequest("GET", url, nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, _ := get(""); st != http.StatusUnauthorized {
		t.Fatalf("metrics without the key: %d, want 401", st)
	}
	if st, b := get("Bearer metrics-key-for-test"); st != http.StatusOK || !strings.Contains(b, "# TYPE") {
		t.Fatalf("metrics with the key: %d %.80q", st, b)
	}
}

// A stream on a keep-alive connection that first served an API request
// must not inherit that request's deadlines.
func TestEdgeSSEAfterAPIRequestOnOneConnection(t *testing.T) {
	n := edgeNode(t)
	tok := n.Token("u1", "w1")
	c, br, _ := rawHealthz(t, n)
	if _, err := io.WriteString(c, "GET /v1/sse?room=workspace:w1&token="+tok+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("sse on the reused connection: %v %v", resp, err)
	}
	// Past the write deadline the API request set (2 × body_timeout).
	time.Sleep(1200 * time.Millisecond)
	n.PublishOK("edge.late", map[string]any{}, "workspace:w1")
	_ = c.SetReadDeadline(time.Now().Add(testnode.Timeout))
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended before the event: %v", err)
		}
		if strings.Contains(line, "edge.late") {
			return
		}
	}
}

func TestEdgeConnectRateAndUserCap(t *testing.T) {
	cfg := testnode.Config(t)
	cfg.Server.ConnectRate = 0.01
	cfg.Server.ConnectBurst = 2
	cfg.Server.MaxConnsPerUser = 1
	n := testnode.Start(t, cfg)
	n.DialWS(n.Token("u1", "w1"))
	var he *sbclient.HTTPError
	if _, _, err := n.TryDialWS(n.Token("u1", "w1"), nil); !errors.As(err, &he) || he.Status != http.StatusTooManyRequests ||
		!strings.Contains(he.Err.Message, "user") {
		t.Fatalf("second connection of u1 with max_conns_per_user 1: %v, want 429 naming the user cap", err)
	}
	r, err := http.Get(n.URL + "/v1/ws?token=" + n.Token("u2", "w1"))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("third attempt with connect_burst 2: %d Retry-After %q, want 429 with Retry-After", r.StatusCode, r.Header.Get("Retry-After"))
	}
}
