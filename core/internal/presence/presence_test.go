package presence

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/core/internal/bus"
	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/schema/hclconf"
	"github.com/switchboard-rt/switchboard/test/poll"
)

const timeout = 10 * time.Second

// node is one bus and its tracker.
type node struct {
	b *bus.Bus
	t *Tracker
}

// cluster opens n nodes on one NATS (the first one's embedded server,
// the others connected to it as with nats { url }), announced, each with a
// tracker; heartbeats are fast so that a dead node stops counting soon.
func cluster(t *testing.T, n int, debounce time.Duration) []*node {
	t.Helper()
	return clusterListening(t, n, debounce, nil)
}

// clusterListening is cluster with Options.Listening.
func clusterListening(t *testing.T, n int, debounce time.Duration, listening func() bool) []*node {
	t.Helper()
	var out []*node
	for i := range n {
		cfg := config.DefaultConfig()
		// A peer timeout short enough for TestADeadNodesUsersLeave, long
		// enough that a loaded CI machine delaying heartbeats does not
		// make a live node count as dead (its users would leave
		// mid-test: TestRacingNodesAnnounceOnce once saw that at load 9).
		cfg.NATS.Heartbeat, cfg.NATS.PeerTimeout = hclconf.Duration(100*time.Millisecond), hclconf.Duration(2*time.Second)
		cfg.NATS.ServerName = string(rune('a' + i))
		if i == 0 {
			cfg.NATS.Listen = "127.0.0.1:-1"
		} else {
			cfg.NATS.URL = out[0].b.ClientURL()
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		b, err := bus.Open(ctx, bus.Options{NATS: cfg.NATS, History: cfg.History, DataDir: t.TempDir()})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		if err := b.Announce(); err != nil {
			t.Fatal(err)
		}
		tr, err := Start(ctx, Options{Bus: b, Debounce: debounce, Sweep: 20 * time.Millisecond, Listening: listening})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		nd := &node{b, tr}
		t.Cleanup(func() { nd.t.Close(); nd.b.Close() })
		out = append(out, nd)
	}
	poll.Until(t, "every node to count the others", func() bool {
		for _, nd := range out {
			if len(nd.b.Nodes()) != n {
				return false
			}
		}
		return true
	})
	return out
}

// announced collects the presence events the room's members are sent.
type announced struct {
	mu   sync.Mutex
	got  []string          // "presence.join u1"
	data []json.RawMessage // each event's data
}

func listen(t *testing.T, b *bus.Bus, r room.Room) *announced {
	t.Helper()
	a := &announced{}
	sub, err := b.SubscribeLive(r, func(m *nats.Msg) {
		l := bus.ParseLive(m)
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		_ = json.Unmarshal(l.Data, &env)
		var d struct{ UserID string }
		_ = json.Unmarshal(env.Data, &d)
		a.mu.Lock()
		a.data = append(a.data, env.Data)
		a.got = append(a.got, l.Type+" "+d.UserID)
		a.mu.Unlock()
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return a
}

// ids are the users' ids.
func ids(us []User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.UserID
	}
	return out
}

func (a *announced) list() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.got)
}

// told collects what the plugins subscribed to presence are told.
func told(t *testing.T, b *bus.Bus) *announced {
	t.Helper()
	a := &announced{}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	err := b.Subscribe(ctx, "presence-test", []string{TypeJoin, TypeLeave}, func(_ context.Context, d bus.Delivery) error {
		var env struct {
			Data struct{ UserID, Room string } `json:"data"`
		}
		_ = json.Unmarshal(d.Data, &env)
		a.mu.Lock()
		a.got = append(a.got, d.Type+" "+env.Data.UserID+" "+env.Data.Room)
		a.mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// holders is how many nodes hold user's connections in r, as tr's mirror
// has it.
func holders(tr *Tracker, r room.Room, user string) int {
	tr.mu.RLock()
	defer tr.mu.RUnlock()
	return len(tr.mirror[key(r, user)].st.Nodes)
}

func mustRoom(t *testing.T, s string) room.Room {
	r, err := room.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A user connected on two nodes is announced once, and leaves once, when
// the last node lets go; every node lists them meanwhile.
func TestOneUserOnTwoNodesIsAnnouncedOnce(t *testing.T) {
	ns := cluster(t, 2, 0)
	r := mustRoom(t, "task:t1")
	a := listen(t, ns[0].b, r)
	ns[0].t.Arrive(r, "u1", auth.Display{})
	poll.Until(t, "u1's join", func() bool { return len(a.list()) == 1 })
	ns[1].t.Arrive(r, "u1", auth.Display{})
	for _, nd := range ns {
		poll.Until(t, "every node to list u1, held by both", func() bool {
			return slices.Equal(ids(nd.t.Users(r)), []string{"u1"}) && holders(nd.t, r, "u1") == 2
		})
	}
	ns[0].t.Depart(r, "u1")
	ns[1].t.Arrive(r, "u2", auth.Display{})
	poll.Until(t, "u2's join", func() bool { return len(a.list()) == 2 })
	ns[1].t.Depart(r, "u1")
	poll.Until(t, "u1's leave", func() bool { return len(a.list()) == 3 })
	if got, want := a.list(), []string{"presence.join u1", "presence.join u2", "presence.leave u1"}; !slices.Equal(got, want) {
		t.Fatalf("announced %q, want %q", got, want)
	}
	for _, nd := range ns {
		poll.Until(t, "every node to list u2 alone", func() bool { return slices.Equal(ids(nd.t.Users(r)), []string{"u2"}) })
	}
}

// Two nodes racing to be first (and last) announce one join and one leave.
func TestRacingNodesAnnounceOnce(t *testing.T) {
	ns := cluster(t, 3, 0)
	r := mustRoom(t, "project:p1")
	a := listen(t, ns[0].b, r)
	for round := range 20 {
		// Arrive and Depart return once queued; each node makes its
		// changes on its own workers, so the nodes race on the key while
		// one node's arrival always precedes its departure.
		for _, nd := range ns {
			nd.t.Arrive(r, "u1", auth.Display{})
		}
		poll.Until(t, "every node to hold u1", func() bool { return holders(ns[0].t, r, "u1") == len(ns) })
		for _, nd := range ns {
			nd.t.Depart(r, "u1")
		}
		poll.Until(t, "the leave", func() bool { return len(a.list()) >= 2*round+2 })
		// The leave travels apart from the key's watch: wait for the
		// mirror to show the set empty, or the next round's "every node
		// holds u1" could be this round's stale state.
		poll.Until(t, "the mirror to see the set empty", func() bool { return holders(ns[0].t, r, "u1") == 0 })
	}
	// Drain: nothing more comes once every change is made.
	for _, nd := range ns {
		poll.Until(t, "the room to be empty everywhere", func() bool { return len(nd.t.Users(r)) == 0 })
	}
	got := a.list()
	for i, g := range got {
		want := "presence.join u1"
		if i%2 == 1 {
			want = "presence.leave u1"
		}
		if g != want {
			t.Fatalf("announcement %d = %q, want %q (all: %q)", i, g, want, got)
		}
	}
}

// The users of a node that dies leave within the peer timeout, on the
// other nodes' lists and in announcements.
func TestADeadNodesUsersLeave(t *testing.T) {
	ns := cluster(t, 2, 0)
	r := mustRoom(t, "workspace:w1")
	a := listen(t, ns[0].b, r)
	ns[1].t.Arrive(r, "u9", auth.Display{})
	poll.Until(t, "u9's join", func() bool { return slices.Equal(a.list(), []string{"presence.join u9"}) })
	ns[1].b.Conn().Close() // killed: no goodbye, no departures
	poll.Until(t, "u9 to leave once node b is dead", func() bool {
		return slices.Equal(a.list(), []string{"presence.join u9", "presence.leave u9"}) && len(ns[0].t.Users(r)) == 0
	})
}

// Plugins are told of joins and leaves through the event log, in order;
// a leave followed by a rejoin within the debounce window tells them
// nothing.
func TestPluginsAreToldDebounced(t *testing.T) {
	const debounce = 400 * time.Millisecond
	ns := cluster(t, 2, debounce)
	r := mustRoom(t, "task:t7")
	p := told(t, ns[1].b)
	ns[0].t.Arrive(r, "u1", auth.Display{})
	poll.Until(t, "the plugins to be told of u1", func() bool { return slices.Equal(p.list(), []string{"presence.join u1 task:t7"}) })
	// A reconnect storm: u1 leaves and comes back on the other node.
	a := listen(t, ns[0].b, r)
	ns[0].t.Depart(r, "u1")
	poll.Until(t, "the room to see u1 leave", func() bool { return len(a.list()) == 1 })
	ns[1].t.Arrive(r, "u1", auth.Display{})
	poll.Until(t, "the room to see u1 back", func() bool { return len(a.list()) == 2 })
	// Then u1 leaves for good: after the window the plugins are told.
	ns[1].t.Depart(r, "u1")
	poll.Until(t, "the plugins to be told u1 left", func() bool { return len(p.list()) == 2 })
	if got, want := p.list(), []string{"presence.join u1 task:t7", "presence.leave u1 task:t7"}; !slices.Equal(got, want) {
		t.Fatalf("plugins were told %q, want %q (the reconnect within the window is not reported)", got, want)
	}
}

// A visit that ends before the leader looks is still told to the plugins:
// a join, then (after the window) a leave.
func TestPluginsAreToldOfAShortVisit(t *testing.T) {
	ns := cluster(t, 2, 100*time.Millisecond)
	r := mustRoom(t, "task:t8")
	p := told(t, ns[0].b)
	ns[1].t.Arrive(r, "u3", auth.Display{})
	ns[1].t.Depart(r, "u3")
	want := []string{"presence.join u3 task:t8", "presence.leave u3 task:t8"}
	poll.Until(t, "the plugins to be told of the visit", func() bool { return len(p.list()) == 2 })
	if got := p.list(); !slices.Equal(got, want) {
		t.Fatalf("plugins were told %q, want %q", got, want)
	}
}

// A user's display claims travel with them: in the join, in every node's
// listing and in the leave, even when another node makes the leave; a
// user without claims shows just their id.
func TestDisplayClaimsTravel(t *testing.T) {
	ns := cluster(t, 2, 0)
	r := mustRoom(t, "workspace:w2")
	a := listen(t, ns[0].b, r)
	ann := auth.Display{Name: "Ann", Email: "ann@example.com", Avatar: "https://a/ann.png"}
	ns[0].t.Arrive(r, "u1", ann)
	poll.Until(t, "u1's join", func() bool { return len(a.list()) == 1 })
	ns[1].t.Arrive(r, "u2", auth.Display{})
	want := []User{{UserID: "u1", Display: ann}, {UserID: "u2"}}
	for _, nd := range ns {
		poll.Until(t, "every node to list u1 with claims and u2 without", func() bool { return slices.Equal(nd.t.Users(r), want) })
	}
	ns[1].t.Arrive(r, "u1", auth.Display{}) // no claims: the stored ones stay
	poll.Until(t, "node b to hold u1", func() bool { return holders(ns[0].t, r, "u1") == 2 })
	ns[0].t.Depart(r, "u1")
	ns[1].t.Depart(r, "u1")
	poll.Until(t, "u1's leave", func() bool { return len(a.list()) == 3 })
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, w := range []string{
		`{"userId":"u1","name":"Ann","email":"ann@example.com","avatar":"https://a/ann.png","room":"workspace:w2"}`,
		`{"userId":"u2","room":"workspace:w2"}`,
		`{"userId":"u1","name":"Ann","email":"ann@example.com","avatar":"https://a/ann.png","room":"workspace:w2"}`,
	} {
		if string(a.data[i]) != w {
			t.Errorf("%s data = %s, want %s", a.got[i], a.data[i], w)
		}
	}
}

// While no plugin subscribes to presence, nothing is stored for the
// plugins (the rooms still see arrivals, and every node lists the user);
// a plugin that subscribes later is told of who is present then, and of
// nothing from before.
func TestNothingIsToldWhileNoPluginListens(t *testing.T) {
	var on atomic.Bool
	ns := clusterListening(t, 2, 0, on.Load)
	r := mustRoom(t, "task:t9")
	p := told(t, ns[1].b)
	a := listen(t, ns[1].b, r)
	ns[0].t.Arrive(r, "u1", auth.Display{})
	ns[0].t.Arrive(r, "u2", auth.Display{})
	poll.Until(t, "the room to see u1 and u2 arrive", func() bool { return len(a.list()) == 2 })
	poll.Until(t, "every node to list u1 and u2", func() bool {
		return slices.Equal(ids(ns[1].t.Users(r)), []string{"u1", "u2"})
	})
	ns[0].t.Depart(r, "u2")
	// A sweep deletes u2's key, which nobody was told of, at once.
	poll.Until(t, "a sweep to delete u2's key", func() bool {
		for _, nd := range ns {
			nd.t.mu.RLock()
			_, ok := nd.t.mirror[key(r, "u2")]
			nd.t.mu.RUnlock()
			if ok {
				return false
			}
		}
		return true
	})
	on.Store(true)
	// Anything stored before would be delivered before this (the log is
	// read in order).
	poll.Until(t, "the plugins to be told of u1", func() bool { return len(p.list()) >= 1 })
	if got, want := p.list(), []string{"presence.join u1 task:t9"}; !slices.Equal(got, want) {
		t.Fatalf("plugins were told %q, want %q", got, want)
	}
}
