package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// cfServer speaks the part of Centrifugo's protocol the tool uses, as
// Centrifugo 6.9.1 answers it (see centrifugo.go): connect and subscribe
// replies, a ping ({}) after every subscribe that wants {} back, pushes
// of a batch sent as one message of several lines, and the HTTP API's
// publish and batch.
type cfServer struct {
	mu    sync.Mutex
	subs  map[string][]*cfConn
	pongs atomic.Int64
}

type cfConn struct {
	mu sync.Mutex
	nc net.Conn
}

func (c *cfConn) send(p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = wsutil.WriteServerText(c.nc, p)
}

func startCFServer(t *testing.T) (*cfServer, string) {
	t.Helper()
	s := &cfServer{subs: map[string][]*cfConn{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+centrifugoWSPath, s.ws)
	mux.HandleFunc("POST /api/publish", s.api)
	mux.HandleFunc("POST /api/batch", s.api)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s, "http://" + ln.Addr().String()
}

func (s *cfServer) ws(w http.ResponseWriter, r *http.Request) {
	nc, _, _, err := ws.UpgradeHTTP(r, w)
	if err != nil {
		return
	}
	c := &cfConn{nc: nc}
	go func() {
		defer nc.Close()
		connected := false
		for {
			msg, _, err := wsutil.ReadClientData(nc)
			if err != nil {
				return
			}
			if string(msg) == "{}" {
				s.pongs.Add(1)
				continue
			}
			var cmd struct {
				ID        int `json:"id"`
				Connect   *struct{ Token string }
				Subscribe *struct{ Channel string }
			}
			if json.Unmarshal(msg, &cmd) != nil {
				return
			}
			id := strconv.Itoa(cmd.ID)
			switch {
			case cmd.Connect != nil && strings.Count(cmd.Connect.Token, ".") == 2:
				connected = true
				c.send([]byte(`{"id":` + id + `,"connect":{"client":"x","version":"6.9.1","ping":25,"pong":true}}`))
			case cmd.Subscribe != nil && connected:
				s.mu.Lock()
				s.subs[cmd.Subscribe.Channel] = append(s.subs[cmd.Subscribe.Channel], c)
				s.mu.Unlock()
				c.send([]byte(`{"id":` + id + `,"subscribe":{}}` + "\n{}"))
			default:
				c.send([]byte(`{"id":` + id + `,"error":{"code":101,"message":"unauthorized"}}`))
			}
		}
	}()
}

func (s *cfServer) api(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-API-Key") != "dev-only-insecure-api-key" {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	type pub struct {
		Channel string          `json:"channel"`
		Data    json.RawMessage `json:"data"`
	}
	var pubs []pub
	if strings.HasSuffix(r.URL.Path, "/batch") {
		var b struct {
			Commands []struct{ Publish pub } `json:"commands"`
		}
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, c := range b.Commands {
			pubs = append(pubs, c.Publish)
		}
	} else {
		var p pub
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		pubs = append(pubs, p)
	}
	// Each member gets the call's pushes in one message, a line each.
	lines := map[*cfConn][][]byte{}
	var order []*cfConn
	s.mu.Lock()
	for _, p := range pubs {
		for _, c := range s.subs[p.Channel] {
			if lines[c] == nil {
				order = append(order, c)
			}
			lines[c] = append(lines[c], []byte(`{"push":{"channel":`+strconv.Quote(p.Channel)+`,"pub":{"data":`+string(p.Data)+`}}}`))
		}
	}
	s.mu.Unlock()
	for _, c := range order {
		c.send(bytes.Join(lines[c], []byte{'\n'}))
	}
	_, _ = w.Write([]byte(`{"result":{}}`))
}

// TestCentrifugoFanoutExact: 2 rooms of 5 through the Centrifugo protocol,
// 20 events: exactly 100 deliveries, and every ping answered.
func TestCentrifugoFanoutExact(t *testing.T) {
	s, url := startCFServer(t)
	r := runJSON(t, "fanout", "--protocol", "centrifugo", "--url", url, "--rooms", "2", "--members", "5", "--rate", "40", "--duration", "500ms")
	want(t, r, "conns_joined", 10)
	want(t, r, "events_published", 20)
	want(t, r, "deliveries", 100)
	wantClean(t, r)
	if got := s.pongs.Load(); got != 10 {
		t.Errorf("pongs %d, want 10 (one per subscribe's ping)", got)
	}
}

// TestCentrifugoBurstBatches: batches go through /api/batch and arrive as
// one message of several lines; every member holds every event.
func TestCentrifugoBurstBatches(t *testing.T) {
	_, url := startCFServer(t)
	r := runJSON(t, "burst", "--protocol", "centrifugo", "--url", url, "--members", "10", "--events", "45", "--batch", "20")
	want(t, r, "publish_calls", 3)
	want(t, r, "members_complete", 10)
	want(t, r, "deliveries", 450)
	want(t, r, "missing", 0)
	want(t, r, "duplicates", 0)
}

// TestCentrifugoRefusals: a refused subscribe is the server's error; an
// error in a batch's replies fails the publish; an unknown protocol is a
// usage error, and resume and failover refuse Centrifugo's.
func TestCentrifugoRefusals(t *testing.T) {
	var out, errOut bytes.Buffer
	c := &client{f: &fleet{notes: map[string]int{}}, st: &counters{}, waitRef: "3"}
	c.f.c = &common{protocol: protoCentrifugo}
	if err := c.handleCentrifugo([]byte(`{"id":3,"error":{"code":103,"message":"permission denied"}}`), time.Now()); !errors.Is(err, errRefused) || !strings.Contains(err.Error(), "103: permission denied") {
		t.Errorf("refused subscribe: %v", err)
	}
	errOut.Reset()
	if code := run([]string{"fanout", "--protocol", "mqtt"}, &out, &errOut); code != exitUsage || !strings.Contains(errOut.String(), "--protocol") {
		t.Errorf("fanout --protocol mqtt: exit %d, %s", code, errOut.String())
	}
	for _, sc := range []string{"resume", "failover"} {
		errOut.Reset()
		if code := run([]string{sc, "--protocol", "centrifugo"}, &out, &errOut); code != exitUsage || !strings.Contains(errOut.String(), "--protocol") {
			t.Errorf("%s --protocol centrifugo: exit %d, %s", sc, code, errOut.String())
		}
	}
	if err := centrifugoAPIError([]byte(`{"replies":[{"publish":{}},{"error":{"code":102,"message":"unknown channel"}}]}`)); err == nil || !strings.Contains(err.Error(), "102: unknown channel") {
		t.Errorf("batch reply error: %v", err)
	}
	if err := centrifugoAPIError([]byte(`{"replies":[{"publish":{}},{"publish":{}}]}`)); err != nil {
		t.Errorf("batch of two publishes: %v", err)
	}
}

// TestRealCentrifugo drives a Centrifugo binary, when CENTRIFUGO_BIN names
// one (make centrifugo builds bin/centrifugo), started as make
// bench-centrifugo starts it.
func TestRealCentrifugo(t *testing.T) {
	bin := os.Getenv("CENTRIFUGO_BIN")
	if bin == "" {
		t.Skip("CENTRIFUGO_BIN is not set: no Centrifugo binary to drive (make centrifugo builds bin/centrifugo); the fake server's tests cover the protocol")
	}
	tg, err := startTarget("centrifugo", launchOpts{centrifugoBin: bin,
		secret: "dev-only-insecure-jwt-secret-change-me", apiKey: "dev-only-insecure-api-key"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tg.close)
	r := runJSON(t, "fanout", "--protocol", "centrifugo", "--url", tg.url, "--server-pid", strconv.Itoa(tg.pid()),
		"--rooms", "2", "--members", "5", "--rate", "40", "--duration", "500ms")
	want(t, r, "deliveries", 100)
	wantClean(t, r)
	r = runJSON(t, "burst", "--protocol", "centrifugo", "--url", tg.url, "--members", "10", "--events", "45", "--batch", "20")
	want(t, r, "members_complete", 10)
	want(t, r, "deliveries", 450)
	r = runJSON(t, "idle", "--protocol", "centrifugo", "--url", tg.url, "--server-pid", strconv.Itoa(tg.pid()),
		"--conns", "20", "--rooms-per-client", "3", "--rooms", "4", "--rss-wait", "0s", "--rss-samples", "1")
	want(t, r, "conns_joined", 20)
	want(t, r, "error_frames", 0)
}
