package test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/switchboard-rt/switchboard/core"
	"github.com/switchboard-rt/switchboard/test/poll"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

const (
	helloPkg = "github.com/switchboard-rt/switchboard/plugins/examples/hello"
	testPkg  = "github.com/switchboard-rt/switchboard/test/testplugin"
)

// bins maps each package TestMain builds to its binary: the switchboard
// router (which also runs the bundled plugins), the hello example and the
// test plugin.
var bins map[string]string

func TestMain(m *testing.M) { testnode.MainWithBinaries(m, &bins, helloPkg, testPkg, serverPkg) }

func pluginNode(t testing.TB, extra string) *testnode.Node {
	cfg := testnode.ConfigHCL(t, fmt.Sprintf(`
plugin "hello" {
  path = %q
  config {
    greeting = "hi there"
  }
}
plugin "test" {
  path = %q
}
%s`, bins[helloPkg], bins[testPkg], extra))
	return testnode.Start(t, cfg)
}

func authz(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func TestPluginRouteEmitsEventToRoom(t *testing.T) {
	n := pluginNode(t, "")
	c := n.DialWS(n.Token("u1"))
	c.Join("user:u1")
	st, b := n.Do("POST", "/v1/hello/u1", nil, map[string]string{"Authorization": "Bearer " + n.Token("u0"), "X-Correlation-Id": "c-7"})
	if st != 202 {
		t.Fatalf("POST /v1/hello/u1: %d %s", st, b)
	}
	f := c.NextEvent()
	ev := f.CloudEvent(t)
	if ev["type"] != "demo.hello.said" || ev["source"] != "switchboard/plugins/hello" || ev["actor"] != "u0" || ev["correlationid"] != "c-7" {
		t.Fatalf("event %v", ev)
	}
	if d := ev["data"].(map[string]any); d["text"] != "hi there" || d["to"] != "u1" {
		t.Fatalf("data %v (the plugin's config block was not applied)", d)
	}
	// Without a token the route is refused by the core.
	if st, _ := n.Do("POST", "/v1/hello/u1", nil, nil); st != 401 {
		t.Fatalf("anonymous: %d", st)
	}
}

func TestPluginOutboxRelaysInOrder(t *testing.T) {
	n := pluginNode(t, "")
	c := n.DialWS(n.Token("u1"))
	c.Join("user:u1")
	tok := n.Token("u1")
	for i := 0; i < 20; i++ {
		if st, b := n.Do("POST", "/v1/test/outbox/user:u1", map[string]int{"n": i}, authz(tok)); st != 202 {
			t.Fatalf("%d %s", st, b)
		}
	}
	for i := 0; i < 20; i++ {
		var d struct{ N int }
		if err := json.Unmarshal(mustData(t, c.NextEvent()), &d); err != nil || d.N != i {
			t.Fatalf("event %d: %+v %v", i, d, err)
		}
	}
}

func mustData(t *testing.T, f testnode.Frame) []byte {
	t.Helper()
	var ev struct{ Data json.RawMessage }
	if err := json.Unmarshal(f.Event, &ev); err != nil {
		t.Fatal(err)
	}
	return ev.Data
}

func TestPluginSchemaInvalidEventIsRejected(t *testing.T) {
	n := pluginNode(t, "")
	c := n.DialWS(n.Token("u1"))
	c.Join("user:u1")
	tok := n.Token("u1")
	for _, path := range []string{"/v1/test/invalid/user:u1", "/v1/test/undeclared/user:u1"} {
		st, b := n.Do("POST", path, nil, authz(tok))
		if st != 400 || !strings.Contains(string(b), "rejected") {
			t.Fatalf("%s: %d %s", path, st, b)
		}
	}
	rejected := n.Server.Metrics().PluginEventsRejected.WithLabelValues("test")
	if v := testutilValue(rejected); v != 2 {
		t.Fatalf("rejected counter %v", v)
	}
	// Nothing reached the room: the next event is a valid one.
	n.Do("POST", "/v1/test/ping/user:u1", map[string]int{"n": 7}, authz(tok))
	if d := mustData(t, c.NextEvent()); string(d) != `{"n":7}` {
		t.Fatalf("got %s", d)
	}
}

// An emitted event larger than publish.max_event_bytes is rejected like a
// schema-invalid one: it would not fit a client's queue.
func TestPluginOversizeEventIsRejected(t *testing.T) {
	n := pluginNode(t, "publish {\n  max_event_bytes = \"2KiB\"\n}\n")
	tok := n.Token("u1")
	c := n.DialWS(tok)
	c.Join("user:u1")
	if st, b := n.Do("POST", "/v1/test/blob/user:u1?bytes=4000", nil, authz(tok)); st != 400 || !strings.Contains(string(b), "max_event_bytes") {
		t.Fatalf("oversize: %d %s", st, b)
	}
	if v := testutilValue(n.Server.Metrics().PluginEventsRejected.WithLabelValues("test")); v != 1 {
		t.Fatalf("rejected counter %v", v)
	}
	if st, b := n.Do("POST", "/v1/test/blob/user:u1?bytes=100", nil, authz(tok)); st != 204 {
		t.Fatalf("small: %d %s", st, b)
	}
	var d struct{ Pad string }
	if err := json.Unmarshal(mustData(t, c.NextEvent()), &d); err != nil || len(d.Pad) != 100 {
		t.Fatalf("first event delivered: %d bytes of padding, %v", len(d.Pad), err)
	}
}

func TestPluginOwnsRoomKind(t *testing.T) {
	n := pluginNode(t, "")
	boxer := n.DialWS(n.Token("boxer"))
	boxer.Join("box:b1")
	// A kind a plugin owns is a known room kind for publishers too.
	if seq := n.PublishOK("x.boxed", 1, "box:b1"); boxer.NextEvent().Seq != seq {
		t.Fatalf("boxer did not get the event published to box:b1")
	}
	other := n.DialWS(n.Token("u2"))
	other.Send(`{"op":"join","room":"box:b1","ref":"x"}`)
	if f := other.Reply(); f.Code != "forbidden" || !strings.Contains(f.Message, "only boxer") {
		t.Fatalf("got %+v", f)
	}
	// A plugin asks the host about a room another owner decides.
	if st, b := n.Do("GET", "/v1/test/may/user:u9", nil, authz(n.Token("u1"))); st != 403 {
		t.Fatalf("may user:u9 as u1: %d %s", st, b)
	}
	if st, b := n.Do("GET", "/v1/test/may/user:u1", nil, authz(n.Token("u1"))); st != 200 {
		t.Fatalf("may user:u1 as u1: %d %s", st, b)
	}
}

func TestPluginRevokeMakesConnectionsLeave(t *testing.T) {
	n := pluginNode(t, "")
	c := n.DialWS(n.Token("boxer"))
	c.Join("box:b1")
	if st, b := n.Do("POST", "/v1/test/revoke/boxer/box:b1", nil, authz(n.Token("admin"))); st != 204 {
		t.Fatalf("%d %s", st, b)
	}
	for {
		f := c.Read()
		if f.Op == "event" && f.CloudEvent(t)["type"] == "access.revoked" {
			break
		}
	}
	c.Send(`{"op":"leave","room":"box:b1","ref":"l"}`)
	if f := c.Reply(); f.Code != "not_found" {
		t.Fatalf("still in the room after revocation: %+v", f)
	}
}

func TestPluginKilledIsRestartedAndCoreKeepsServing(t *testing.T) {
	n := pluginNode(t, "")
	tok := n.Token("u1")
	c := n.DialWS(tok)
	c.Join("user:u1")
	_, b := n.Do("GET", "/v1/test/pid", nil, authz(tok))
	var pid struct{ Pid int }
	if err := json.Unmarshal(b, &pid); err != nil || pid.Pid == 0 {
		t.Fatalf("pid %s", b)
	}
	if err := syscall.Kill(pid.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Connections and the other plugin are unaffected.
	if st, _ := n.Do("POST", "/v1/hello/u1", nil, authz(tok)); st != 202 {
		t.Fatalf("hello while test is down: %d", st)
	}
	c.NextEvent()
	// The plugin comes back and serves again.
	poll.Until(t, "the test plugin to restart", func() bool {
		st, b := n.Do("GET", "/v1/test/pid", nil, authz(tok))
		var p2 struct{ Pid int }
		_ = json.Unmarshal(b, &p2)
		return st == 200 && p2.Pid != pid.Pid
	})
	if st, b := n.Do("GET", "/readyz", nil, nil); st != 200 {
		t.Fatalf("readyz after restart: %d %s", st, b)
	}
	if v := testutilValue(n.Server.Metrics().PluginRestarts.WithLabelValues("test")); v < 1 {
		t.Fatalf("restarts %v", v)
	}
}

func TestPluginConfigErrorNamesPluginAndPosition(t *testing.T) {
	cfg := testnode.ConfigHCL(t, fmt.Sprintf(`plugin "hello" {
  path = %q
  config {
    greting = "typo"
  }
}
`, bins[helloPkg]))
	_, err := core.New(context.Background(), cfg, testnode.Logger())
	if err == nil || !strings.Contains(err.Error(), `test.hcl:4:5: plugin "hello": Unsupported argument`) {
		t.Fatalf("got %v", err)
	}
}

func TestPluginMissingExecutableNamesPosition(t *testing.T) {
	cfg := testnode.ConfigHCL(t, "plugin \"gone\" {\n  path = \"/nonexistent/switchboard-gone\"\n}\n")
	_, err := core.New(context.Background(), cfg, testnode.Logger())
	if err == nil || !strings.Contains(err.Error(), `test.hcl:1:1: plugin "gone": path "/nonexistent/switchboard-gone": no such file`) {
		t.Fatalf("got %v", err)
	}
}

func TestCatalogListsPluginEvents(t *testing.T) {
	n := pluginNode(t, "")
	// A plugin route called with another method: 405, like the core's.
	if st, b := n.Do("DELETE", "/v1/test/pid", nil, authz(n.Token("u1"))); st != 405 || !strings.Contains(string(b), "allowed: GET") {
		t.Fatalf("DELETE /v1/test/pid: %d %s", st, b)
	}
	// Each plugin's metric series exist before anything happens.
	_, m := n.Do("GET", "/metrics", nil, nil)
	for _, want := range []string{`switchboard_plugin_events_rejected_total{plugin="hello"} 0`, `switchboard_plugin_restarts_total{plugin="test"} 0`} {
		if !strings.Contains(string(m), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	st, b := n.Do("GET", "/v1/catalog", nil, nil)
	if st != 200 || !strings.Contains(string(b), "demo.hello.said") || !strings.Contains(string(b), "x-source: switchboard/plugins/test") {
		t.Fatalf("%d %s", st, b)
	}
}

func TestPluginSubscriptionReceivesOtherPluginsEvents(t *testing.T) {
	n := pluginNode(t, "")
	tok := n.Token("u1")
	var ids []string
	for i := 0; i < 3; i++ {
		st, b := n.Do("POST", "/v1/hello/u1", nil, authz(tok))
		var r struct{ ID string }
		if st != 202 || json.Unmarshal(b, &r) != nil {
			t.Fatalf("%d %s", st, b)
		}
		ids = append(ids, r.ID)
	}
	poll.Until(t, "the subscriber to see the events in order", func() bool {
		_, b := n.Do("GET", "/v1/test/seen", nil, authz(tok))
		var seen struct{ IDs []string }
		_ = json.Unmarshal(b, &seen)
		return strings.Join(seen.IDs, ",") == strings.Join(ids, ",")
	})
}

// A plugin call that outlasts the plugin block's timeout answers 504; the
// plugin keeps serving.
func TestPluginTimeout(t *testing.T) {
	cfg := testnode.ConfigHCL(t, fmt.Sprintf("plugin \"test\" {\n  path    = %q\n  timeout = \"200ms\"\n}\n", bins[testPkg]))
	n := testnode.Start(t, cfg)
	tok := authz(n.Token("u1"))
	if st, b := n.Do("GET", "/v1/test/sleep?ms=5000", nil, tok); st != 504 {
		t.Fatalf("slow call: %d %s", st, b)
	}
	if st, b := n.Do("GET", "/v1/test/sleep?ms=1", nil, tok); st != 204 {
		t.Fatalf("quick call: %d %s", st, b)
	}
}
