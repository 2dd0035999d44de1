package test

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/switchboard-rt/switchboard/test/testnode"
)

// The newcomer's story: connect, receive, disconnect, miss three events,
// reconnect with since, get exactly those three, then live events.
func TestWSResumeNoGapNoDuplicate(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	tok := n.Token("u1", "w1")
	c := n.DialWS(tok)
	c.Join("workspace:w1")
	first := n.PublishOK("x.e", 0, "workspace:w1")
	if f := c.NextEvent(); f.Seq != first {
		t.Fatalf("got %+v", f)
	}
	c.Conn.Close()
	// Other rooms' events interleave: seqs have gaps per room.
	var missed []uint64
	for i := 1; i <= 3; i++ {
		missed = append(missed, n.PublishOK("x.e", i, "workspace:w1"))
		n.PublishOK("x.other", i, "workspace:w2")
	}
	c = n.DialWS(tok)
	ok := c.Join("workspace:w1", first)
	if ok.Recovered == nil || !*ok.Recovered {
		t.Fatalf("ok %+v, want recovered:true", ok)
	}
	for _, want := range missed {
		if f := c.NextEvent(); f.Seq != want || f.Room != "workspace:w1" {
			t.Fatalf("got %+v, want seq %d", f, want)
		}
	}
	live := n.PublishOK("x.e", 4, "workspace:w1")
	if f := c.NextEvent(); f.Seq != live {
		t.Fatalf("live after replay: got %+v, want seq %d (no duplicate)", f, live)
	}
}

// Events published while a replay runs are delivered once, in order.
func TestWSResumeUnderConcurrentPublishing(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	var seqs []uint64
	for i := 0; i < 200; i++ {
		seqs = append(seqs, n.PublishOK("x.e", i, "workspace:w1"))
	}
	done := make(chan []uint64)
	go func() {
		var more []uint64
		for i := 0; i < 100; i++ {
			st, b := n.Publish(map[string]any{"rooms": []string{"workspace:w1"}, "type": "x.e", "data": i})
			if st != 200 {
				t.Errorf("publish %d %s", st, b)
			}
			more = append(more, parseSeq(t, b, "workspace:w1"))
		}
		done <- more
	}()
	c := n.DialWS(n.Token("u1", "w1"))
	c.Join("workspace:w1", 0)
	more := <-done
	want := append(seqs, more...)
	for i, w := range want {
		if f := c.NextEvent(); f.Seq != w {
			t.Fatalf("event %d: seq %d, want %d", i, f.Seq, w)
		}
	}
}

func parseSeq(t *testing.T, body []byte, room string) uint64 {
	t.Helper()
	var res struct{ Seqs map[string]uint64 }
	if err := json.Unmarshal(body, &res); err != nil || res.Seqs[room] == 0 {
		t.Fatalf("no seq for %s in %s (%v)", room, body, err)
	}
	return res.Seqs[room]
}

func TestWSResumeNotRecovered(t *testing.T) {
	cfg := testnode.Config(t)
	cfg.History.MaxMsgs = 5
	n := testnode.Start(t, cfg)
	first := n.PublishOK("x.e", 0, "workspace:w1")
	var seqs []uint64
	for i := 1; i <= 10; i++ {
		seqs = append(seqs, n.PublishOK("x.e", i, "workspace:w1"))
	}
	c := n.DialWS(n.Token("u1", "w1"))
	ok := c.Join("workspace:w1", first)
	if ok.Recovered == nil || *ok.Recovered {
		t.Fatalf("ok %+v, want recovered:false", ok)
	}
	// What history still holds is delivered: the last five.
	for _, want := range seqs[5:] {
		if f := c.NextEvent(); f.Seq != want {
			t.Fatalf("got %+v, want %d", f, want)
		}
	}
	// A since from the future (another history) is not recovered either.
	c2 := n.DialWS(n.Token("u2", "w1"))
	if ok := c2.Join("workspace:w1", 1_000_000); ok.Recovered == nil || *ok.Recovered {
		t.Fatalf("future since: %+v", ok)
	}
}

func TestHistorySurvivesRestart(t *testing.T) {
	cfg := testnode.Config(t)
	n := testnode.Start(t, cfg)
	var seqs []uint64
	for i := 0; i < 3; i++ {
		seqs = append(seqs, n.PublishOK("x.e", i, "workspace:w1"))
	}
	n.Stop()

	cfg2 := *cfg
	n2 := testnode.Start(t, &cfg2)
	c := n2.DialWS(n2.Token("u1", "w1"))
	ok := c.Join("workspace:w1", 0)
	if ok.Recovered == nil || !*ok.Recovered {
		t.Fatalf("ok %+v", ok)
	}
	for _, want := range seqs {
		if f := c.NextEvent(); f.Seq != want {
			t.Fatalf("after restart got %+v, want seq %d", f, want)
		}
	}
	if next := n2.PublishOK("x.e", 9, "workspace:w1"); next <= seqs[2] {
		t.Fatalf("seq after restart %d, want > %d", next, seqs[2])
	}
}

// A client that saw no event before it dropped resumes from the seq of its
// join's ok (WS) or the stream's first id (SSE) and misses nothing.
func TestResumeWithoutAnyEventSeen(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	n.PublishOK("x.before", 0, "workspace:w1") // history is not empty
	tok := n.Token("u1", "w1")
	c := n.DialWS(tok)
	ok := c.Join("workspace:w1")
	if ok.Seq == 0 {
		t.Fatalf("ok %+v has no seq", ok)
	}
	s, resp, body := n.DialSSE(n.SSEURL("workspace:w1"), bearer(tok))
	if s == nil {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	var id string
	for id == "" {
		ev, err := s.Next(testnode.Timeout)
		if err != nil {
			t.Fatal(err)
		}
		id = ev.ID
	}
	if id != strconv.FormatUint(ok.Seq, 10) {
		t.Fatalf("sse first id %s, ws ok seq %d", id, ok.Seq)
	}
	c.Conn.Close()
	s.Resp.Body.Close()
	missed := n.PublishOK("x.missed", 1, "workspace:w1")
	c = n.DialWS(tok)
	c.Join("workspace:w1", ok.Seq)
	if f := c.NextEvent(); f.Seq != missed {
		t.Fatalf("ws resume got %+v, want %d", f, missed)
	}
	h := bearer(tok)
	h["Last-Event-ID"] = id
	s2, _, _ := n.DialSSE(n.SSEURL("workspace:w1"), h)
	if ev := s2.NextEvent(); ev.ID != strconv.FormatUint(missed, 10) {
		t.Fatalf("sse resume got id %s, want %d", ev.ID, missed)
	}
}
