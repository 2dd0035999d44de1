package sse_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/schema/wire"
	"github.com/switchboard-rt/switchboard/test/testnode"
	"github.com/switchboard-rt/switchboard/transports/transporttest"
)

func TestConformance(t *testing.T) { transporttest.Run(t, harness{}) }

// harness is a minimal EventSource: it reads the stream only in Next.
type harness struct{}

func (harness) Name() string { return "sse" }

type conn struct {
	body      io.ReadCloser
	r         *bufio.Reader
	recovered bool
	pending   []block
}

// block is one dispatched SSE block.
type block struct{ id, event, data string }

func (harness) Join(t testing.TB, n *testnode.Node, token string, since *uint64, rooms ...string) (transporttest.Conn, error) {
	q := url.Values{"room": rooms}
	u := n.URL + n.Cfg.Transports.Get("sse").Config.Endpoint() + "?" + q.Encode()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if since != nil {
		req.Header.Set("Last-Event-ID", strconv.FormatUint(*since, 10))
	}
	// A transport of its own: closing one stream must not reuse or
	// disturb another's connection.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		var body struct {
			Error wire.Error `json:"error"`
		}
		b, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(b, &body); err != nil || body.Error.Code == "" {
			return nil, fmt.Errorf("status %d: %s", resp.StatusCode, b)
		}
		return nil, &body.Error
	}
	c := &conn{body: resp.Body, r: bufio.NewReader(resp.Body), recovered: true}
	// The stream starts once the client is in every room, with retry: and,
	// when since is too old, a recovery block in the same write.
	first, err := c.block(testnode.Timeout)
	if err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("first block: %w", err)
	}
	if first.event == "" && first.data == "" && c.r.Buffered() > 0 {
		b, err := c.block(testnode.Timeout)
		if err != nil {
			resp.Body.Close()
			return nil, err
		}
		if b.event == "recovery" {
			c.recovered = false
		} else {
			c.pending = append(c.pending, b)
		}
	}
	return c, nil
}

// block reads the next block; comment lines are skipped. The whole
// read must end within d.
func (c *conn) block(d time.Duration) (block, error) {
	timer := time.AfterFunc(d, func() { c.body.Close() }) // a timeout ends the stream
	defer timer.Stop()
	var b block
	seen := false
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return b, fmt.Errorf("%w: %v", transporttest.ErrEnded, err)
			}
			return b, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if seen {
				return b, nil
			}
		case strings.HasPrefix(line, ":"):
		default:
			seen = true
			k, v, _ := strings.Cut(line, ":")
			v = strings.TrimPrefix(v, " ")
			switch k {
			case "id":
				b.id = v
			case "event":
				b.event = v
			case "data":
				b.data += v
			}
		}
	}
}

func (c *conn) Recovered() bool { return c.recovered }

func (c *conn) Next(d time.Duration) (transporttest.Event, error) {
	for {
		var b block
		if len(c.pending) > 0 {
			b, c.pending = c.pending[0], c.pending[1:]
		} else {
			var err error
			if b, err = c.block(d); err != nil {
				return transporttest.Event{}, err
			}
		}
		if b.data == "" || b.event == "recovery" {
			continue // id-only or retry block
		}
		if b.event == "error" {
			return transporttest.Event{}, fmt.Errorf("%w: error event %s", transporttest.ErrEnded, b.data)
		}
		var p struct {
			Room  string         `json:"room"`
			Seq   uint64         `json:"seq"`
			Event map[string]any `json:"event"`
		}
		if err := json.Unmarshal([]byte(b.data), &p); err != nil {
			return transporttest.Event{}, fmt.Errorf("data %q: %w", b.data, err)
		}
		if b.id != "" && b.id != strconv.FormatUint(p.Seq, 10) {
			return transporttest.Event{}, fmt.Errorf("id %s for seq %d", b.id, p.Seq)
		}
		return transporttest.Event{Room: p.Room, Seq: p.Seq, Event: p.Event}, nil
	}
}

func (c *conn) Close() { c.body.Close() }
