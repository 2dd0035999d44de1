package sbclient

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// MaxFrameBytes bounds a server frame a Conn accepts (the server's largest
// event is 64 KiB of data plus its envelope).
const MaxFrameBytes = 1 << 20

// Conn is one WebSocket connection read frame by frame: the layer under
// Client, for tools and protocol tests that want every frame as it comes.
// One goroutine reads; writes may come from any goroutine.
type Conn struct {
	// Welcome is the server's first frame.
	Welcome Frame

	nc  net.Conn
	br  *bufio.Reader
	wmu sync.Mutex
	wto time.Duration
}

// DialOptions tune DialWS.
type DialOptions struct {
	// Token is sent as "Authorization: Bearer TOKEN"; "" sends none (put
	// it in the URL as ?token= instead, as browsers must).
	Token string
	// Header is added to the upgrade request.
	Header http.Header
	// Timeout bounds the dial, the handshake, the welcome frame and each
	// write; 0 means 10 s.
	Timeout time.Duration
	// ReadBufferSize is the size of the read buffer; 0 means 4 KiB.
	ReadBufferSize int
}

// DialWS opens a WebSocket to url (ws:// or wss://, the /v1/ws endpoint)
// and reads the welcome frame. A refused upgrade is an *HTTPError.
func DialWS(ctx context.Context, url string, o DialOptions) (*Conn, error) {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.ReadBufferSize <= 0 {
		o.ReadBufferSize = 4096
	}
	hdr := http.Header{}
	for k, v := range o.Header {
		hdr[k] = v
	}
	if o.Token != "" {
		hdr.Set("Authorization", "Bearer "+o.Token)
	}
	var herr *HTTPError
	d := ws.Dialer{
		Timeout:         o.Timeout,
		ReadBufferSize:  o.ReadBufferSize,
		WriteBufferSize: 1024,
		Header:          ws.HandshakeHeaderHTTP(hdr),
		OnStatusError: func(status int, _ []byte, r io.Reader) {
			if resp, err := http.ReadResponse(bufio.NewReader(r), nil); err == nil {
				herr = ReadHTTPError(status, resp.Body)
			} else {
				herr = &HTTPError{Status: status}
			}
		},
	}
	nc, br, _, err := d.Dial(ctx, url)
	if err != nil {
		if herr != nil {
			return nil, herr
		}
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	if br == nil {
		br = bufio.NewReaderSize(nc, o.ReadBufferSize)
	}
	c := &Conn{nc: nc, br: br, wto: o.Timeout}
	_ = nc.SetReadDeadline(time.Now().Add(o.Timeout))
	f, _, err := c.ReadFrame()
	if err == nil && f.Op != "welcome" {
		err = fmt.Errorf("first frame is %q, want welcome", f.Op)
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("dial %s: welcome: %w", url, err)
	}
	_ = nc.SetReadDeadline(time.Time{})
	c.Welcome = f
	return c, nil
}

// ReadMessage returns the payload of the next text message, answering
// pings on the way. When the server closes the connection the error is a
// *CloseError with its code and reason.
func (c *Conn) ReadMessage() ([]byte, error) {
	var frag []byte
	for {
		h, err := ws.ReadHeader(c.br)
		if err != nil {
			return nil, err
		}
		if h.Length > MaxFrameBytes || int64(len(frag))+h.Length > MaxFrameBytes {
			return nil, fmt.Errorf("server frame of %d bytes is over %d", h.Length, MaxFrameBytes)
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(c.br, p); err != nil {
			return nil, err
		}
		if h.Masked {
			ws.Cipher(p, h.Mask, 0)
		}
		switch h.OpCode {
		case ws.OpPing:
			if err := c.write(ws.OpPong, p); err != nil {
				return nil, err
			}
		case ws.OpPong:
		case ws.OpClose:
			code, reason := ws.ParseCloseFrameData(p)
			return nil, &CloseError{Code: uint16(code), Reason: reason}
		case ws.OpText, ws.OpBinary, ws.OpContinuation:
			if h.OpCode != ws.OpContinuation && frag != nil {
				return nil, errors.New("new message inside a fragmented one")
			}
			if h.Fin && frag == nil {
				return p, nil
			}
			frag = append(frag, p...)
			if h.Fin {
				return frag, nil
			}
		default:
			return nil, fmt.Errorf("unknown opcode %d", h.OpCode)
		}
	}
}

// ReadFrame reads and decodes the next text message; raw is its payload.
func (c *Conn) ReadFrame() (f Frame, raw []byte, err error) {
	raw, err = c.ReadMessage()
	if err != nil {
		return Frame{}, nil, err
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return Frame{}, raw, fmt.Errorf("bad frame from server %q: %w", raw, err)
	}
	return f, raw, nil
}

// WriteText sends b as one masked text frame.
func (c *Conn) WriteText(b []byte) error { return c.write(ws.OpText, b) }

// WriteClose sends a close frame with code and reason.
func (c *Conn) WriteClose(code uint16, reason string) error {
	return c.write(ws.OpClose, ws.NewCloseFrameBody(ws.StatusCode(code), reason))
}

func (c *Conn) write(op ws.OpCode, p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.wto))
	return wsutil.WriteClientMessage(c.nc, op, p)
}

// Close closes the socket without a close frame.
func (c *Conn) Close() error { return c.nc.Close() }

// NetConn is the socket, for deadlines and for tools that take it over.
func (c *Conn) NetConn() net.Conn { return c.nc }

// Reader is the buffered reader in front of the socket: a tool that takes
// the socket over must consume what it already holds first.
func (c *Conn) Reader() *bufio.Reader { return c.br }
