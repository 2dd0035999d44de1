package testnode

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
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
	done     chan error
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
// For a non-200 answer it returns the response with the body read into
// the returned bytes and a nil *SSE.
func (n *Node) DialSSE(rawURL string, hdr map[string]string) (*SSE, *http.Response, []byte) {
	n.t.Helper()
	req, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		n.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatalf("sse: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return nil, resp, b
	}
	s := &SSE{t: n.t, Resp: resp, events: make(chan SSEEvent, 1024), Comments: make(chan string, 1024), done: make(chan error, 1)}
	n.t.Cleanup(func() { resp.Body.Close() })
	go s.pump()
	return s, resp, nil
}

func (s *SSE) pump() {
	br := bufio.NewReader(s.Resp.Body)
	var ev SSEEvent
	var data []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			s.done <- err
			close(s.events)
			return
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if len(data) > 0 || ev.Retry != "" || ev.ID != "" {
				ev.Data = strings.Join(data, "\n")
				s.events <- ev
			}
			ev, data = SSEEvent{}, nil
		case strings.HasPrefix(line, ":"):
			select {
			case s.Comments <- strings.TrimSpace(line[1:]):
			default:
			}
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "id":
				ev.ID = value
			case "event":
				ev.Event = value
			case "data":
				data = append(data, value)
			case "retry":
				ev.Retry = value
			}
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
