package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/schema/hclconf"
	"github.com/switchboard-rt/switchboard/test/poll"
	"github.com/switchboard-rt/switchboard/test/testnode"
	"github.com/switchboard-rt/switchboard/transports/sse"
)

// syncBuf is a buffer the test reads while listen writes it.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// bgListen is a listen command running in the background.
type bgListen struct {
	stdout, stderr syncBuf
	done           chan int
	cancel         context.CancelFunc
}

// startListen runs `switchboard listen ARGS` in a goroutine.
func startListen(t *testing.T, args ...string) *bgListen {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &bgListen{done: make(chan int, 1), cancel: cancel}
	go func() { l.done <- listen(ctx, args, &l.stdout, &l.stderr) }()
	t.Cleanup(func() {
		cancel()
		<-l.done
	})
	return l
}

// wait returns listen's exit code.
func (l *bgListen) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-l.done:
		l.done <- code
		return code
	case <-time.After(3 * testnode.Timeout):
		t.Fatalf("listen did not exit; stdout %q, stderr %q", l.stdout.String(), l.stderr.String())
		return 0
	}
}

// waitFor polls cond until it holds, failing at once if listen exits.
func (l *bgListen) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, what, func() bool {
		select {
		case code := <-l.done:
			l.done <- code
			t.Fatalf("listen exited %d while waiting for %s; stdout %q, stderr %q", code, what, l.stdout.String(), l.stderr.String())
		default:
		}
		return cond()
	})
}

type line struct {
	Room  string  `json:"room"`
	Seq   *uint64 `json:"seq"`
	Event struct {
		ID, Type string
		Data     json.RawMessage
	} `json:"event"`
}

// events parses listen's output and returns the non-presence lines.
func events(t *testing.T, out string) []line {
	t.Helper()
	var evs []line
	for _, s := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if s == "" {
			continue
		}
		var l line
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("listen printed %q: %v", s, err)
		}
		if l.Seq == nil {
			if !strings.HasPrefix(l.Event.Type, "presence.") {
				t.Fatalf("line without seq that is not presence: %q", s)
			}
			continue
		}
		evs = append(evs, l)
	}
	return evs
}

func (l line) String() string { return fmt.Sprintf("%s#%d:%s", l.Room, *l.Seq, l.Event.ID) }

// want checks the events printed against the published answers, in order.
func want(t *testing.T, got []line, room string, as ...publishAnswer) {
	t.Helper()
	if len(got) != len(as) {
		t.Fatalf("got %d events %v, want %d", len(got), got, len(as))
	}
	for i, a := range as {
		if got[i].Room != room || *got[i].Seq != a.Seqs[room] || got[i].Event.ID != a.ID {
			t.Fatalf("event %d is %v, want %s#%d:%s (all: %v)", i, got[i], room, a.Seqs[room], a.ID, got)
		}
	}
}

func TestListenWSLive(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	l := startListen(t, "--url", n.URL, "--token", n.Token("u1", "w1"), "--count", "2", "workspace:w1", "user:u1")
	l.waitFor(t, "joins", func() bool {
		e := l.stderr.String()
		return strings.Contains(e, "joined workspace:w1") && strings.Contains(e, "joined user:u1")
	})
	a := publishCmd(t, n, "workspace:w1,user:u1", "demo.note", `{"text":"hi"}`)
	if code := l.wait(t); code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, l.stderr.String())
	}
	got := events(t, l.stdout.String())
	if len(got) != 2 {
		t.Fatalf("got %v", got)
	}
	for _, e := range got {
		if *e.Seq != a.Seqs[e.Room] || e.Event.ID != a.ID || e.Event.Type != "demo.note" || string(e.Event.Data) != `{"text":"hi"}` {
			t.Fatalf("event %+v, published %+v", e, a)
		}
	}
}

func TestListenSSE(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	// --since 0 replays what is published before the stream starts, so no
	// wait is needed.
	l := startListen(t, "--sse", "--url", n.URL, "--token", n.Token("u1", "w1"), "--since", "0", "--count", "2", "workspace:w1")
	a1 := publishCmd(t, n, "workspace:w1", "demo.note", `{"n":1}`)
	a2 := publishCmd(t, n, "workspace:w1", "demo.note", `{"n":2}`)
	if code := l.wait(t); code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, l.stderr.String())
	}
	want(t, events(t, l.stdout.String()), "workspace:w1", a1, a2)
}

func TestListenSince(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	before := publishCmd(t, n, "workspace:w1", "demo.note", `{"n":0}`)
	var as []publishAnswer
	for i := 1; i <= 3; i++ {
		as = append(as, publishCmd(t, n, "workspace:w1", "demo.note", fmt.Sprintf(`{"n":%d}`, i)))
	}
	since := fmt.Sprint(before.Seqs["workspace:w1"])
	for _, mode := range []string{"ws", "sse"} {
		t.Run(mode, func(t *testing.T) {
			args := []string{"--url", n.URL, "--token", n.Token("u1", "w1"), "--since", since, "--count", "3", "workspace:w1"}
			if mode == "sse" {
				args = append(args, "--sse")
			}
			l := startListen(t, args...)
			if code := l.wait(t); code != exitOK {
				t.Fatalf("exit %d, stderr %q", code, l.stderr.String())
			}
			want(t, events(t, l.stdout.String()), "workspace:w1", as...)
		})
	}
}

// TestListenReconnect restarts the node (same data dir, same port) under a
// listening client, which must resume with no gap and no duplicate.
func TestListenReconnect(t *testing.T) {
	for _, mode := range []string{"ws", "sse"} {
		t.Run(mode, func(t *testing.T) {
			cfg := testnode.Config(t)
			sse.ConfigOf(cfg).Retry = hclconf.Duration(50 * time.Millisecond)
			n := testnode.Start(t, cfg)
			// --since 0: the first event is delivered however late the
			// stream starts (SSE has no join acknowledgement).
			args := []string{"--url", n.URL, "--token", n.Token("u1", "w1"), "--since", "0", "--count", "2", "workspace:w1"}
			if mode == "sse" {
				args = append(args, "--sse")
			}
			l := startListen(t, args...)
			a1 := publishCmd(t, n, "workspace:w1", "demo.note", `{"n":1}`)
			l.waitFor(t, "the first event", func() bool { return strings.Contains(l.stdout.String(), a1.ID) })

			n.Stop()
			cfg.Server.Listen = n.URL[len("http://"):]
			n2 := testnode.Start(t, cfg)
			a2 := publishCmd(t, n2, "workspace:w1", "demo.note", `{"n":2}`)
			if code := l.wait(t); code != exitOK {
				t.Fatalf("exit %d, stderr %q", code, l.stderr.String())
			}
			want(t, events(t, l.stdout.String()), "workspace:w1", a1, a2)
			if !strings.Contains(l.stderr.String(), "reconnecting in") {
				t.Errorf("no reconnect reported on stderr: %q", l.stderr.String())
			}
		})
	}
}

// TestListenReconnectLiveJoin resumes a WebSocket client that joined
// without --since: after the first event, it knows where to rejoin.
func TestListenReconnectLiveJoin(t *testing.T) {
	cfg := testnode.Config(t)
	n := testnode.Start(t, cfg)
	l := startListen(t, "--url", n.URL, "--token", n.Token("u1", "w1"), "--count", "3", "workspace:w1")
	l.waitFor(t, "the join", func() bool { return strings.Contains(l.stderr.String(), "joined workspace:w1") })
	a1 := publishCmd(t, n, "workspace:w1", "demo.note", `{"n":1}`)
	l.waitFor(t, "the first event", func() bool { return strings.Contains(l.stdout.String(), a1.ID) })
	n.Stop()
	cfg.Server.Listen = n.URL[len("http://"):]
	n2 := testnode.Start(t, cfg)
	// Published before the client is back: it must come from history.
	a2 := publishCmd(t, n2, "workspace:w1", "demo.note", `{"n":2}`)
	a3 := publishCmd(t, n2, "workspace:w1", "demo.note", `{"n":3}`)
	if code := l.wait(t); code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, l.stderr.String())
	}
	want(t, events(t, l.stdout.String()), "workspace:w1", a1, a2, a3)
	t.Logf("listen stderr:\n%s", l.stderr.String())
	if !strings.Contains(l.stderr.String(), "reconnecting in") {
		t.Errorf("no reconnect reported on stderr: %q", l.stderr.String())
	}
}

func TestListenInterrupt(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	l := startListen(t, "--url", n.URL, "--token", n.Token("u1"), "user:u1")
	l.waitFor(t, "the join", func() bool { return strings.Contains(l.stderr.String(), "joined user:u1") })
	l.cancel()
	if code := l.wait(t); code != exitOK {
		t.Fatalf("exit %d after interrupt, stderr %q", code, l.stderr.String())
	}
}

func TestListenErrors(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	tok := n.Token("u1", "w1")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad token ws", []string{"--url", n.URL, "--token", "nope", "user:u1"}, exitFail, "switchboard listen: HTTP 401: unauthorized: "},
		{"bad token sse", []string{"--sse", "--url", n.URL, "--token", "nope", "user:u1"}, exitFail, "switchboard listen: HTTP 401: unauthorized: "},
		{"forbidden ws", []string{"--url", n.URL, "--token", tok, "user:u1", "user:someone-else"}, exitFail, "switchboard listen: join user:someone-else: forbidden: "},
		{"forbidden sse", []string{"--sse", "--url", n.URL, "--token", tok, "user:someone-else"}, exitFail, "switchboard listen: HTTP 403: forbidden: "},
		{"malformed room ws", []string{"--url", n.URL, "--token", tok, "nokind"}, exitFail, "switchboard listen: join nokind: bad_request: "},
		{"server down", []string{"--url", down, "--token", tok, "user:u1"}, exitFail, "switchboard listen: "},
		{"no rooms", []string{"--url", n.URL, "--token", tok}, exitUsage, "at least one ROOM is required"},
		{"no token", []string{"--url", n.URL, "user:u1"}, exitUsage, "--token (or $SWITCHBOARD_TOKEN) is required"},
		{"bad url", []string{"--url", "ftp://x", "--token", tok, "user:u1"}, exitUsage, "--url"},
		{"negative count", []string{"--count", "-1", "--token", tok, "user:u1"}, exitUsage, "--count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("SWITCHBOARD_TOKEN", "")
			code, out, errOut := runCmd(append([]string{"listen"}, tc.args...)...)
			if code != tc.code || onlyPresence(out) != "" || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d and %q", code, out, errOut, tc.code, tc.want)
			}
		})
	}
	t.Run("token from env", func(t *testing.T) {
		t.Setenv("SWITCHBOARD_TOKEN", "nope")
		if code, _, errOut := runCmd("listen", "--url", n.URL, "user:u1"); code != exitFail || !strings.Contains(errOut, "HTTP 401") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	})
	code, out, _ := runCmd("listen", "--help")
	if code != exitOK || !strings.Contains(out, "Usage: switchboard listen") {
		t.Fatalf("--help: exit %d, stdout %q", code, out)
	}
}

func TestEndpoints(t *testing.T) {
	for _, tc := range []struct{ in, ws, sse string }{
		{"http://h:1", "ws://h:1/v1/ws", "http://h:1/v1/sse"},
		{"https://h/base/", "wss://h/base/v1/ws", "https://h/base/v1/sse"},
		{"ws://h:1", "ws://h:1/v1/ws", "http://h:1/v1/sse"},
		{"wss://h/custom/ws", "wss://h/custom/ws", "https://h/v1/sse"},
		{"wss://h/p/v1/ws", "wss://h/p/v1/ws", "https://h/p/v1/sse"},
	} {
		w, s, err := endpoints(tc.in)
		if err != nil || w != tc.ws || s != tc.sse {
			t.Errorf("endpoints(%q) = %q, %q, %v; want %q, %q", tc.in, w, s, err, tc.ws, tc.sse)
		}
	}
}

// onlyPresence drops presence lines (the joined room's own presence.join
// may be printed before a later join fails).
func onlyPresence(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if l != "" && !strings.Contains(l, `"type":"presence.`) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
