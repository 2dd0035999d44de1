package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

const (
	backoffMin  = 250 * time.Millisecond
	backoffMax  = 5 * time.Second
	readIdle    = 90 * time.Second // server pings every 25s and SSE keepalives every 15s by default
	dialTimeout = 10 * time.Second
)

// errDone ends listening once --count events were printed.
var errDone = errors.New("count reached")

// fatalError ends listening without reconnecting.
type fatalError struct{ msg string }

func (e *fatalError) Error() string { return e.msg }

// listener is one `switchboard listen` run.
type listener struct {
	rooms         []string
	token         string
	wsURL, sseURL string
	sse           bool
	count, seen   int
	last          map[string]uint64 // last seq printed per room: rejoin with since
	lastID        string            // SSE Last-Event-ID
	retry         time.Duration     // SSE retry: field
	stdout        io.Writer
	stderr        io.Writer
}

func cmdListen(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return listen(ctx, args, stdout, stderr)
}

func listen(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("listen", "ROOM...", stdout, stderr)
	base := fs.String("url", "http://localhost:8080", "server base URL (http[s]://HOST) or a ws[s]:// endpoint")
	token := fs.String("token", "", "client JWT (default $SWITCHBOARD_TOKEN)")
	since := fs.Uint64("since", 0, "start after this seq in every room (replays history)")
	sse := fs.Bool("sse", false, "use Server-Sent Events instead of WebSocket")
	count := fs.Int("count", 0, "exit after printing this many non-presence events (0: run until interrupted)")
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	if *token == "" {
		*token = os.Getenv("SWITCHBOARD_TOKEN")
	}
	switch {
	case *token == "":
		return usageErr(fs, "--token (or $SWITCHBOARD_TOKEN) is required")
	case fs.NArg() == 0:
		return usageErr(fs, "at least one ROOM is required")
	case *count < 0:
		return usageErr(fs, "--count must not be negative")
	}
	l := &listener{rooms: fs.Args(), token: *token, sse: *sse, count: *count,
		last: map[string]uint64{}, stdout: stdout, stderr: stderr}
	var err error
	if l.wsURL, l.sseURL, err = endpoints(*base); err != nil {
		return usageErr(fs, "--url: %v", err)
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "since" {
			for _, r := range l.rooms {
				l.last[r] = *since
			}
			l.lastID = strconv.FormatUint(*since, 10)
		}
	})
	return l.run(ctx)
}

// endpoints derives the WebSocket and SSE URLs from --url.
func endpoints(base string) (wsURL, sseURL string, err error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil {
		return "", "", err
	}
	w, s := *u, *u
	switch u.Scheme {
	case "http", "https":
		w.Scheme = "ws" + strings.TrimPrefix(u.Scheme, "http")
		w.Path, s.Path = u.Path+"/v1/ws", u.Path+"/v1/sse"
	case "ws", "wss":
		s.Scheme = "http" + strings.TrimPrefix(u.Scheme, "ws")
		if u.Path == "" {
			w.Path = "/v1/ws"
		}
		s.Path = "/v1/sse"
		if strings.HasSuffix(w.Path, "/v1/ws") {
			s.Path = strings.TrimSuffix(w.Path, "/v1/ws") + "/v1/sse"
		}
	default:
		return "", "", fmt.Errorf("want an http, https, ws or wss URL, got %q", base)
	}
	if u.Host == "" {
		return "", "", fmt.Errorf("no host in %q", base)
	}
	return w.String(), s.String(), nil
}

// run connects, and reconnects with capped exponential backoff until the
// count is reached, a fatal error happens or ctx ends.
func (l *listener) run(ctx context.Context) int {
	delay, ever := backoffMin, false
	for {
		var up bool
		var err error
		if l.sse {
			up, err = l.sseSession(ctx)
		} else {
			up, err = l.wsSession(ctx)
		}
		var fe *fatalError
		switch {
		case errors.Is(err, errDone) || ctx.Err() != nil:
			return exitOK
		case errors.As(err, &fe):
			fmt.Fprintf(l.stderr, "switchboard listen: %s\n", fe.msg)
			return exitFail
		case !up && !ever:
			fmt.Fprintf(l.stderr, "switchboard listen: %v\n", err)
			return exitFail
		}
		if up {
			ever, delay = true, max(backoffMin, min(l.retry, backoffMax))
		}
		fmt.Fprintf(l.stderr, "switchboard listen: %v; reconnecting in %s\n", err, delay)
		select {
		case <-ctx.Done():
			return exitOK
		case <-time.After(delay):
		}
		delay = min(2*delay, backoffMax)
	}
}

// output is one printed line.
type output struct {
	Room  string          `json:"room"`
	Seq   uint64          `json:"seq,omitempty"`
	Event json.RawMessage `json:"event"`
}

// print writes o as one JSON line unless it was printed before, and
// returns errDone when the count is reached.
func (l *listener) print(o output) error {
	if o.Seq > 0 {
		if last, ok := l.last[o.Room]; ok && o.Seq <= last {
			return nil // replayed twice: never print a duplicate
		}
		l.last[o.Room] = o.Seq
	}
	b, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("bad event from server: %w", err)
	}
	if _, err := l.stdout.Write(append(b, '\n')); err != nil {
		return &fatalError{"writing output: " + err.Error()}
	}
	if o.Seq > 0 {
		l.seen++
		if l.count > 0 && l.seen >= l.count {
			return errDone
		}
	}
	return nil
}

// httpError reads an error answer {"error":{"code","message"}}; 4xx
// answers other than 408 and 429 are fatal.
func httpError(status int, body io.Reader) error {
	b, _ := io.ReadAll(io.LimitReader(body, 64<<10))
	var e struct {
		Error struct{ Code, Message string }
	}
	msg := strings.TrimSpace(string(b))
	if json.Unmarshal(b, &e) == nil && e.Error.Code != "" {
		msg = e.Error.Code + ": " + e.Error.Message
	}
	msg = fmt.Sprintf("HTTP %d: %s", status, msg)
	if status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests {
		return &fatalError{msg}
	}
	return errors.New(msg)
}

// idleConn reads with a deadline renewed on every read; stop interrupts a
// blocked read for good.
type idleConn struct {
	net.Conn
	stopped chan struct{}
}

func (c *idleConn) Read(p []byte) (int, error) {
	select {
	case <-c.stopped:
		return 0, context.Canceled
	default:
	}
	_ = c.SetReadDeadline(time.Now().Add(readIdle))
	select {
	case <-c.stopped: // stop may have run between the check and the deadline
		return 0, context.Canceled
	default:
	}
	return c.Conn.Read(p)
}

func (c *idleConn) Write(p []byte) (int, error) {
	_ = c.SetWriteDeadline(time.Now().Add(dialTimeout))
	return c.Conn.Write(p)
}

func (c *idleConn) stop() {
	close(c.stopped)
	_ = c.SetReadDeadline(time.Unix(1, 0))
}

// frame is a server WebSocket frame (CONTRACT §6).
type frame struct {
	Op        string          `json:"op"`
	Ref       string          `json:"ref"`
	Room      string          `json:"room"`
	Seq       uint64          `json:"seq"`
	Recovered *bool           `json:"recovered"`
	Code      string          `json:"code"`
	Message   string          `json:"message"`
	User      string          `json:"user"`
	Event     json.RawMessage `json:"event"`
}

// wsSession runs one WebSocket connection; up reports that every room was
// joined. All writes happen on this goroutine.
func (l *listener) wsSession(ctx context.Context) (up bool, err error) {
	var statusErr error
	d := ws.Dialer{Timeout: dialTimeout, OnStatusError: func(status int, _ []byte, r io.Reader) {
		if resp, err := http.ReadResponse(bufio.NewReader(r), nil); err == nil {
			statusErr = httpError(status, resp.Body)
		}
	}}
	u, _ := url.Parse(l.wsURL)
	q := u.Query()
	q.Set("token", l.token)
	u.RawQuery = q.Encode()
	nc, br, _, err := d.Dial(ctx, u.String())
	if err != nil {
		if statusErr != nil {
			return false, statusErr
		}
		return false, err
	}
	c := &idleConn{Conn: nc, stopped: make(chan struct{})}
	defer c.Close()
	defer context.AfterFunc(ctx, c.stop)()
	var rd io.Reader = c
	if br != nil { // the handshake reader may already hold the welcome
		pre, _ := br.Peek(br.Buffered())
		rd = io.MultiReader(strings.NewReader(string(pre)), c)
		ws.PutReader(br)
	}
	rw := struct {
		io.Reader
		io.Writer
	}{bufio.NewReader(rd), c}
	err = l.wsLoop(rw, &up)
	if ctx.Err() != nil || errors.Is(err, errDone) {
		_ = wsutil.WriteClientMessage(c, ws.OpClose, ws.NewCloseFrameBody(ws.StatusNormalClosure, ""))
	}
	var ce wsutil.ClosedError
	if errors.As(err, &ce) {
		err = fmt.Errorf("server closed the connection (%d %s)", ce.Code, ce.Reason)
	}
	return up, err
}

func (l *listener) wsLoop(rw io.ReadWriter, up *bool) error {
	pending := map[string]bool{}
	for {
		b, _, err := wsutil.ReadServerData(rw)
		if err != nil {
			return err
		}
		var f frame
		if err := json.Unmarshal(b, &f); err != nil {
			return fmt.Errorf("bad frame from server %q: %v", b, err)
		}
		switch f.Op {
		case "welcome":
			fmt.Fprintf(l.stderr, "switchboard listen: connected to %s as %s\n", l.wsURL, f.User)
			for _, r := range l.rooms {
				j := map[string]any{"op": "join", "room": r, "ref": r}
				if s, ok := l.last[r]; ok {
					j["since"] = s
				}
				b, _ := json.Marshal(j)
				if err := wsutil.WriteClientText(rw, b); err != nil {
					return err
				}
				pending[r] = true
			}
		case "ok":
			if !pending[f.Ref] {
				continue
			}
			delete(pending, f.Ref)
			fmt.Fprintf(l.stderr, "switchboard listen: joined %s\n", f.Ref)
			if _, ok := l.last[f.Ref]; !ok && f.Recovered == nil {
				// A join without since answers with the history position:
				// resuming from it after a drop misses nothing.
				l.last[f.Ref] = f.Seq
			}
			if f.Recovered != nil && !*f.Recovered {
				fmt.Fprintf(l.stderr, "switchboard listen: warning: %s: history no longer reaches back to seq %d; events were missed\n", f.Ref, l.last[f.Ref])
			}
			*up = *up || len(pending) == 0
		case "error":
			if pending[f.Ref] {
				msg := fmt.Sprintf("join %s: %s: %s", f.Ref, f.Code, f.Message)
				if f.Code == "internal" || f.Code == "rate_limited" {
					return errors.New(msg) // may pass: reconnect
				}
				return &fatalError{msg}
			}
			fmt.Fprintf(l.stderr, "switchboard listen: server error: %s: %s\n", f.Code, f.Message)
		case "event":
			if err := l.print(output{Room: f.Room, Seq: f.Seq, Event: f.Event}); err != nil {
				return err
			}
		}
	}
}

// sseSession runs one SSE stream; up reports that the stream started.
func (l *listener) sseSession(ctx context.Context) (up bool, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	u, _ := url.Parse(l.sseURL)
	q := u.Query()
	q["room"] = l.rooms
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return false, &fatalError{err.Error()}
	}
	req.Header.Set("Authorization", "Bearer "+l.token)
	req.Header.Set("Accept", "text/event-stream")
	if l.lastID != "" {
		req.Header.Set("Last-Event-ID", l.lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, httpError(resp.StatusCode, resp.Body)
	}
	fmt.Fprintf(l.stderr, "switchboard listen: connected to %s\n", l.sseURL)
	idle := time.AfterFunc(readIdle, func() { cancel(fmt.Errorf("nothing received for %s", readIdle)) })
	defer idle.Stop()
	br := bufio.NewReader(resp.Body)
	var id, typ, data string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if err == io.EOF {
				err = errors.New("stream ended")
			} else if cause := context.Cause(ctx); cause != nil {
				err = cause
			}
			return true, err
		}
		idle.Reset(readIdle)
		line = strings.TrimRight(line, "\r\n")
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			id = value
		case "event":
			typ = value
		case "data":
			data += value + "\n"
		case "retry":
			if ms, err := strconv.Atoi(value); err == nil {
				l.retry = time.Duration(ms) * time.Millisecond
			}
		case "": // a blank line dispatches; a comment has an empty field
			if line != "" {
				continue
			}
			if data != "" {
				if err := l.sseEvent(id, typ, data); err != nil {
					return true, err
				}
			} else if id != "" {
				l.lastID = id // an id-only block moves the resume point
			}
			id, typ, data = "", "", ""
		}
	}
}

func (l *listener) sseEvent(id, typ, data string) error {
	if typ == "error" {
		var e struct{ Code, Message string }
		_ = json.Unmarshal([]byte(data), &e)
		return &fatalError{fmt.Sprintf("%s: %s", e.Code, e.Message)}
	}
	var o output
	if err := json.Unmarshal([]byte(data), &o); err != nil {
		return fmt.Errorf("bad event from server %q: %v", data, err)
	}
	if err := l.print(o); err != nil {
		return err
	}
	if id != "" {
		l.lastID = id
	}
	return nil
}
