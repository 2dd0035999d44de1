package test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-rt/switchboard/test/poll"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

// scrape reads /metrics from the node and returns the value of the
// series name{labels…} (every label given must match; others may be
// there), -1 when no such series is exposed.
func scrape(t *testing.T, n *testnode.Node, name string, labels ...string) float64 {
	t.Helper()
	st, body := n.Do("GET", "/metrics", nil, nil)
	if st != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", st, body)
	}
	return seriesValue(body, name, labels...)
}

func seriesValue(body []byte, name string, labels ...string) float64 {
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
next:
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		i := strings.LastIndexByte(line, ' ') // label values may hold spaces
		series, value := line[:i], line[i+1:]
		for i := 0; i+1 < len(labels); i += 2 {
			if !strings.Contains(series, fmt.Sprintf("%s=%q", labels[i], labels[i+1])) {
				continue next
			}
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return -1
		}
		return v
	}
	return -1
}

// TestLatencyHistogramsCountRealTraffic drives a WebSocket and an SSE
// client, the publish API and a plugin route, and reads each latency
// histogram off /metrics.
func TestLatencyHistogramsCountRealTraffic(t *testing.T) {
	n := pluginNode(t, "")
	ws := n.DialWS(n.Token("u1"))
	ws.Join("user:u1")
	// A refused join is timed too, by its answer's code.
	ws.Send(map[string]any{"op": "join", "room": "user:someone-else", "ref": "j-x"})
	if f := ws.Reply(); f.Op != "error" {
		t.Fatalf("join of another user's room: %+v, want an error", f)
	}
	sse, resp, body := n.DialSSE(n.SSEURL("user:u1"), authz(n.Token("u1")))
	if sse == nil {
		t.Fatalf("SSE: %v %s", resp.Status, body)
	}
	n.PublishOK("app.thing.done", map[string]any{"k": 1}, "user:u1")
	ws.NextEvent()
	sse.NextEvent()
	if st, b := n.Do("POST", "/v1/hello/u1", nil, authz(n.Token("u0"))); st != http.StatusAccepted {
		t.Fatalf("POST /v1/hello/u1: %d %s", st, b)
	}
	ws.NextEvent()
	n.Do("GET", "/no/such/route/12345", nil, nil)

	// A frame reaches the client before its writer observes: poll.
	poll.Until(t, "publish_to_write counted for ws and sse", func() bool {
		return scrape(t, n, "switchboard_publish_to_write_seconds_count", "transport", "ws") >= 2 &&
			scrape(t, n, "switchboard_publish_to_write_seconds_count", "transport", "sse") >= 1
	})
	for _, c := range []struct {
		name   string
		labels []string
		min    float64
	}{
		{"switchboard_join_seconds_count", []string{"transport", "ws", "result", "ok"}, 1},
		{"switchboard_join_seconds_count", []string{"transport", "ws", "result", "forbidden"}, 1},
		{"switchboard_join_seconds_count", []string{"transport", "sse", "result", "ok"}, 1},
		// The route is the plugin's own pattern (mounted under /v1).
		{"switchboard_plugin_call_seconds_count", []string{"plugin", "hello", "method", "HandleHTTP", "route", "POST /hello/{user}"}, 1},
		{"switchboard_plugin_call_seconds_count", []string{"plugin", "hello", "method", "Configure", "route", ""}, 1},
		{"switchboard_http_request_seconds_count", []string{"route", "/v1/publish", "method", "POST", "code", "2xx"}, 1},
		{"switchboard_http_request_seconds_count", []string{"route", "/v1/hello/{user}", "method", "POST", "code", "2xx"}, 1},
		{"switchboard_http_request_seconds_count", []string{"route", "unmatched", "method", "GET", "code", "4xx"}, 1},
		// Buckets are exposed: the largest holds every observation.
		{"switchboard_http_request_seconds_bucket", []string{"route", "/v1/publish", "le", "10"}, 1},
	} {
		if got := scrape(t, n, c.name, c.labels...); got < c.min {
			t.Errorf("%s%v = %v, want >= %v", c.name, c.labels, got, c.min)
		}
	}
	_, metrics := n.Do("GET", "/metrics", nil, nil)
	if bytes.Contains(metrics, []byte("12345")) {
		t.Errorf("a raw path reached a label: /metrics mentions 12345")
	}
	// Streams are not HTTP requests of the histogram: their duration is
	// the connection's.
	if v := seriesValue(metrics, "switchboard_http_request_seconds_count", "route", "/v1/ws"); v != -1 {
		t.Errorf("the WebSocket endpoint is in http_request_seconds: %v", v)
	}
}

// TestPprofOnItsOwnListener: server.pprof_listen serves /debug/pprof/ on
// its own address; the main listener does not.
func TestPprofOnItsOwnListener(t *testing.T) {
	cfg := testnode.Config(t)
	cfg.Server.PprofListen = "127.0.0.1:0"
	n := testnode.Start(t, cfg)
	base := fmt.Sprintf("http://%s", n.Server.PprofAddr())
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/debug/pprof/cmdline"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(b) == 0 {
			t.Fatalf("GET %s on pprof_listen: %d (%d bytes)", path, resp.StatusCode, len(b))
		}
		if path == "/debug/pprof/" && !bytes.Contains(b, []byte("goroutine")) {
			t.Fatalf("pprof index does not list goroutine: %s", b)
		}
	}
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline"} {
		if st, _ := n.Do("GET", path, nil, nil); st != http.StatusNotFound {
			t.Errorf("GET %s on the main listener: %d, want 404", path, st)
		}
	}

	off := testnode.Start(t, testnode.Config(t))
	if a := off.Server.PprofAddr(); a != nil {
		t.Fatalf("pprof served without pprof_listen: %v", a)
	}
	if st, _ := off.Do("GET", "/debug/pprof/", nil, nil); st != http.StatusNotFound {
		t.Errorf("GET /debug/pprof/ without pprof_listen: %d, want 404", st)
	}
}
