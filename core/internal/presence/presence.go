// Package presence makes presence cluster-wide (docs/PROTOCOL.md §8): a
// room gets presence.join when a user's first connection anywhere in the
// cluster joins it, and presence.leave when their last one anywhere leaves
// it, or when the node holding it dies. The same changes reach the plugins
// that subscribe to presence.join / presence.leave, durably and debounced.
//
// The state is a JetStream key-value bucket (bus.PresenceKV) with one key
// per (room, user): the ids of the nodes holding that user's connections in
// that room, whether the plugins were last told the user is present, and
// since when the set is empty. Every change is a compare-and-set on the
// key's revision, so of two nodes racing, one makes the transition and
// announces it: a user on two nodes is announced once and leaves once.
//
// Announcements to the room's members are live-only and immediate, made by
// the node whose change emptied or filled the set. What the plugins are
// told is reconciled by one node, the leader (the lowest node id alive;
// bus.Nodes): it stores presence.join in the event log when a set has
// nodes and the plugins were not told, and presence.leave once a set has
// been empty for the debounce window, so a reconnect within the window
// tells the plugins nothing. The leader also takes out of every set the
// nodes that are no longer alive (bus peer_timeout), which makes their
// users leave.
package presence

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash/fnv"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/event"
	"github.com/switchboard-rt/switchboard/core/room"
)

// Event types.
const (
	TypeJoin  = "presence.join"
	TypeLeave = "presence.leave"
)

// Bus is what the tracker needs of the node's bus.
type Bus interface {
	PresenceKV(ctx context.Context) (jetstream.KeyValue, error)
	PublishLive(r room.Room, typ string, data []byte) error
	LogEvent(ctx context.Context, typ, id string, data []byte) error
	NodeID() string
	Nodes() []string
	PeerTimeout() time.Duration
}

// Options configure Start.
type Options struct {
	Bus Bus
	// Debounce: a leave followed by a join of the same user within it is
	// not told to the plugins. 0: every change is.
	Debounce time.Duration
	// Sweep is how often the leader reconciles; 0 means 250ms.
	Sweep time.Duration
	// Listening reports whether any plugin subscribes to presence.join or
	// presence.leave (nil: assume one does). While none does, the leader
	// stores nothing in the event log and leaves the keys' "told" marks
	// alone: two JetStream writes fewer per arrival. A plugin that
	// subscribes later (a restart with it configured) is told of every
	// user present then, since none was marked told.
	Listening func() bool
	Logger    *slog.Logger
}

// state is the value of one key.
type state struct {
	Nodes []string `json:"nodes"`          // ids of the nodes holding connections
	Told  bool     `json:"told,omitempty"` // the plugins were last told "present"
	// JoinedAt is when the set last filled while the plugins were not told
	// "present": even a visit that ends before the leader looks is told.
	JoinedAt int64  `json:"joinedAt,omitempty"`
	EmptyAt  int64  `json:"emptyAt,omitempty"`
	Room     string `json:"room"`
	User     string `json:"user"`
	// The display claims of the token of the user's latest arriving
	// connection (docs/PROTOCOL.md §8): the listing and the leave event
	// show them too. Absent ones are omitted.
	auth.Display
}

// User is one user present in a room, as the listing shows it
// (docs/PROTOCOL.md §8).
type User struct {
	UserID string `json:"userId"`
	auth.Display
}

func (s *state) bytes() []byte { b, _ := json.Marshal(s); return b }

// entry is a key as the watch last saw it.
type entry struct {
	st      state
	rev     uint64
	created time.Time
}

// Tracker keeps this node's part of the presence state and mirrors the
// whole of it.
type Tracker struct {
	o    Options
	kv   jetstream.KeyValue
	node string
	log  *slog.Logger

	qmu     sync.RWMutex // guards closed against the sends to workers
	closed  bool
	workers []chan op
	wg      sync.WaitGroup
	cancel  context.CancelFunc
	ctx     context.Context

	mu     sync.RWMutex
	mirror map[string]entry // key → latest value
	ready  chan struct{}    // closed once the watch delivered the initial values
}

type op struct {
	arrive bool
	r      room.Room
	user   string
	d      auth.Display
}

const workers = 16

// Start opens the bucket, mirrors it and starts the workers and the
// leader's reconciliation.
func Start(ctx context.Context, o Options) (*Tracker, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Sweep <= 0 {
		o.Sweep = 250 * time.Millisecond
	}
	kv, err := o.Bus.PresenceKV(ctx)
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(context.Background())
	t := &Tracker{o: o, kv: kv, node: o.Bus.NodeID(), log: o.Logger.With("component", "presence"),
		ctx: rctx, cancel: cancel, mirror: map[string]entry{}, ready: make(chan struct{})}
	w, err := kv.WatchAll(rctx)
	if err != nil {
		cancel()
		return nil, err
	}
	t.wg.Add(1)
	go t.watch(w)
	for range workers {
		ch := make(chan op, 1024)
		t.workers = append(t.workers, ch)
		t.wg.Add(1)
		go t.work(ch)
	}
	t.wg.Add(1)
	go t.sweep()
	select {
	case <-t.ready:
	case <-ctx.Done():
		t.Close()
		return nil, ctx.Err()
	}
	return t, nil
}

// Close stops the tracker after the queued changes are made (bounded by
// a few seconds: a node shutting down has its users leave first).
func (t *Tracker) Close() {
	t.qmu.Lock()
	if t.closed {
		t.qmu.Unlock()
		return
	}
	t.closed = true
	for _, ch := range t.workers {
		close(ch)
	}
	t.qmu.Unlock()
	done := make(chan struct{})
	go func() {
		// The workers end once their queues are empty; the watch and the
		// sweep when the context ends.
		t.cancel()
		t.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.log.Warn("presence changes still queued at shutdown; the other nodes will clean them up")
	}
}

func key(r room.Room, user string) string {
	return "r." + base64.RawURLEncoding.EncodeToString([]byte(r.String())) + "." + base64.RawURLEncoding.EncodeToString([]byte(user))
}

func roomPrefix(r room.Room) string {
	return "r." + base64.RawURLEncoding.EncodeToString([]byte(r.String())) + "."
}

// Arrive records that this node now holds a connection of user in r (its
// first), shown as d; the room is told if no node held one. It returns at
// once: the changes of one (room, user) are made in order on a worker.
func (t *Tracker) Arrive(r room.Room, user string, d auth.Display) {
	t.enqueue(op{arrive: true, r: r, user: user, d: d})
}

// Depart records that this node no longer holds a connection of user in
// r; the room is told if no node holds one now.
func (t *Tracker) Depart(r room.Room, user string) { t.enqueue(op{r: r, user: user}) }

func (t *Tracker) enqueue(o op) {
	h := fnv.New32a()
	h.Write([]byte(o.r.String()))
	h.Write([]byte{0})
	h.Write([]byte(o.user))
	t.qmu.RLock()
	defer t.qmu.RUnlock()
	if t.closed {
		return // shutting down: the other nodes clean up after this one
	}
	t.workers[h.Sum32()%workers] <- o
}

func (t *Tracker) work(ch chan op) {
	defer t.wg.Done()
	for o := range ch {
		t.apply(o)
	}
}

// apply makes one change by compare-and-set, retrying on a conflict.
func (t *Tracker) apply(o op) {
	k := key(o.r, o.user)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for attempt := 0; attempt < 50 && ctx.Err() == nil; attempt++ {
		e, err := t.kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			if !o.arrive {
				return
			}
			st := state{Nodes: []string{t.node}, Room: o.r.String(), User: o.user, JoinedAt: time.Now().UnixMilli(), Display: o.d}
			if _, err := t.kv.Create(ctx, k, st.bytes()); err == nil {
				t.announce(o.r, TypeJoin, &st)
				return
			}
			continue
		}
		if err != nil {
			t.log.Warn("presence: read failed; retrying", "room", o.r.String(), "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		var st state
		if json.Unmarshal(e.Value(), &st) != nil {
			st = state{Room: o.r.String(), User: o.user}
		}
		was := len(st.Nodes) > 0
		has := slices.Contains(st.Nodes, t.node)
		switch {
		case o.arrive && has, !o.arrive && !has:
			return
		case o.arrive:
			st.Nodes = append(st.Nodes, t.node)
			if o.d != (auth.Display{}) {
				st.Display = o.d
			}
			st.EmptyAt = 0
			if !was && !st.Told {
				st.JoinedAt = time.Now().UnixMilli()
			}
		default:
			st.Nodes = slices.DeleteFunc(st.Nodes, func(n string) bool { return n == t.node })
			if len(st.Nodes) == 0 {
				st.EmptyAt = time.Now().UnixMilli()
			}
		}
		if _, err := t.kv.Update(ctx, k, st.bytes(), e.Revision()); err != nil {
			continue // another node changed it first: read again
		}
		switch now := len(st.Nodes) > 0; {
		case now && !was:
			t.announce(o.r, TypeJoin, &st)
		case !now && was:
			t.announce(o.r, TypeLeave, &st)
		}
		return
	}
	t.log.Warn("presence: change not made", "room", o.r.String(), "user", o.user, "arrive", o.arrive, "err", ctx.Err())
}

// eventData is the data of a presence event: the user as the listing
// shows them, and the room.
type eventData struct {
	User
	Room string `json:"room"`
}

// envelope is the CloudEvent of a presence change of st's user.
func envelope(r room.Room, typ string, st *state) (*event.Envelope, []byte) {
	data, _ := json.Marshal(eventData{User: User{UserID: st.User, Display: st.Display}, Room: r.String()})
	env := event.New("switchboard/presence", typ, data)
	env.Subject = r.String()
	env.Actor = st.User
	env.CorrelationID = env.ID // no request behind it: its own id
	b, _ := env.Encode()
	return env, b
}

// announce tells the room's members on every node (live only).
func (t *Tracker) announce(r room.Room, typ string, st *state) {
	_, b := envelope(r, typ, st)
	if err := t.o.Bus.PublishLive(r, typ, b); err != nil {
		t.log.Warn("presence not published", "room", r.String(), "type", typ, "err", err)
	}
}

// watch keeps the mirror current.
func (t *Tracker) watch(w jetstream.KeyWatcher) {
	defer t.wg.Done()
	defer func() { _ = w.Stop() }()
	initial := true
	for {
		select {
		case <-t.ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil {
				if initial {
					initial = false
					close(t.ready)
				}
				continue
			}
			t.mu.Lock()
			if e.Operation() != jetstream.KeyValuePut {
				delete(t.mirror, e.Key())
			} else {
				var st state
				if json.Unmarshal(e.Value(), &st) == nil {
					t.mirror[e.Key()] = entry{st: st, rev: e.Revision(), created: e.Created()}
				}
			}
			t.mu.Unlock()
		}
	}
}

// Users lists the users present in r anywhere in the cluster, sorted by
// id, as this node's mirror has it.
func (t *Tracker) Users(r room.Room) []User {
	p := roomPrefix(r)
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []User
	for k, e := range t.mirror {
		if strings.HasPrefix(k, p) && len(e.st.Nodes) > 0 {
			out = append(out, User{UserID: e.st.User, Display: e.st.Display})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out
}

// sweep runs the leader's reconciliation every Sweep.
func (t *Tracker) sweep() {
	defer t.wg.Done()
	tick := time.NewTicker(t.o.Sweep)
	defer tick.Stop()
	for {
		select {
		case <-t.ctx.Done():
			return
		case <-tick.C:
		}
		alive := t.o.Bus.Nodes()
		if slices.Min(alive) != t.node {
			continue
		}
		t.reconcile(alive)
	}
}

// reconcile takes dead nodes out of the sets and tells the plugins what
// changed, key by key, in the order of the keys' last changes.
func (t *Tracker) reconcile(alive []string) {
	now := time.Now()
	dead := func(n string, e entry) bool {
		return !slices.Contains(alive, n) && now.Sub(e.created) > t.o.Bus.PeerTimeout()
	}
	type item struct {
		k string
		e entry
	}
	var todo []item
	listening := t.o.Listening == nil || t.o.Listening()
	t.mu.RLock()
	for k, e := range t.mirror {
		hasDead := slices.ContainsFunc(e.st.Nodes, func(n string) bool { return dead(n, e) })
		present := len(e.st.Nodes) > 0
		if hasDead || (present != e.st.Told && listening) || !present {
			todo = append(todo, item{k, e})
		}
	}
	t.mu.RUnlock()
	sort.Slice(todo, func(i, j int) bool { return todo[i].e.rev < todo[j].e.rev })
	for _, it := range todo {
		if t.ctx.Err() != nil {
			return
		}
		t.settle(it.k, it.e, dead, now, listening)
	}
}

// settle brings one key up to date; a conflict leaves it to the next sweep.
func (t *Tracker) settle(k string, e entry, dead func(string, entry) bool, now time.Time, listening bool) {
	ctx, cancel := context.WithTimeout(t.ctx, 10*time.Second)
	defer cancel()
	st, rev := e.st, e.rev
	r, err := room.Parse(st.Room)
	if err != nil {
		_ = t.kv.Delete(ctx, k, jetstream.LastRevision(rev))
		return
	}
	if kept := slices.DeleteFunc(slices.Clone(st.Nodes), func(n string) bool { return dead(n, e) }); len(kept) != len(st.Nodes) {
		was := len(st.Nodes) > 0
		st.Nodes = kept
		if len(kept) == 0 {
			st.EmptyAt = now.UnixMilli()
		}
		nrev, err := t.kv.Update(ctx, k, st.bytes(), rev)
		if err != nil {
			return
		}
		rev = nrev
		if was && len(kept) == 0 {
			t.announce(r, TypeLeave, &st)
		}
	}
	present := len(st.Nodes) > 0
	switch {
	case present && !st.Told && !listening:
		// No plugin hears presence: nothing to store or mark.
	case (present || st.JoinedAt != 0) && !st.Told && listening:
		if !t.tell(ctx, r, TypeJoin, &st, k, st.JoinedAt, rev) {
			return
		}
		st.Told, st.JoinedAt = true, 0
		_, _ = t.kv.Update(ctx, k, st.bytes(), rev) // a leave, if due, is told next sweep
	case !present && st.Told:
		if now.Sub(time.UnixMilli(st.EmptyAt)) < t.o.Debounce {
			return // a reconnect within the window tells the plugins nothing
		}
		if !t.tell(ctx, r, TypeLeave, &st, k, st.EmptyAt, rev) {
			return
		}
		_ = t.kv.Delete(ctx, k, jetstream.LastRevision(rev))
	case !present:
		_ = t.kv.Delete(ctx, k, jetstream.LastRevision(rev))
	}
}

// tell stores a presence change in the event log for the plugins, with an
// id made of the key and the time of the change (at: JoinedAt or EmptyAt;
// the revision when unknown), so that a sweep that stored it but could not
// record so, and stores it again, is deduplicated: the plugins hear of it
// once.
func (t *Tracker) tell(ctx context.Context, r room.Room, typ string, st *state, k string, at int64, rev uint64) bool {
	_, b := envelope(r, typ, st)
	mark := "r" + strconv.FormatUint(rev, 10)
	if at != 0 {
		mark = "t" + strconv.FormatInt(at, 10)
	}
	id := typ + "." + k + "." + mark
	if err := t.o.Bus.LogEvent(ctx, typ, id, b); err != nil {
		t.log.Warn("presence change not stored for the plugins; will retry", "room", r.String(), "type", typ, "err", err)
		return false
	}
	return true
}
