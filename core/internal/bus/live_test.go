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
