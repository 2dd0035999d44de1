package test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/schema/hclconf"
	"github.com/switchboard-rt/switchboard/test/testnode"
	"github.com/switchboard-rt/switchboard/transports/sse"
)

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func TestSSEStreamAndResume(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	tok := n.Token("u1", "w1")
	s, resp, body := n.DialSSE(n.SSEURL("workspace:w1", "user:u1"), bearer(tok))
	if s == nil {
		t.Fatalf("sse: %d %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	first, err := s.Next(testnode.Timeout)
	if err != nil || first.Retry == "" {
		t.Fatalf("first block %+v %v, want retry:", first, err)
	}
	seq := n.PublishOK("pm.task.created", map[string]any{"id": "t1"}, "workspace:w1")
	ev := s.NextEvent()
	if ev.ID != strconv.FormatUint(seq, 10) || ev.Event != "pm.task.created" {
		t.Fatalf("event %+v", ev)
	}
	if p := ev.Payload(t); p.Room != "workspace:w1" || p.Seq != seq || p.CloudEvent(t)["type"] != "pm.task.created" {
		t.Fatalf("payload %+v", p)
	}
	s.Resp.Body.Close()

	// Missed events in both rooms, interleaved; one Last-Event-ID covers them.
	var missed []uint64
	for i := 0; i < 3; i++ {
		missed = append(missed, n.PublishOK("x.e", i, "workspace:w1"))
		missed = append(missed, n.PublishOK("x.e", i, "user:u1"))
		n.PublishOK("x.e", i, "workspace:w2")
	}
	h := bearer(tok)
	h["Last-Event-ID"] = ev.ID
	s2, resp, body := n.DialSSE(n.SSEURL("workspace:w1", "user:u1"), h)
	if s2 == nil {
		t.Fatalf("resume: %d %s", resp.StatusCode, body)
	}
	for _, want := range missed {
		if got := s2.NextEvent(); got.ID != strconv.FormatUint(want, 10) {
			t.Fatalf("resume got id %s, want %d", got.ID, want)
		}
	}
	live := n.PublishOK("x.e", 9, "user:u1")
	if got := s2.NextEvent(); got.ID != strconv.FormatUint(live, 10) {
		t.Fatalf("live after resume: id %s, want %d", got.ID, live)
	}

	// ?since= works like Last-Event-ID, and the token may ride in the query.
	s3, resp, body := n.DialSSE(n.SSEURL("user:u1")+"&since="+ev.ID+"&token="+tok, nil)
	if s3 == nil {
		t.Fatalf("since: %d %s", resp.StatusCode, body)
	}
	if got := s3.NextEvent(); got.ID != strconv.FormatUint(missed[1], 10) {
		t.Fatalf("since: first id %s, want %d", got.ID, missed[1])
	}
}

func TestSSERefusals(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	tok := n.Token("u1", "w1")
	for _, tc := range []struct {
		name   string
		url    string
		hdr    map[string]string
		status int
		code   string
	}{
		{"no token", n.SSEURL("user:u1"), nil, 401, "unauthorized"},
		{"bad token", n.SSEURL("user:u1"), bearer("x.y.z"), 401, "unauthorized"},
		{"forbidden", n.SSEURL("user:u1", "user:u2"), bearer(tok), 403, "forbidden"},
		{"other workspace", n.SSEURL("workspace:w2"), bearer(tok), 403, "forbidden"},
		{"project without plugin", n.SSEURL("project:p1"), bearer(tok), 403, "forbidden"},
		{"malformed", n.SSEURL("user"), bearer(tok), 400, "bad_request"},
		{"no room", n.URL + "/v1/sse", bearer(tok), 400, "bad_request"},
		{"bad since", n.SSEURL("user:u1") + "&since=abc", bearer(tok), 400, "bad_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, resp, body := n.DialSSE(tc.url, tc.hdr)
			if s != nil {
				t.Fatal("stream started")
			}
			if resp.StatusCode != tc.status || !strings.Contains(string(body), `"code":"`+tc.code+`"`) {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, body, tc.status, tc.code)
			}
		})
	}
}

func TestSSEKeepaliveAndShutdown(t *testing.T) {
	cfg := testnode.Config(t)
	sse.ConfigOf(cfg).Keepalive = hclconf.Duration(20 * time.Millisecond)
	n := testnode.Start(t, cfg)
	s, resp, body := n.DialSSE(n.SSEURL("user:u1"), bearer(n.Token("u1")))
	if s == nil {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	select {
	case c := <-s.Comments:
		if c != "keepalive" {
			t.Fatalf("comment %q", c)
		}
	case <-time.After(testnode.Timeout):
		t.Fatal("no keepalive")
	}
	go n.Stop()
	s.WaitEnded()
}

func TestSSEOrigin(t *testing.T) {
	cfg := testnode.Config(t)
	cfg.Server.AllowedOrigins = []string{}
	n := testnode.Start(t, cfg)
	h := bearer(n.Token("u1"))
	h["Origin"] = "https://elsewhere.example"
	if s, resp, _ := n.DialSSE(n.SSEURL("user:u1"), h); s != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross origin accepted with allowed_origins = []")
	}
}
