package main

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gobwas/ws"
)

// The floor is the bare server of the performance issue: it speaks just
// enough of docs/PROTOCOL.md for the load tool (§3.1 upgrade and welcome,
// §3.2 join/leave/ping, §3.3 ok/event/pong, §10 POST /v1/publish) and
// does the least work a router can: a goroutine per connection reads its
// frames, and a publish encodes each event frame once and writes it to
// every member of its room, one write(2) per member per event, from the
// HTTP handler, with no queue, no history, no presence and no API key
// check. Tokens are HS256-verified (signature and exp; one HMAC-SHA256,
// as Switchboard does), so the connect figure includes a JWT check. The
// same client code measures both servers: the frames are the same.

// floorServer is one floor instance.
type floorServer struct {
	secret []byte
	srv    *http.Server
	seq    atomic.Uint64 // one sequence for all rooms, as §7 says
	nconn  atomic.Uint64

	mu    sync.RWMutex
	rooms map[string]*floorRoom
	conns map[*floorConn]struct{}
}

type floorRoom struct {
	mu      sync.Mutex
	members atomic.Pointer[[]*floorConn] // copy on write
}

type floorConn struct {
	nc    net.Conn
	wmu   sync.Mutex // one writer at a time: publishes and the reader
	user  string
	rooms map[string]*floorRoom // owned by the reader goroutine
}

func newFloor(secret string) *floorServer {
	f := &floorServer{secret: []byte(secret), rooms: map[string]*floorRoom{}, conns: map[*floorConn]struct{}{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/ws", f.serveWS)
	mux.HandleFunc("POST /v1/publish", f.publish)
	mux.HandleFunc("GET /metrics", f.metrics)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	f.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(slog.DiscardHandler, 0)}
	return f
}

// serve serves on ln until close.
func (f *floorServer) serve(ln net.Listener) error {
	err := f.srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// close stops listening and drops every connection (no close frame: the
// clients see a broken connection, like a killed server).
func (f *floorServer) close() {
	_ = f.srv.Close()
	f.mu.Lock()
	for c := range f.conns {
		c.nc.Close()
	}
	f.mu.Unlock()
}

// verify checks an HS256 token's signature and exp and returns its sub.
func (f *floorServer) verify(tok string) (string, bool) {
	i := strings.IndexByte(tok, '.')
	j := strings.LastIndexByte(tok, '.')
	if i < 0 || j <= i {
		return "", false
	}
	sig, err := base64.RawURLEncoding.DecodeString(tok[j+1:])
	if err != nil {
		return "", false
	}
	m := hmac.New(sha256.New, f.secret)
	m.Write([]byte(tok[:j]))
	if !hmac.Equal(m.Sum(nil), sig) {
		return "", false
	}
	payload, err := base64.RawURLEncoding.DecodeString(tok[i+1 : j])
	if err != nil {
		return "", false
	}
	var cl struct {
		Sub string `json:"sub"`
		Exp int64  `json:"exp"`
	}
	if json.Unmarshal(payload, &cl) != nil || cl.Sub == "" || (cl.Exp > 0 && time.Now().Unix() >= cl.Exp) {
		return "", false
	}
	return cl.Sub, true
}

func (f *floorServer) serveWS(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token") // §1: ?token= or a Bearer header
	if h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		tok = h
	}
	user, ok := f.verify(tok)
	if !ok {
		http.Error(w, `{"error":{"code":"unauthorized","message":"no valid token"}}`, http.StatusUnauthorized)
		return
	}
	nc, rw, _, err := ws.UpgradeHTTP(r, w)
	if err != nil {
		return
	}
	c := &floorConn{nc: nc, user: user, rooms: map[string]*floorRoom{}}
	f.mu.Lock()
	f.conns[c] = struct{}{}
	f.mu.Unlock()
	go f.read(c, rw.Reader)
	welcome, _ := json.Marshal(map[string]string{"op": "welcome", "conn": "c" + strconv.FormatUint(f.nconn.Add(1), 10), "user": user})
	c.writeText(welcome)
}

// writeText sends one unmasked text frame.
func (c *floorConn) writeText(p []byte) {
	b, _ := ws.CompileFrame(ws.NewTextFrame(p))
	c.write(b)
}

func (c *floorConn) write(b []byte) {
	c.wmu.Lock()
	_, _ = c.nc.Write(b)
	c.wmu.Unlock()
}

// read handles c's frames until it ends, then takes it out of its rooms.
func (f *floorServer) read(c *floorConn, br *bufio.Reader) {
	defer func() {
		for _, rm := range c.rooms {
			rm.remove(c)
		}
		f.mu.Lock()
		delete(f.conns, c)
		f.mu.Unlock()
		c.nc.Close()
	}()
	if br == nil || br.Buffered() == 0 {
		br = bufio.NewReaderSize(c.nc, 512)
	}
	var msg []byte
	for {
		h, err := ws.ReadHeader(br)
		if err != nil || h.Length > 64<<10 {
			return
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(br, p); err != nil {
			return
		}
		if h.Masked {
			ws.Cipher(p, h.Mask, 0)
		}
		switch h.OpCode {
		case ws.OpClose:
			b, _ := ws.CompileFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, "")))
			c.write(b)
			return
		case ws.OpPing:
			b, _ := ws.CompileFrame(ws.NewPongFrame(p))
			c.write(b)
			continue
		case ws.OpPong:
			continue
		case ws.OpContinuation:
			msg = append(msg, p...)
		default:
			msg = p
		}
		if h.Fin {
			f.handle(c, msg)
			msg = nil
		}
	}
}

// handle answers one client frame (§3.2): join → ok with seq, or
// recovered:false with since (the floor keeps no history); leave → ok;
// ping → pong; refresh → ok.
func (f *floorServer) handle(c *floorConn, p []byte) {
	var fr struct {
		Op    string          `json:"op"`
		Room  string          `json:"room"`
		Ref   json.RawMessage `json:"ref"`
		Since *uint64         `json:"since"`
	}
	if json.Unmarshal(p, &fr) != nil {
		c.writeText([]byte(`{"op":"error","code":"bad_request","message":"not a JSON object"}`))
		return
	}
	ref := fr.Ref
	if len(ref) == 0 {
		ref = json.RawMessage("null")
	}
	room, _ := json.Marshal(fr.Room)
	switch fr.Op {
	case "join":
		if fr.Room == "" || c.rooms[fr.Room] != nil {
			c.writeText(fmt.Appendf(nil, `{"op":"error","ref":%s,"code":"bad_request","message":"bad or repeated join"}`, ref))
			return
		}
		rm := f.room(fr.Room)
		c.rooms[fr.Room] = rm
		seq := f.seq.Load()
		rm.add(c)
		if fr.Since != nil {
			c.writeText(fmt.Appendf(nil, `{"op":"ok","ref":%s,"room":%s,"recovered":false}`, ref, room))
		} else {
			c.writeText(fmt.Appendf(nil, `{"op":"ok","ref":%s,"room":%s,"seq":%d}`, ref, room, seq))
		}
	case "leave":
		if rm := c.rooms[fr.Room]; rm != nil {
			rm.remove(c)
			delete(c.rooms, fr.Room)
		}
		c.writeText(fmt.Appendf(nil, `{"op":"ok","ref":%s,"room":%s}`, ref, room))
	case "ping":
		c.writeText(fmt.Appendf(nil, `{"op":"pong","ref":%s}`, ref))
	case "refresh":
		c.writeText(fmt.Appendf(nil, `{"op":"ok","ref":%s}`, ref))
	default:
		c.writeText(fmt.Appendf(nil, `{"op":"error","ref":%s,"code":"bad_request","message":"unknown op"}`, ref))
	}
}

func (f *floorServer) room(name string) *floorRoom {
	f.mu.RLock()
	rm := f.rooms[name]
	f.mu.RUnlock()
	if rm != nil {
		return rm
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if rm = f.rooms[name]; rm == nil {
		rm = &floorRoom{}
		f.rooms[name] = rm
	}
	return rm
}

func (r *floorRoom) add(c *floorConn) {
	r.mu.Lock()
	var old []*floorConn
	if p := r.members.Load(); p != nil {
		old = *p
	}
	next := make([]*floorConn, len(old), len(old)+1)
	copy(next, old)
	next = append(next, c)
	r.members.Store(&next)
	r.mu.Unlock()
}

func (r *floorRoom) remove(c *floorConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.members.Load()
	if p == nil {
		return
	}
	next := make([]*floorConn, 0, len(*p))
	for _, m := range *p {
		if m != c {
			next = append(next, m)
		}
	}
	r.members.Store(&next)
}

// floorEvent is one event of a publish body (§10).
type floorEvent struct {
	Rooms   []string        `json:"rooms"`
	Type    string          `json:"type"`
	Data    json.RawMessage `json:"data"`
	ID      string          `json:"id"`
	Subject string          `json:"subject"`
	Actor   string          `json:"actor"`
}

// publish takes one event or an array of them and delivers each at once.
func (f *floorServer) publish(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, `{"error":{"code":"bad_request","message":"read body"}}`, http.StatusBadRequest)
		return
	}
	var evs []floorEvent
	batch := len(bytes.TrimSpace(body)) > 0 && bytes.TrimSpace(body)[0] == '['
	if batch {
		err = json.Unmarshal(body, &evs)
	} else {
		evs = make([]floorEvent, 1)
		err = json.Unmarshal(body, &evs[0])
	}
	if err != nil || len(evs) == 0 {
		http.Error(w, `{"error":{"code":"bad_request","message":"malformed body"}}`, http.StatusBadRequest)
		return
	}
	corr := r.Header.Get("X-Correlation-Id")
	if corr == "" {
		corr = "floor"
	}
	for _, e := range evs { // all checked before any is delivered
		if len(e.Rooms) == 0 || e.Type == "" || len(e.Data) == 0 {
			http.Error(w, `{"error":{"code":"bad_request","message":"an event needs rooms, type and data"}}`, http.StatusBadRequest)
			return
		}
	}
	results := make([]map[string]any, len(evs))
	for k, e := range evs {
		if e.ID == "" {
			e.ID = "f" + strconv.FormatUint(f.seq.Load()+1, 10)
		}
		seqs := map[string]uint64{}
		for _, name := range e.Rooms {
			seq := f.seq.Add(1)
			seqs[name] = seq
			f.deliver(name, seq, &e, corr)
		}
		results[k] = map[string]any{"id": e.ID, "seqs": seqs, "duplicate": false}
	}
	w.Header().Set("Content-Type", "application/json")
	if batch {
		_ = json.NewEncoder(w).Encode(map[string]any{"results": results})
	} else {
		_ = json.NewEncoder(w).Encode(results[0])
	}
}

// deliver encodes the event frame of room once (§3.3, the envelope of §5)
// and writes it to each member.
func (f *floorServer) deliver(room string, seq uint64, e *floorEvent, corr string) {
	f.mu.RLock()
	rm := f.rooms[room]
	f.mu.RUnlock()
	if rm == nil {
		return
	}
	mp := rm.members.Load()
	if mp == nil || len(*mp) == 0 {
		return
	}
	var b bytes.Buffer
	b.WriteString(`{"op":"event","room":`)
	q, _ := json.Marshal(room)
	b.Write(q)
	fmt.Fprintf(&b, `,"seq":%d,"event":{"specversion":"1.0","id":`, seq)
	q, _ = json.Marshal(e.ID)
	b.Write(q)
	b.WriteString(`,"source":"switchboard/api","type":`)
	q, _ = json.Marshal(e.Type)
	b.Write(q)
	b.WriteString(`,"time":"`)
	b.WriteString(time.Now().UTC().Format("2006-01-02T15:04:05.000Z"))
	b.WriteString(`","correlationid":`)
	q, _ = json.Marshal(corr)
	b.Write(q)
	b.WriteString(`,"datacontenttype":"application/json","data":`)
	b.Write(e.Data)
	b.WriteString("}}")
	frame, _ := ws.CompileFrame(ws.NewTextFrame(b.Bytes()))
	for _, c := range *mp {
		c.write(frame)
	}
}

// metrics serves the two process gauges the tool reads when it has no
// PID (an in-process floor in tests).
func (f *floorServer) metrics(w http.ResponseWriter, _ *http.Request) {
	rss := selfRSS()
	cpu := selfCPU()
	fmt.Fprintf(w, "process_resident_memory_bytes %d\nprocess_cpu_seconds_total %g\nswitchboard_connections %d\n",
		rss, cpu.Seconds(), f.connCount())
}

func (f *floorServer) connCount() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return len(f.conns)
}

// runFloor is the `floor` subcommand: it serves until SIGINT or SIGTERM
// and prints "listening on http://ADDR" once it accepts connections.
func runFloor(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on (loopback only)")
	secret := fs.String("secret", "dev-only-insecure-jwt-secret-change-me", "HS256 secret tokens are verified with")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil || !isLoopback(host) {
		return usageErr(stderr, "floor", fmt.Errorf("--listen: want a loopback HOST:PORT, got %q", *listen))
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fail(stderr, "floor", err)
	}
	f := newFloor(*secret)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() { <-sig; f.close() }()
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	if err := f.serve(ln); err != nil {
		return fail(stderr, "floor", err)
	}
	return exitOK
}
