package test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/switchboard-rt/switchboard/core"
	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/test/poll"
	"github.com/switchboard-rt/switchboard/test/testnode"
	"golang.org/x/sys/unix"
)

// External NATS for TestExternalNATS: SB_TEST_NATS_URL, else a server on
// the usual port of this machine. With SB_TEST_NATS_REQUIRED=1 (CI) a
// missing server fails the test instead of skipping it.
const defaultTestNATS = "nats://127.0.0.1:4222"

// testStreamPrefix starts the history stream names this test gives its
// nodes. The nodes derive further streams from that name (the plugin
// event log NAME_EVENTS, KV buckets): every stream whose name holds it is
// the test's, and one left behind by a killed run is deleted by the next.
const testStreamPrefix = "SBTEST_"

// TestExternalNATS runs two nodes on a real, separately run nats-server
// with JetStream (`nats { url = … }`): an event published via one node
// reaches a WebSocket client on the other, a client resumes with since on
// the other node, a revocation asked of one node reaches a member on the
// other, and the history stream lives on that server. Each run has its
// own stream name and its own rooms, and deletes its streams at the end.
func TestExternalNATS(t *testing.T) {
	u := externalNATS(t)
	nc, js := connectJetStream(t, u)
	lockExternalNATS(t, u)
	clearTestStreams(t, js)

	name := testStreamPrefix + randomHex(t, 6)
	// Registered before the nodes start, so it runs after they stopped.
	t.Cleanup(func() { deleteStreams(t, js, name) })
	src := fmt.Sprintf("nats {\n  url = %q\n}\nhistory {\n  stream = %q\n}\n", u, name)
	// Plugins' subscriptions are consumers with several filter subjects,
	// which nats-server has only since 2.10.
	v := nc.ConnectedServerVersion()
	if !atLeast(v, 2, 10) {
		// The node refuses such a server at once, saying why.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := core.New(ctx, testnode.ConfigHCL(t, src), testnode.Logger())
		if err == nil {
			_ = s.Shutdown(ctx)
			t.Fatalf("a node started on nats-server %s, older than 2.10", v)
		}
		if !strings.Contains(err.Error(), "too old") || !strings.Contains(err.Error(), v) {
			t.Fatalf("start on nats-server %s: %v; want an error naming the version as too old", v, err)
		}
		skipOrFail(t, fmt.Sprintf("nats-server %s at %s is older than 2.10, which switchboard needs (the node refused it: %v)", v, u, err))
	}
	src += fmt.Sprintf("plugin \"test\" {\n  path = %q\n}\n", bins[testPkg])
	a := testnode.Start(t, testnode.ConfigHCL(t, src))
	b := testnode.Start(t, testnode.ConfigHCL(t, src))

	// Rooms of this run only: another user of the same server sees
	// nothing of it, and this run nothing of theirs.
	ws := "x" + randomHex(t, 6)
	t.Run("DeliversAcrossNodesAndResumesOnTheOther", func(t *testing.T) { externalDeliverResume(t, js, name, ws, a, b) })
	t.Run("RevocationReachesTheOtherNode", func(t *testing.T) {
		externalRevocation(t, ws, a, b)
	})
}

// An event published via either node reaches a client on node B; the
// history stream on the external server holds them; the client leaves,
// and resumes on node A with since: exactly the missed events, then live.
func externalDeliverResume(t *testing.T, js jetstream.JetStream, stream, ws string, a, b *testnode.Node) {
	rm := "workspace:" + ws
	tok := a.Token("u1", ws)
	c := b.DialWS(tok)
	c.Join(rm)
	var last uint64
	for i := range 10 {
		via := []*testnode.Node{a, b}[i%2]
		seq := via.PublishOK("x.ext", i, rm)
		if f := c.NextEvent(); f.Room != rm || f.Seq != seq {
			t.Fatalf("event %d: got %s seq %d, want %s seq %d", i, f.Room, f.Seq, rm, seq)
		}
		last = seq
	}

	ctx, cancel := context.WithTimeout(context.Background(), testnode.Timeout)
	defer cancel()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("history stream %q on the external server: %v", stream, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatalf("stream info %q: %v", stream, err)
	}
	if info.State.Msgs < 10 {
		t.Fatalf("stream %q on the external server holds %d messages, want ≥ 10", stream, info.State.Msgs)
	}

	c.Conn.Close()
	var missed []uint64
	for i := range 4 {
		missed = append(missed, []*testnode.Node{b, a}[i%2].PublishOK("x.missed", i, rm))
	}
	c2 := a.DialWS(tok)
	if ok := c2.Join(rm, last); ok.Recovered == nil || !*ok.Recovered {
		t.Fatalf("resume on node A with since %d: %+v", last, ok)
	}
	for _, want := range missed {
		if f := c2.NextEvent(); f.Seq != want {
			t.Fatalf("replayed seq %d, want %d", f.Seq, want)
		}
	}
	live := b.PublishOK("x.live", 1, rm)
	if f := c2.NextEvent(); f.Seq != live {
		t.Fatalf("live after resume: seq %d, want %d", f.Seq, live)
	}
}

// A revocation asked of node A is answered once the member on node B has
// left the room: the nodes find each other through the external server.
func externalRevocation(t *testing.T, ws string, a, b *testnode.Node) {
	boxer := b.DialWS(b.Token("boxer"))
	box := "box:" + ws
	boxer.Join(box)
	if st, body := a.Do("POST", "/v1/test/revoke/boxer/"+box, nil, authz(a.Token("admin"))); st != 204 {
		t.Fatalf("revoke via node A: %d %s", st, body)
	}
	for {
		f := boxer.Read()
		if f.Op == "event" && f.Room == box && f.CloudEvent(t)["type"] == "access.revoked" {
			return
		}
	}
}

// atLeast reports whether version "X.Y.Z" is at least major.minor.
func atLeast(version string, major, minor int) bool {
	var x, y int
	if _, err := fmt.Sscanf(version, "%d.%d", &x, &y); err != nil {
		return false
	}
	return x > major || x == major && y >= minor
}

// externalNATS returns the server's URL, or skips (fails when required)
// when nothing answers there.
func externalNATS(t *testing.T) string {
	t.Helper()
	u := os.Getenv("SB_TEST_NATS_URL")
	if u == "" {
		u = defaultTestNATS
	}
	first, _, _ := strings.Cut(u, ",")
	pu, err := url.Parse(first)
	if err != nil || pu.Host == "" {
		t.Fatalf("SB_TEST_NATS_URL %q: want nats://HOST:PORT", u)
	}
	host := pu.Host
	if pu.Port() == "" {
		host = net.JoinHostPort(pu.Hostname(), "4222")
	}
	conn, err := net.DialTimeout("tcp", host, 2*time.Second)
	if err != nil {
		skipOrFail(t, fmt.Sprintf("no NATS server reachable at %s (%v): start `nats-server -js` there or set SB_TEST_NATS_URL", host, err))
	}
	conn.Close()
	return u
}

func skipOrFail(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("SB_TEST_NATS_REQUIRED") == "1" {
		t.Fatal(reason + " (SB_TEST_NATS_REQUIRED=1)")
	}
	t.Skip(reason)
}

func connectJetStream(t *testing.T, u string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(u, nats.Timeout(5*time.Second))
	if err != nil {
		skipOrFail(t, fmt.Sprintf("connect to NATS at %s: %v", u, err))
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream on %s: %v", u, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := js.AccountInfo(ctx); err != nil {
		skipOrFail(t, fmt.Sprintf("NATS at %s has no JetStream (%v): run it with -js", u, err))
	}
	return nc, js
}

// lockExternalNATS serialises the runs of this test on one machine against
// one server: the history stream's subjects (room.>) are fixed, so two
// runs' streams cannot exist at once. The lock is an flock, released by
// the kernel if the holder dies.
func lockExternalNATS(t *testing.T, u string) {
	t.Helper()
	sum := sha256.Sum256([]byte(u))
	path := filepath.Join(os.TempDir(), "switchboard-test-nats-"+hex.EncodeToString(sum[:6])+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		t.Fatalf("lock file %s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	poll.Within(t, 2*time.Minute, "another run of this test to release "+path, func() bool {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err != nil && !errors.Is(err, unix.EWOULDBLOCK) {
			t.Fatalf("flock %s: %v", path, err)
		}
		return err == nil
	})
}

// clearTestStreams deletes the streams a killed run left, and skips when
// another stream on the server already takes the history's subjects.
func clearTestStreams(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	for _, s := range listStreams(t, js) {
		if strings.Contains(s.Config.Name, testStreamPrefix) {
			continue
		}
		for _, subj := range s.Config.Subjects {
			if subj == room.HistoryWildcard || strings.HasPrefix(subj, room.HistoryPrefix) || subj == ">" {
				t.Skipf("stream %q on the external NATS already stores %q: the test's history stream (room.>) cannot be created beside it", s.Config.Name, subj)
			}
		}
	}
	deleteStreams(t, js, testStreamPrefix)
}

// deleteStreams deletes every stream whose name contains part.
func deleteStreams(t *testing.T, js jetstream.JetStream, part string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testnode.Timeout)
	defer cancel()
	for _, s := range listStreams(t, js) {
		n := s.Config.Name
		if !strings.Contains(n, part) {
			continue
		}
		if err := js.DeleteStream(ctx, n); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			t.Errorf("delete stream %q: %v", n, err)
		}
	}
}

func listStreams(t *testing.T, js jetstream.JetStream) []*jetstream.StreamInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testnode.Timeout)
	defer cancel()
	l := js.ListStreams(ctx)
	var out []*jetstream.StreamInfo
	for s := range l.Info() {
		out = append(out, s)
	}
	if err := l.Err(); err != nil {
		t.Fatalf("list streams: %v", err)
	}
	return out
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
