package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/switchboard-rt/switchboard/clients/go/sbclient"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

func cmdListen(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return listen(ctx, args, stdout, stderr)
}

// endpoints derives the WebSocket and SSE URLs from --url.
func endpoints(base string) (wsURL, sseURL string, err error) { return sbclient.Endpoints(base) }

// httpError reads an HTTP error answer (publish uses it too).
func httpError(status int, body io.Reader) error { return sbclient.ReadHTTPError(status, body) }

func listen(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("listen", "ROOM...", stdout, stderr)
	base := fs.String("url", defaultURL(), "server base URL (http[s]://HOST) or a ws[s]:// endpoint (default $SWITCHBOARD_URL, else "+fallbackURL+")")
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
	if _, _, err := endpoints(*base); err != nil {
		return usageErr(fs, "--url: %v", err)
	}
	var from *uint64
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "since" {
			from = since
		}
	})
	rooms := make([]sbclient.Room, 0, fs.NArg())
	for _, r := range fs.Args() {
		rooms = append(rooms, sbclient.Room{Name: r, Since: from})
	}
	p := &printer{stdout: stdout, stderr: stderr, count: *count, full: make(chan struct{})}
	opts := sbclient.Options{URL: *base, Token: *token, SSE: *sse, OnEvent: p.event,
		OnConnect: func(c sbclient.Connected) {
			if c.User != "" {
				p.logf("connected to %s as %s", c.URL, c.User)
			} else {
				p.logf("connected to %s", c.URL)
			}
		},
		OnJoin: func(j sbclient.Joined) {
			if !*sse { // an SSE stream has no join answer to report
				p.logf("joined %s", j.Room)
			}
			if j.Since != nil && !j.Recovered {
				p.logf("warning: %s: history no longer reaches back to seq %d; events were missed", j.Room, *j.Since)
			}
		},
		OnDisconnect: func(err error, retryIn time.Duration) {
			p.logf("%v; reconnecting in %s", err, retryIn.Round(time.Millisecond))
		},
		OnServerError: func(e *wire.Error) { p.logf("server error: %s", e) },
	}
	c, err := sbclient.Dial(ctx, opts, rooms...)
	if err != nil {
		if ctx.Err() != nil {
			return exitOK
		}
		p.logf("%v", err)
		return exitFail
	}
	defer c.Close()
	select {
	case <-ctx.Done():
		return exitOK
	case <-p.full:
		c.Close()
		if err := p.failed(); err != nil {
			p.logf("%v", err)
			return exitFail
		}
		return exitOK
	case <-c.Done():
		if err := c.Err(); err != nil {
			p.logf("%v", err)
			return exitFail
		}
		return exitOK
	}
}

// printer prints each event as one JSON line and counts them.
type printer struct {
	stdout, stderr io.Writer
	count, seen    int
	full           chan struct{} // closed when --count is reached or stdout fails
	once           sync.Once
	mu             sync.Mutex
	err            error
}

// output is one printed line.
type output struct {
	Room  string          `json:"room"`
	Seq   uint64          `json:"seq,omitempty"`
	Event json.RawMessage `json:"event"`
}

// event runs on the client's goroutine, one event at a time.
func (p *printer) event(e sbclient.Event) {
	select {
	case <-p.full:
		return
	default:
	}
	b, _ := json.Marshal(output{Room: e.Room, Seq: e.Seq, Event: e.Cloud})
	if _, err := p.stdout.Write(append(b, '\n')); err != nil {
		p.stop(fmt.Errorf("writing output: %w", err))
		return
	}
	if e.Seq > 0 {
		p.seen++
		if p.count > 0 && p.seen >= p.count {
			p.stop(nil)
		}
	}
}

func (p *printer) stop(err error) {
	p.once.Do(func() {
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(p.full)
	})
}

func (p *printer) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *printer) logf(format string, args ...any) {
	fmt.Fprintf(p.stderr, "switchboard listen: "+format+"\n", args...)
}
