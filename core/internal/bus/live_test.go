package bus

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// A callback that panics loses only its message: the loop that every room
// of the node depends on goes on with the next one.
func TestLiveLoopSurvivesAPanickingCallback(t *testing.T) {
	b := open(t, nil)
	got := make(chan string, 2)
	cb := func(m *nats.Msg) {
		if string(m.Data) == "boom" {
			panic("injected callback panic")
		}
		got <- string(m.Data)
	}
	if err := b.SubscribeControl("test", cb); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"boom", "after"} {
		if err := b.PublishControl("test", []byte(d)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case d := <-got:
		if d != "after" {
			t.Fatalf("got %q, want the message after the panic", d)
		}
	case <-time.After(timeout):
		t.Fatal("the live loop stopped after a panicking callback")
	}
}

// PublishControl sends a control message of kind to every node without
// waiting for answers (Broadcast waits): the tests of the control queue's
// order use it.
func (b *Bus) PublishControl(kind string, data []byte) error {
	if err := b.nc.Publish(controlPrefix+kind, data); err != nil {
		return err
	}
	return b.nc.Flush()
}

// On a single node every room's live events come through one wildcard
// subscription and a map; with a client port (other nodes may connect) each
// room has its own subscription. Either way a room's callback gets its
// room's events only, and a room subscribed again keeps its events when the
// old handle is unsubscribed after the new one subscribed (the hub releases
// a room outside its lock).
func TestLiveRoutesEachRoomToItsCallback(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Options)
		wild bool
	}{
		{"single node", nil, true},
		{"client port", func(o *Options) { o.NATS.Listen = "127.0.0.1:0" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := open(t, tc.edit)
			if got := b.live.wild != nil; got != tc.wild {
				t.Fatalf("wildcard subscription: %v, want %v", got, tc.wild)
			}
			a, c := mustRoom(t, "project:a"), mustRoom(t, "task:c.1")
			cbA, chA := collect()
			cbC, chC := collect()
			old, err := b.SubscribeLive(a, cbA, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.SubscribeLive(c, cbC, nil); err != nil {
				t.Fatal(err)
			}
			cbA2, chA2 := collect()
			if _, err := b.SubscribeLive(a, cbA2, nil); err != nil {
				t.Fatal(err)
			}
			if err := old.Unsubscribe(); err != nil {
				t.Fatal(err)
			}
			acks := publish(t, b, msg(a, "", 1), msg(c, "", 2))
			if l := next(t, chA2); l.Seq != acks[0].Seq {
				t.Fatalf("room a got seq %d, want %d", l.Seq, acks[0].Seq)
			}
			if l := next(t, chC); l.Seq != acks[1].Seq {
				t.Fatalf("room c got seq %d, want %d", l.Seq, acks[1].Seq)
			}
			// c's event was dispatched after a's on the one goroutine: had the
			// old handle or c's callback got a's, it would be queued by now.
			select {
			case l := <-chA:
				t.Fatalf("the unsubscribed handle of room a got %+v", l)
			case l := <-chC:
				t.Fatalf("room c got a second event %+v", l)
			default:
			}
		})
	}
}
