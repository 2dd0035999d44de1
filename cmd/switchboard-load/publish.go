package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// loadType is the CloudEvent type of the events the tool publishes.
const loadType = "load.tick"

// pubEvent is one event to publish: room index and per-room index n.
type pubEvent struct {
	room int
	n    int
}

// publisher posts events to POST /v1/publish over keep-alive connections.
type publisher struct {
	url    string
	key    string
	rooms  []string
	client *http.Client

	calls     atomic.Int64
	okEvents  atomic.Int64
	errEvents atomic.Int64
	callLat   histogram // HTTP round trip of one call

	// centrifugo: publish through Centrifugo's HTTP API (centrifugo.go)
	// instead of POST /v1/publish.
	centrifugo bool

	mu       sync.Mutex
	firstErr string
	okByRoom []int64 // events stored per room
}

func newPublisher(c *common, rooms []string, conns int) *publisher {
	tr := &http.Transport{
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	p := &publisher{url: c.pubBase.String() + "/v1/publish", key: c.apiKey, rooms: rooms,
		client: &http.Client{Transport: tr, Timeout: c.publishTimeout}, okByRoom: make([]int64, len(rooms))}
	if c.protocol == protoCentrifugo {
		p.centrifugo, p.url = true, c.pubBase.String()+centrifugoAPIPath
	}
	return p
}

// body encodes evs as one event object (one event) or a batch array; each
// event's data is {"t":<now in ns>,"n":<per-room index>}, stamped here,
// just before the request is sent.
func (p *publisher) body(buf []byte, evs []pubEvent) []byte {
	if p.centrifugo {
		return p.centrifugoBody(buf, evs)
	}
	b := buf[:0]
	if len(evs) > 1 {
		b = append(b, '[')
	}
	for i, e := range evs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"rooms":["`...)
		b = append(b, p.rooms[e.room]...)
		b = append(b, `"],"type":"`+loadType+`","data":`...)
		b = appendLoadData(b, e.n)
		b = append(b, '}')
	}
	if len(evs) > 1 {
		b = append(b, ']')
	}
	return b
}

// appendLoadData appends an event's data: {"t":<now in ns>,"n":<its
// per-room index>}, the time stamped here, just before the request is
// sent (see client.loadData).
func appendLoadData(b []byte, n int) []byte {
	b = append(b, `{"t":`...)
	b = strconv.AppendInt(b, time.Now().UnixNano(), 10)
	b = append(b, `,"n":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '}')
}

// send publishes evs in one call; it reports whether they were stored.
func (p *publisher) send(ctx context.Context, buf []byte, evs []pubEvent) ([]byte, bool) {
	body := p.body(buf, evs)
	t0 := time.Now()
	url := p.url
	if p.centrifugo {
		url = centrifugoAPIURL(p.url, len(evs))
	}
	err := p.post(ctx, url, body)
	p.callLat.record(time.Since(t0))
	p.calls.Add(1)
	if err != nil {
		p.errEvents.Add(int64(len(evs)))
		p.mu.Lock()
		if p.firstErr == "" {
			p.firstErr = err.Error()
		}
		p.mu.Unlock()
		return body, false
	}
	p.okEvents.Add(int64(len(evs)))
	p.mu.Lock()
	for _, e := range evs {
		p.okByRoom[e.room]++
	}
	p.mu.Unlock()
	return body, true
}

func (p *publisher) post(ctx context.Context, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", p.key)
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("publish: %s: %s", resp.Status, truncate(msg))
	}
	if p.centrifugo {
		return centrifugoAPIError(msg)
	}
	return nil
}

// deliveries is how many deliveries the events stored so far make for
// conns connections, connection i a member of room i mod rooms.
func (p *publisher) deliveries(conns, rooms int) int64 {
	n := int64(0)
	for i := range conns {
		n += p.stored(i % rooms)
	}
	return n
}

// stored is how many events of room r were stored.
func (p *publisher) stored(r int) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.okByRoom[r]
}

func (p *publisher) err() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.firstErr
}

func (p *publisher) close() { p.client.CloseIdleConnections() }

// addPublish adds the publisher's figures to r.
func (p *publisher) addTo(r *report) {
	r.add("publish_calls", "publish calls", p.calls.Load(), "")
	r.add("events_published", "events stored", p.okEvents.Load(), "")
	r.add("events_publish_failed", "events whose publish failed", p.errEvents.Load(), "")
	if e := p.err(); e != "" {
		r.add("publish_first_error", "first publish error", e, "")
	}
	l := p.callLat.summary()
	r.add("publish_call_p50_ms", "publish call round trip p50", round3(l.P50), "ms")
	r.add("publish_call_p99_ms", "publish call round trip p99", round3(l.P99), "ms")
	r.add("publish_call_max_ms", "publish call round trip max", round3(l.Max), "ms")
}
