package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestMain lets tests start this test binary as the tool (a floor
// process for the resume storm): with mainEnv=1 it runs the tool.
func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// startTestFloor serves a floor in this process on a free loopback port.
func startTestFloor(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := newFloor("dev-only-insecure-jwt-secret-change-me")
	done := make(chan error, 1)
	go func() { done <- f.serve(ln) }()
	t.Cleanup(func() {
		f.close()
		if err := <-done; err != nil {
			t.Errorf("floor: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// runJSON runs a scenario with --json and decodes its report.
func runJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run(append(args, "--json"), &out, &errOut); code != exitOK {
		t.Fatalf("%s: exit %d, stderr %s, stdout %s", args[0], code, errOut.String(), out.String())
	}
	var r map[string]any
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%s: output %q: %v", args[0], out.String(), err)
	}
	return r
}

// wantClean checks that a fan-out lost, repeated, reordered and misrouted
// nothing, and that every frame was one the tool expects.
func wantClean(t *testing.T, r map[string]any) {
	t.Helper()
	for _, k := range []string{"missing", "duplicates", "out_of_order", "foreign", "unexpected_frames"} {
		want(t, r, k, 0)
	}
}

func want(t *testing.T, r map[string]any, key string, v any) {
	t.Helper()
	got := r[key]
	if n, ok := v.(int); ok {
		v = float64(n)
	}
	if got != v {
		t.Errorf("%s = %v, want %v (report %v)", key, got, v, r)
	}
}

// TestFloorFanoutExact: 50 clients in 2 rooms of 25 and 40 events (20
// per room) through the floor: exactly 1,000 deliveries, none missing,
// duplicated or out of order, every connection joined.
func TestFloorFanoutExact(t *testing.T) {
	url := startTestFloor(t)
	r := runJSON(t, "fanout", "--url", url, "--rooms", "2", "--members", "25", "--rate", "80", "--duration", "500ms")
	want(t, r, "conns_joined", 50)
	want(t, r, "conns_failed", 0)
	want(t, r, "events_published", 40)
	want(t, r, "deliveries_expected", 1000)
	want(t, r, "deliveries", 1000)
	want(t, r, "all_delivered", true)
	wantClean(t, r)
	want(t, r, "presence_frames", 0)
	if v, _ := r["latency_samples"].(float64); v != 1000 {
		t.Errorf("latency samples %v, want 1000", v)
	}
	if v, _ := r["server_cpu_us_per_delivery"].(float64); v <= 0 {
		t.Errorf("server CPU per delivery %v (from the floor's /metrics), want > 0", v)
	}
}

// TestFloorBurstExact: 30 members, 50 events back to back in batches of
// 20: each member holds all 50.
func TestFloorBurstExact(t *testing.T) {
	url := startTestFloor(t)
	r := runJSON(t, "burst", "--url", url, "--members", "30", "--events", "50", "--batch", "20")
	want(t, r, "conns_joined", 30)
	want(t, r, "publish_calls", 3)
	want(t, r, "members_complete", 30)
	want(t, r, "deliveries", 1500)
	want(t, r, "missing", 0)
	want(t, r, "duplicates", 0)
	if v, _ := r["total_s"].(float64); v <= 0 {
		t.Errorf("total_s %v", r["total_s"])
	}
}

// TestFloorConnectAndIdle: the connect count equals N, and idle with three
// rooms per client joins them all.
func TestFloorConnectAndIdle(t *testing.T) {
	url := startTestFloor(t)
	r := runJSON(t, "connect", "--url", url, "--rooms", "5", "--members", "10")
	want(t, r, "conns_joined", 50)
	want(t, r, "all_joined", true)
	want(t, r, "conns_lost", 0)
	if v, _ := r["connect_s"].(float64); v <= 0 {
		t.Errorf("connect_s %v", r["connect_s"])
	}
	r = runJSON(t, "idle", "--url", url, "--conns", "40", "--rooms-per-client", "3", "--rooms", "4", "--rss-wait", "0s", "--rss-samples", "1")
	want(t, r, "conns_joined", 40)
	want(t, r, "rooms_per_client", 3)
	want(t, r, "error_frames", 0)
}

// TestResumeStormFloor runs the resume storm against a floor process (this
// test binary as the tool): every client is back after the restart.
func TestResumeStormFloor(t *testing.T) {
	r := runJSON(t, "resume", "--target", "floor", "--conns", "40", "--rooms", "4", "--before-events", "3", "--after-events", "0")
	want(t, r, "conns_joined", 40)
	want(t, r, "reconnects", 40)
	want(t, r, "all_resumed", true)
	want(t, r, "deliveries", 120)
	want(t, r, "missing", 0)
	want(t, r, "duplicates", 0)
	if v, ok := r["resume_all_s"].(float64); !ok || v < 0 {
		t.Errorf("resume_all_s %v", r["resume_all_s"])
	}
}

// TestFloorRefusesBadToken: the floor verifies the token's HS256
// signature.
func TestFloorRefusesBadToken(t *testing.T) {
	url := startTestFloor(t)
	var out, errOut bytes.Buffer
	code := run([]string{"connect", "--url", url, "--rooms", "1", "--members", "2", "--secret", strings.Repeat("x", 32), "--json"}, &out, &errOut)
	if code == exitOK {
		t.Fatalf("connect with tokens of another secret succeeded: %s", out.String())
	}
	if !strings.Contains(errOut.String()+out.String(), "401") {
		t.Errorf("want a 401 refusal, got stdout %s stderr %s", out.String(), errOut.String())
	}
}

// TestFormatTable formats known numbers.
func TestFormatTable(t *testing.T) {
	n := math.NaN()
	rows := []tableRow{
		{label: "connect 10000", unit: "s", vals: []float64{11.04, 1.5}, ratio: 7.36, tool: []float64{0.41, 0.9}, other: []float64{0.02, 0.1}},
		{label: "cpu", unit: "µs", vals: []float64{3.456, 2.95}, ratio: 1.1715},
		{label: "rate", unit: "/s", vals: []float64{48712.4, 50000}, ratio: 0.974},
		{label: "catch up", unit: "s", vals: []float64{2.5, n}, ratio: n},
		{label: "spread", unit: "×", vals: []float64{1.361, 1.46}, ratio: n},
	}
	got := formatTable(rows, false)
	exp := strings.Join([]string{
		"| workload | switchboard | floor | switchboard / floor | load tool CPU | other processes' CPU |",
		"|---|---|---|---|---|---|",
		"| connect 10000 | 11.0 s | 1.50 s | 7.36× | 0.41 / 0.90 | 0.02 / 0.10 |",
		"| cpu | 3.46 µs | 2.95 µs | 1.17× |  |  |",
		"| rate | 48712/s | 50000/s | 0.97× |  |  |",
		"| catch up | 2.50 s | — | — |  |  |",
		"| spread | 1.36× | 1.46× | — |  |  |",
		""}, "\n")
	if got != exp {
		t.Errorf("table:\n%s\nwant:\n%s", got, exp)
	}
	got = formatTable([]tableRow{{label: "p99", unit: "ms", vals: []float64{37, 14, 50}, ratio: 37.0 / 14}}, true)
	if !strings.Contains(got, "| p99 | 37.0 ms | 14.0 ms | 2.64× | 50.0 ms | 0.74× |") {
		t.Errorf("with other:\n%s", got)
	}
	if fmt.Sprint(median([]float64{3, 1, 2})) != "2" || fmt.Sprint(median([]float64{4, 1, 3, 2})) != "2.5" {
		t.Error("median")
	}
}

// TestBenchUsage: bad bench flags are usage errors that start nothing.
func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--workloads", "connect,nonsense", "--bin", os.Args[0]},
		{"bench", "--conns", "150", "--bin", os.Args[0]},
		{"bench", "--runs", "0", "--bin", os.Args[0]},
		{"bench", "--bin", t.TempDir() + "/missing"},
		{"bench", "--other-url", "http://example.com:80", "--bin", os.Args[0]},
		{"bench", "--other-protocol", "socketio", "--bin", os.Args[0]},
		{"bench", "--centrifugo-bin", t.TempDir() + "/missing", "--bin", os.Args[0]},
		{"bench", "--centrifugo-bin", os.Args[0], "--other-url", "http://127.0.0.1:1", "--bin", os.Args[0]},
	} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != exitUsage || !strings.Contains(errOut.String(), "bench") {
			t.Errorf("%q: exit %d, stderr %q; want a usage error", args, code, errOut.String())
		}
	}
}

// TestFloorPublishRefusesWholeBatch: a batch with one bad event delivers
// none of it; a good one answers each event's seq per room.
func TestFloorPublishRefusesWholeBatch(t *testing.T) {
	url := startTestFloor(t)
	post := func(body string) (int, string) {
		resp, err := http.Post(url+"/v1/publish", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post(`[{"rooms":["workspace:w0"],"type":"t","data":1},{"rooms":[],"type":"t","data":1}]`); code != http.StatusBadRequest {
		t.Fatalf("bad batch: %d %s", code, body)
	}
	code, body := post(`[{"rooms":["workspace:w0","user:u1"],"type":"t","data":1},{"rooms":["workspace:w0"],"type":"t","data":2,"id":"e2"}]`)
	if code != http.StatusOK || !strings.Contains(body, `"seqs":{"user:u1":2,"workspace:w0":1}`) || !strings.Contains(body, `"id":"e2","seqs":{"workspace:w0":3}`) {
		t.Fatalf("good batch: %d %s (the bad batch must not have used seqs)", code, body)
	}
}
