package sbclient

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/switchboard-rt/switchboard/schema/wire"
)

// Options configure a Client. Only URL and Token are required. The On*
// callbacks run on the client's reading goroutine, one at a time and in
// the order things happen; a callback that blocks holds up reading (and a
// client that reads too slowly is cut off by the server, then resumes).
type Options struct {
	// URL is the server's base URL (http[s]://HOST[/PREFIX]) or its
	// WebSocket endpoint (ws[s]://HOST/v1/ws).
	URL string
	// Token is the client JWT, sent as "Authorization: Bearer TOKEN".
	Token string
	// SSE selects Server-Sent Events instead of WebSocket. An SSE stream's
	// rooms are fixed when it opens: Join, Leave and Ping are WebSocket only.
	SSE bool
	// MinBackoff and MaxBackoff bound the wait before a reconnect; it
	// doubles after each failed attempt, with jitter. 0 means 250 ms and 5 s.
	MinBackoff, MaxBackoff time.Duration
	// IdleTimeout is how long a connection may stay silent before it is
	// taken as dead and replaced; the server pings (WebSocket) or sends a
	// keepalive (SSE) well within it. 0 means 90 s.
	IdleTimeout time.Duration
	// DialTimeout bounds each connection attempt and each write; 0 means 10 s.
	DialTimeout time.Duration
	// HTTPClient makes SSE requests; nil means http.DefaultClient.
	HTTPClient *http.Client

	// OnEvent receives each event once, in order. Stored events carry
	// their room's seq; live-only ones (presence.*, access.revoked) have
	// Seq 0.
	OnEvent func(Event)
	// OnConnect runs when a connection is up, before its rooms are joined.
	OnConnect func(Connected)
	// OnJoin runs when a room is joined, on every (re)connect.
	OnJoin func(Joined)
	// OnDisconnect runs when a connection is lost and the client will try
	// again after retryIn.
	OnDisconnect func(err error, retryIn time.Duration)
	// OnServerError receives error frames that answer no call of this
	// client (a bad frame, a rate limit).
	OnServerError func(*wire.Error)
}

func (o *Options) defaults() {
	if o.MinBackoff <= 0 {
		o.MinBackoff = 250 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 90 * time.Second
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 10 * time.Second
	}
}

// Room is a room to join when the client connects.
type Room struct {
	Name string // kind:id
	// Since, when set, replays the room's stored events with a seq above
	// it before live ones. Nil joins live from now.
	Since *uint64
}

// Event is one event delivered to the client.
type Event struct {
	Room  string
	Seq   uint64 // position in history; 0 for live-only events
	ID    string // the CloudEvent's id
	Type  string // the CloudEvent's type
	Cloud json.RawMessage
}

// Connected tells that a connection is up.
type Connected struct {
	URL  string // the endpoint
	User string // the token's sub (WebSocket only)
	Conn string // the connection id (WebSocket only)
}

// Joined tells that a room is joined.
type Joined struct {
	Room string
	// Since is the seq the join resumed from; nil for a live join.
	Since *uint64
	// Recovered, for a join with Since, reports whether history still
	// reached back that far: false means events were missed.
	Recovered bool
	// Seq, for a live join on a WebSocket, is the history position at the
	// join: a reconnect resumes from it.
	Seq uint64
}

// Endpoints derives the WebSocket and SSE endpoints from a base URL
// (http[s]://HOST[/PREFIX] gets /v1/ws and /v1/sse) or from a ws[s]://
// WebSocket endpoint.
func Endpoints(base string) (wsURL, sseURL string, err error) {
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
