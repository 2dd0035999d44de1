package sse_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/clients/go/sbclient"
	"github.com/switchboard-rt/switchboard/test/testnode"
	"github.com/switchboard-rt/switchboard/transports/transporttest"
)

func TestConformance(t *testing.T) { transporttest.Run(t, harness{}) }

// harness is a minimal EventSource on sbclient's DialSSE and BlockReader:
// it reads the stream only in Next.
type harness struct{}

func (harness) Name() string { return "sse" }

type conn struct {
	body      io.ReadCloser
	r         *sbclient.BlockReader
	recovered bool
	pending   []sbclient.Block
}

func (harness) Join(t testing.TB, n *testnode.Node, token string, since *uint64, rooms ...string) (transporttest.Conn, error) {
	o := sbclient.SSEOptions{
		Token: token,
		// A transport of its own: closing one stream must not reuse or
		// disturb another's connection.
		HTTPClient: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}},
	}
	if since != nil {
		o.LastEventID = strconv.FormatUint(*since, 10)
	}
	resp, err := sbclient.DialSSE(context.Background(), n.URL+n.Cfg.Transports.Get("sse").Config.Endpoint(), rooms, o)
	var he *sbclient.HTTPError
	if errors.As(err, &he) && he.Err != nil {
		return nil, he.Err
	}
	if err != nil {
		return nil, err
	}
	c := &conn{body: resp.Body, r: sbclient.NewBlockReader(resp.Body), recovered: true}
	// The stream starts once the client is in every room, with retry: and,
	// when since is too old, a recovery block in the same write.
	first, err := c.block(testnode.Timeout)
	if err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("first block: %w", err)
	}
	if first.Event == "" && first.Data == "" && c.r.Buffered() > 0 {
		b, err := c.block(testnode.Timeout)
		if err != nil {
			resp.Body.Close()
			return nil, err
		}
		if b.Event == "recovery" {
			c.recovered = false
		} else {
			c.pending = append(c.pending, b)
		}
	}
	return c, nil
}

// block reads the next block that is not only comments. The whole read
// must end within d.
func (c *conn) block(d time.Duration) (sbclient.Block, error) {
	timer := time.AfterFunc(d, func() { c.body.Close() }) // a timeout ends the stream
	defer timer.Stop()
	for {
		b, err := c.r.Next()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return b, fmt.Errorf("%w: %v", transporttest.ErrEnded, err)
		}
		if err != nil || b != (sbclient.Block{Comment: b.Comment}) {
			return b, err
		}
	}
}

func (c *conn) Recovered() bool { return c.recovered }

func (c *conn) Next(d time.Duration) (transporttest.Event, error) {
	for {
		var b sbclient.Block
		if len(c.pending) > 0 {
			b, c.pending = c.pending[0], c.pending[1:]
		} else {
			var err error
			if b, err = c.block(d); err != nil {
				return transporttest.Event{}, err
			}
		}
		if b.Data == "" || b.Event == "recovery" {
			continue // id-only or retry block
		}
		if b.Event == "error" {
			return transporttest.Event{}, fmt.Errorf("%w: error event %s", transporttest.ErrEnded, b.Data)
		}
		var p struct {
			Room  string         `json:"room"`
			Seq   uint64         `json:"seq"`
			Event map[string]any `json:"event"`
		}
		if err := json.Unmarshal([]byte(b.Data), &p); err != nil {
			return transporttest.Event{}, fmt.Errorf("data %q: %w", b.Data, err)
		}
		if b.ID != "" && b.ID != strconv.FormatUint(p.Seq, 10) {
			return transporttest.Event{}, fmt.Errorf("id %s for seq %d", b.ID, p.Seq)
		}
		return transporttest.Event{Room: p.Room, Seq: p.Seq, Event: p.Event}, nil
	}
}

func (c *conn) Close() { c.body.Close() }
