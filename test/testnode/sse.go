package testnode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/clients/go/sbclient"
)

// SSEEvent is one dispatched server-sent event.
type SSEEvent struct {
	ID    string
	Event string
	Data  string
	Retry string // the retry: field, when the block had one
}

// Payload decodes the data line {"room","seq","event"}.
func (e SSEEvent) Payload(t testing.TB) Frame {
	t.Helper()
	var f Frame
	if err := json.Unmarshal([]byte(e.Data), &f); err != nil {
		t.Fatalf("sse data %q: %v", e.Data, err)
	}
	return f
}

// SSE is a test SSE client.
type SSE struct {
	t        testing.TB
	Resp     *http.Response
	events   chan SSEEvent
	Comments chan string
}

// SSEURL builds the stream URL for rooms.
func (n *Node) SSEURL(rooms ...string) string {
	q := url.Values{}
	for _, r := range rooms {
		q.Add("room", r)
	}
	return n.URL + n.Cfg.Transports.Get("sse").Config.Endpoint() + "?" + q.Encode()
}

// DialSSE opens a stream; hdr may carry Authorization and Last-Event-ID.
// For a refused stream it returns a nil *SSE, a response with only the
// status set, and the body.
func (n *Node) DialSSE(rawURL string, hdr map[string]string) (*SSE, *http.Response, []byte) {
	n.t.Helper()
	h := http.Header{}
	for k, v := range hdr {
		h.Set(k, v)
	}
	resp, err := sbclient.DialSSE(context.Background(), rawURL, nil, sbclient.SSEOptions{Header: h})
	var he *sbclient.HTTPError
	if errors.As(err, &he) {
		return nil, &http.Response{StatusCode: he.Status, Status: fmt.Sprintf("%d %s", he.Status, http.StatusText(he.Status))}, []byte(he.Body)
	}
	if err != nil {
		n.t.Fatalf("sse: %v", err)
	}
	s := &SSE{t: n.t, Resp: resp, events: make(chan SSEEvent, 1024), Comments: make(chan string, 1024)}
	n.t.Cleanup(func() { resp.Body.Close() })
	go s.pump()
	return s, resp, nil
}

// pump hands the stream's blocks to Next and its comments to Comments.
func (s *SSE) pump() {
	defer close(s.events)
	br := sbclient.NewBlockReader(s.Resp.Body)
	for {
		b, err := br.Next()
		if err != nil {
			return
		}
		if b.Comment != "" {
			select {
			case s.Comments <- strings.TrimSpace(b.Comment):
			default:
			}
		}
		if b.Data != "" || b.Retry != "" || b.ID != "" {
			s.events <- SSEEvent{ID: b.ID, Event: b.Event, Data: b.Data, Retry: b.Retry}
		}
	}
}

// ErrEnded is returned by Next once the stream has ended.
var ErrEnded = errors.New("sse: stream ended")

// Next returns the next event (including a lone retry: block).
func (s *SSE) Next(d time.Duration) (SSEEvent, error) {
	select {
	case ev, ok := <-s.events:
		if !ok {
			return SSEEvent{}, ErrEnded
		}
		return ev, nil
	case <-time.After(d):
		return SSEEvent{}, errors.New("sse: timeout")
	}
}

// NextEvent returns the next stored event (one with an id and data).
func (s *SSE) NextEvent() SSEEvent {
	s.t.Helper()
	for {
		ev, err := s.Next(Timeout)
		if err != nil {
			s.t.Fatalf("sse: %v", err)
		}
		if ev.ID != "" && ev.Data != "" {
			return ev
		}
	}
}

// WaitEnded waits until the server ends the stream.
func (s *SSE) WaitEnded() {
	s.t.Helper()
	deadline := time.After(Timeout)
	for {
		select {
		case _, ok := <-s.events:
			if !ok {
				return
			}
		case <-deadline:
			s.t.Fatal("sse stream did not end")
		}
	}
}
