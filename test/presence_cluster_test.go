package test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/test/poll"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

// presenceSeen reads the presence events of a room on c, as "TYPE USER",
// skipping anything else, until want of them have come.
func presenceSeen(t *testing.T, c *testnode.WS, room string, want int) []string {
	t.Helper()
	return presenceWithin(t, c, room, want, testnode.Timeout)
}

// presenceWithin is presenceSeen waiting up to d for each frame.
func presenceWithin(t *testing.T, c *testnode.WS, room string, want int, d time.Duration) []string {
	t.Helper()
	var got []string
	for len(got) < want {
		f, err := c.Next(d)
		if err != nil {
			t.Fatalf("waiting for %d presence events in %s (have %q): %v", want, room, got, err)
		}
		if f.Op != "event" || f.Room != room {
			continue
		}
		ev := f.CloudEvent(t)
		if typ := ev["type"].(string); strings.HasPrefix(typ, "presence.") {
			got = append(got, typ+" "+ev["data"].(map[string]any)["userId"].(string))
		}
	}
	return got
}

// listed is GET /v1/rooms/{room}/presence on n, as a sorted list of users.
func listed(t *testing.T, n *testnode.Node, tok, room string) []string {
	t.Helper()
	st, b := n.Do("GET", "/v1/rooms/"+room+"/presence", nil, authz(tok))
	if st != 200 {
		t.Fatalf("GET presence of %s: %d %s", room, st, b)
	}
	var out struct {
		Room  string
		Users []struct{ UserID string }
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Room != room {
		t.Fatalf("presence answer %s: %v", b, err)
	}
	var users []string
	for _, u := range out.Users {
		users = append(users, u.UserID)
	}
	return users
}

// told is what the test plugins of nodes were told of presence, together.
func told(t *testing.T, tok string, nodes ...*testnode.Node) []string {
	t.Helper()
	var all []string
	for _, n := range nodes {
		st, b := n.Do("GET", "/v1/test/presence", nil, authz(tok))
		if st != 200 {
			t.Fatalf("GET /v1/test/presence: %d %s", st, b)
		}
		var out struct{ Events []string }
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		all = append(all, out.Events...)
	}
	slices.Sort(all)
	return all
}

// Presence across three node processes: a user connected to two nodes is
// announced once and leaves once; every node lists the room's users; the
// users of a node killed with -9 leave within the peer timeout; the
// plugins (the test plugin on every node, one durable subscription) are
// told each change once, a quick rejoin not at all.
func TestPresenceIsClusterWide(t *testing.T) {
	const room = "workspace:w1"
	extra := fmt.Sprintf("hub {\n  presence_debounce = \"300ms\"\n}\nplugin \"test\" {\n  path = %q\n}\n", bins[testPkg])
	var procs []*testnode.Proc
	for _, src := range testnode.ClusterHCL(t, 3, extra) {
		procs = append(procs, testnode.StartProcess(t, bins[serverPkg], src))
	}
	var ns []*testnode.Node
	for _, p := range procs {
		p.WaitReady(60 * time.Second)
		ns = append(ns, p.Node())
	}
	u0 := ns[0].Token("u0", "w1")
	obs := ns[0].DialWS(u0)
	obs.Join(room)
	if got := presenceSeen(t, obs, room, 1); !slices.Equal(got, []string{"presence.join u0"}) {
		t.Fatalf("observer saw %q, want its own join", got)
	}

	// u1 on two nodes: one join.
	u1 := ns[1].Token("u1", "w1")
	a, b := ns[1].DialWS(u1), ns[2].DialWS(u1)
	a.Join(room)
	b.Join(room)
	if got := presenceSeen(t, obs, room, 1); !slices.Equal(got, []string{"presence.join u1"}) {
		t.Fatalf("observer saw %q, want one join of u1", got)
	}
	for i, n := range ns {
		poll.Until(t, fmt.Sprintf("node %d to list u0 and u1", i), func() bool {
			return slices.Equal(listed(t, n, u0, room), []string{"u0", "u1"})
		})
	}
	// Not a member of w1: the listing is refused like a join.
	if st, body := ns[1].Do("GET", "/v1/rooms/"+room+"/presence", nil, authz(ns[1].Token("u5", "w2"))); st != 403 {
		t.Fatalf("presence listing for a non-member: %d %s", st, body)
	}

	// u1 leaves one node: nothing; the other: one leave.
	a.Conn.Close()
	poll.Until(t, "node 0 to see u1 held by one node", func() bool { return slices.Equal(listed(t, ns[0], u0, room), []string{"u0", "u1"}) })
	b.Conn.Close()
	if got := presenceSeen(t, obs, room, 1); !slices.Equal(got, []string{"presence.leave u1"}) {
		t.Fatalf("observer saw %q, want one leave of u1", got)
	}
	want := []string{"presence.join u0 " + room, "presence.join u1 " + room, "presence.leave u1 " + room}
	slices.Sort(want)
	poll.Until(t, "the plugins to be told of u0 and u1 once", func() bool { return slices.Equal(told(t, u0, ns...), want) })

	// u2 on node 2, which dies: u2 leaves everywhere within the peer
	// timeout (5s by default).
	u2 := ns[2].Token("u2", "w1")
	ns[2].DialWS(u2).Join(room)
	if got := presenceSeen(t, obs, room, 1); !slices.Equal(got, []string{"presence.join u2"}) {
		t.Fatalf("observer saw %q, want the join of u2", got)
	}
	// The bound: peer_timeout, then as long again at most for the presence
	// bucket to elect a new leader if the dead node led it.
	procs[2].Kill()
	start := time.Now()
	if got := presenceWithin(t, obs, room, 1, 30*time.Second); !slices.Equal(got, []string{"presence.leave u2"}) {
		t.Fatalf("observer saw %q, want u2 to leave with its node", got)
	}
	t.Logf("the users of a killed node left after %s (nats.peer_timeout 5s)", time.Since(start).Round(100*time.Millisecond))
	for i, n := range ns[:2] {
		poll.Within(t, 30*time.Second, fmt.Sprintf("node %d to list u0 alone", i), func() bool { return slices.Equal(listed(t, n, u0, room), []string{"u0"}) })
	}
	poll.Within(t, 30*time.Second, "the plugins on the live nodes to be told u2 left", func() bool {
		return slices.Contains(told(t, u0, ns[:2]...), "presence.leave u2 "+room)
	})
}
