package main

// Centrifugo, driven with --protocol centrifugo, so that make bench can
// put it in the table beside the floor (bench --other-url …
// --other-protocol centrifugo). Its bidirectional JSON protocol over
// /connection/websocket: the client sends {"id":1,"connect":{"token":T}}
// and {"id":N,"subscribe":{"channel":C}}, each answered by a reply with
// the same id (or an "error"); a publication arrives as
// {"push":{"channel":C,"pub":{"data":D}}}; the server's ping is {} and
// wants {} back. One WebSocket message may carry several replies, one per
// line. Events are published with its HTTP API: POST /api/publish
// {"channel":C,"data":D}, or /api/batch {"commands":[{"publish":{…}}…]}
// for several, with the key in X-API-Key. A room is a channel of the same
// name: the server's channel.namespace_boundary must not be ":", or
// "workspace:w1" is read as the channel w1 of a namespace "workspace".
//
// The tool's tokens carry sub, exp and its own claims (HS256 with
// --secret), which Centrifugo takes as they are. It has no resume with
// since here (history is off in the comparison), so the resume and
// failover scenarios refuse this protocol.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

const (
	protoSwitchboard = "switchboard"
	protoCentrifugo  = "centrifugo"

	centrifugoWSPath  = "/connection/websocket"
	centrifugoAPIPath = "/api"

	// centrifugoBurstBatch is the events per API call of Centrifugo's
	// burst in make bench (see bench.runOne).
	centrifugoBurstBatch = 10
)

var (
	cfPushPrefix = []byte(`{"push":{"channel":"`)
	cfPing       = []byte(`{}`)
	cfPong       = mustMaskedText(cfPing)
)

func mustMaskedText(p []byte) []byte {
	b, err := ws.CompileFrame(ws.MaskFrameInPlace(ws.NewTextFrame(append([]byte(nil), p...))))
	if err != nil {
		panic(err)
	}
	return b
}

// centrifugoConfig is the configuration make bench-centrifugo starts
// Centrifugo with, as the comparison ran it: the memory engine,
// no history, no presence; HS256 tokens with secret, the HTTP API with
// apiKey, clients may subscribe to any channel, and ":" is not a
// namespace boundary (rooms are channels of the same name).
func centrifugoConfig(addr, secret, apiKey string) []byte {
	host, port, _ := net.SplitHostPort(addr)
	cfg := map[string]any{
		"http_server": map[string]any{"address": host, "port": json.Number(port)},
		"client":      map[string]any{"token": map[string]any{"hmac_secret_key": secret}},
		"http_api":    map[string]any{"key": apiKey},
		"channel": map[string]any{"namespace_boundary": "~",
			"without_namespace": map[string]any{"allow_subscribe_for_client": true}},
		"health": map[string]any{"enabled": true},
		"log":    map[string]any{"level": "error"},
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}

// setupCentrifugo dials wsURL, connects with token and subscribes to the
// client's rooms, each command waiting for its reply, then hands the
// socket to the reactor.
func (c *client) setupCentrifugo(ctx context.Context, wsURL, token string, deadline time.Time) error {
	d := ws.Dialer{Timeout: c.f.c.dialTimeout, ReadBufferSize: c.f.c.readBuf}
	nc, br, _, err := d.Dial(ctx, wsURL)
	if err != nil {
		return fmt.Errorf("dial %s: %w", wsURL, err)
	}
	if br == nil {
		br = bufio.NewReaderSize(nc, c.f.c.readBuf)
	}
	c.nc, c.br = nc, br
	_ = nc.SetDeadline(deadline)
	tok, _ := json.Marshal(token)
	if err := c.cfCommand(1, `"connect":{"token":`+string(tok)+`}`); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	c.welcomed = true
	if c.room != "" {
		for k, room := range append([]string{c.room}, c.extra...) {
			ch, _ := json.Marshal(room)
			if err := c.cfCommand(k+2, `"subscribe":{"channel":`+string(ch)+`}`); err != nil {
				return fmt.Errorf("subscribe %s: %w", room, err)
			}
		}
	}
	c.joined = true
	return c.handoff()
}

// cfCommand sends {"id":id,<body>} and handles server frames until the
// reply to id.
func (c *client) cfCommand(id int, body string) error {
	c.waitRef, c.acked = strconv.Itoa(id), false
	if err := wsutil.WriteClientText(c.nc, []byte(`{"id":`+c.waitRef+`,`+body+`}`)); err != nil {
		return err
	}
	for !c.acked {
		h, err := ws.ReadHeader(c.br)
		if err != nil {
			return err
		}
		if h.Length > maxFrame {
			return fmt.Errorf("server frame of %d bytes", h.Length)
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(c.br, p); err != nil {
			return err
		}
		if h.Masked {
			ws.Cipher(p, h.Mask, 0)
		}
		if err := c.frame(h.Fin, h.OpCode, p, time.Now()); err != nil {
			return err
		}
	}
	c.waitRef = ""
	return nil
}

// handleCentrifugo takes one text message of Centrifugo's: one reply per
// line.
func (c *client) handleCentrifugo(p []byte, now time.Time) error {
	st := c.st
	st.n[cFrames].Add(1)
	for len(p) > 0 {
		var line []byte
		line, p, _ = bytes.Cut(p, []byte{'\n'})
		switch {
		case len(line) == 0:
		case bytes.Equal(line, cfPing):
			if err := c.write(cfPong); err != nil {
				return fmt.Errorf("pong: %w", err)
			}
		case bytes.HasPrefix(line, cfPushPrefix):
			rest := line[len(cfPushPrefix):]
			q := bytes.IndexByte(rest, '"')
			if q < 0 {
				st.n[cBad].Add(1)
				continue
			}
			ch, rest := rest[:q], rest[q+1:]
			switch {
			case bytes.HasPrefix(rest, []byte(`,"pub":`)):
				if c.ownRoom(ch) {
					c.loadData(rest, now)
				}
			case bytes.HasPrefix(rest, []byte(`,"join":`)):
				st.n[cPresence].Add(1)
			case bytes.HasPrefix(rest, []byte(`,"leave":`)):
				st.n[cPresence].Add(1)
				st.n[cPresenceLeave].Add(1)
			default:
				st.n[cBad].Add(1)
				c.f.note("unexpected push: " + truncate(line))
			}
		default:
			if err := c.cfReply(line); err != nil {
				return err
			}
		}
	}
	return nil
}

// cfReply takes a reply to a command: the awaited one acknowledges it, an
// error answers it with errRefused.
func (c *client) cfReply(line []byte) error {
	var r struct {
		ID    json.Number `json:"id"`
		Error *cfAPIError `json:"error"`
	}
	if err := json.Unmarshal(line, &r); err != nil || r.ID == "" {
		c.st.n[cBad].Add(1)
		c.f.note("unexpected frame: " + truncate(line))
		return nil
	}
	if r.Error != nil {
		c.st.n[cErrFrames].Add(1)
		c.f.note(fmt.Sprintf("error reply: %d: %s", r.Error.Code, r.Error.Message))
		if r.ID.String() == c.waitRef {
			return fmt.Errorf("%w: %d: %s", errRefused, r.Error.Code, r.Error.Message)
		}
		return nil
	}
	if r.ID.String() == c.waitRef {
		c.acked = true
	}
	return nil
}

// centrifugoBody encodes evs for Centrifugo's HTTP API: one publish, or a
// batch of them, in order; each event's data is the tool's {"t","n"}.
func (p *publisher) centrifugoBody(buf []byte, evs []pubEvent) []byte {
	b := buf[:0]
	if len(evs) > 1 {
		b = append(b, `{"commands":[`...)
	}
	for i, e := range evs {
		if i > 0 {
			b = append(b, ',')
		}
		if len(evs) > 1 {
			b = append(b, `{"publish":`...)
		}
		b = append(b, `{"channel":`...)
		b = strconv.AppendQuote(b, p.rooms[e.room])
		b = append(b, `,"data":`...)
		b = appendLoadData(b, e.n)
		b = append(b, '}')
		if len(evs) > 1 {
			b = append(b, '}')
		}
	}
	if len(evs) > 1 {
		b = append(b, `]}`...)
	}
	return b
}

// centrifugoAPIURL is the API method for n events at base (…/api).
func centrifugoAPIURL(base string, n int) string {
	if n > 1 {
		return base + "/batch"
	}
	return base + "/publish"
}

// centrifugoAPIError is the first error in an API answer: Centrifugo
// answers 200 with {"error":…}, or in a batch {"replies":[{"error":…}]}.
func centrifugoAPIError(body []byte) error {
	var r struct {
		Error   *cfAPIError `json:"error"`
		Replies []struct {
			Error *cfAPIError `json:"error"`
		} `json:"replies"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("publish: answer %q: %w", truncate(body), err)
	}
	if r.Error != nil {
		return r.Error
	}
	for _, x := range r.Replies {
		if x.Error != nil {
			return x.Error
		}
	}
	return nil
}

// cfAPIError is an error in Centrifugo's answers, to a client command or
// an API call: the same shape in both.
type cfAPIError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *cfAPIError) Error() string {
	return "publish: centrifugo error " + strconv.Itoa(e.Code) + ": " + e.Message
}
