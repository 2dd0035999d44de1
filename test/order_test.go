package test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/switchboard-rt/switchboard/test/testnode"
)

// One SSE stream over two rooms sees ids (global seqs) only grow, even when
// the rooms' events are stored back to back: its one Last-Event-ID must be
// a safe resume point.
func TestSSEMultiRoomOrder(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	tok := n.Token("u1", "w1")
	s, resp, body := n.DialSSE(n.SSEURL("workspace:w1", "user:u1"), bearer(tok))
	if s == nil {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	const batches, per = 20, 20
	for b := 0; b < batches; b++ {
		var batch []map[string]any
		for i := 0; i < per; i++ {
			r := "workspace:w1"
			if i%2 == 1 {
				r = "user:u1"
			}
			batch = append(batch, map[string]any{"rooms": []string{r}, "type": "x.e", "data": fmt.Sprint(b, i)})
		}
		if st, b := n.Publish(batch); st != 200 {
			t.Fatalf("%d %s", st, b)
		}
	}
	var prev uint64
	for i := 0; i < batches*per; i++ {
		ev := s.NextEvent()
		id, err := strconv.ParseUint(ev.ID, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if id <= prev {
			t.Fatalf("event %d: id %d after %d", i, id, prev)
		}
		prev = id
	}
}

// A stream resumed from before what history still holds says so first.
func TestSSEResumeNotRecovered(t *testing.T) {
	cfg := testnode.Config(t)
	cfg.History.MaxMsgs = 3
	n := testnode.Start(t, cfg)
	for i := 0; i < 6; i++ {
		n.PublishOK("x.e", i, "user:u1")
	}
	h := bearer(n.Token("u1"))
	h["Last-Event-ID"] = "1"
	s, resp, body := n.DialSSE(n.SSEURL("user:u1"), h)
	if s == nil {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	for {
		ev, err := s.Next(testnode.Timeout)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Event == "recovery" {
			if ev.Data != `{"recovered":false,"since":1}` {
				t.Fatalf("recovery %q", ev.Data)
			}
			break
		}
		if ev.ID != "" && ev.Data != "" {
			t.Fatalf("event %s before the recovery notice", ev.ID)
		}
	}
	if ev := s.NextEvent(); ev.ID != "4" {
		t.Fatalf("first kept event id %s, want 4", ev.ID)
	}
}
