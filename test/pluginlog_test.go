package test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-rt/switchboard/test/poll"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

// recorder is a slog.Handler that keeps every record with its attributes
// (including those of With) flattened.
type recorder struct {
	mu    *sync.Mutex
	recs  *[]rec
	attrs []slog.Attr
}

type rec struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func newRecorder() *recorder { return &recorder{mu: &sync.Mutex{}, recs: &[]rec{}} }

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *recorder) Handle(_ context.Context, x slog.Record) error {
	m := map[string]string{}
	for _, a := range r.attrs {
		m[a.Key] = a.Value.String()
	}
	x.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
	r.mu.Lock()
	*r.recs = append(*r.recs, rec{x.Level, x.Message, m})
	r.mu.Unlock()
	return nil
}

func (r *recorder) WithAttrs(as []slog.Attr) slog.Handler {
	c := *r
	c.attrs = append(append([]slog.Attr(nil), r.attrs...), as...)
	return &c
}

func (r *recorder) WithGroup(string) slog.Handler { return r }

func (r *recorder) find(msg string) []rec {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []rec
	for _, x := range *r.recs {
		if x.msg == msg {
			out = append(out, x)
		}
	}
	return out
}

func (r *recorder) all() []rec {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]rec(nil), *r.recs...)
}

// A plugin's log records reach the router's slog log: one record each, at
// their level, tagged plugin=NAME, with their attributes, and no hclog or
// JSON text inside the message (issue 7 finding 5).
func TestPluginLogsReachRouterLog(t *testing.T) {
	cfg := testnode.ConfigHCL(t, fmt.Sprintf("plugin \"test\" {\n  path = %q\n}\n", bins[testPkg]))
	rc := newRecorder()
	n := testnode.StartLogged(t, cfg, slog.New(rc))
	st, b := n.Do("POST", "/v1/test/fail?note=n-42", nil, authz(n.Token("u1")))
	if st != 500 {
		t.Fatalf("POST /v1/test/fail: %d %s, want 500", st, b)
	}
	var warn, failed []rec
	poll.Until(t, "the plugin's records in the router's log", func() bool {
		warn, failed = rc.find("about to fail"), rc.find("handler failed")
		return len(warn) > 0 && len(failed) > 0
	})
	if len(warn) != 1 || len(failed) != 1 {
		t.Fatalf("records: %d %q and %d %q, want one each", len(warn), "about to fail", len(failed), "handler failed")
	}
	w, f := warn[0], failed[0]
	if w.level != slog.LevelWarn || w.attrs["plugin"] != "test" || w.attrs["note"] != "n-42" {
		t.Errorf("warn record: level %v attrs %v, want WARN plugin=test note=n-42", w.level, w.attrs)
	}
	if f.level != slog.LevelError || f.attrs["plugin"] != "test" || f.attrs["err"] != "test failure" || f.attrs["pattern"] != "/test/fail" {
		t.Errorf("handler failed record: level %v attrs %v, want ERROR plugin=test err=\"test failure\" pattern=/test/fail", f.level, f.attrs)
	}
	for _, x := range rc.all() {
		if strings.Contains(x.msg, "@message") || strings.Contains(x.msg, "[INFO]") || strings.Contains(x.msg, "[WARN]") || strings.HasPrefix(x.msg, "{") {
			t.Errorf("a log line inside a log record: %q %v", x.msg, x.attrs)
		}
	}
}

// A plugin that panics leaves one error record with its stack in the
// router's log, not one record per line of the stack.
func TestPluginPanicIsOneRecord(t *testing.T) {
	cfg := testnode.ConfigHCL(t, fmt.Sprintf("plugin \"test\" {\n  path = %q\n}\n", bins[testPkg]))
	rc := newRecorder()
	n := testnode.StartLogged(t, cfg, slog.New(rc))
	if st, b := n.Do("POST", "/v1/test/crash", nil, authz(n.Token("u1"))); st != 204 {
		t.Fatalf("POST /v1/test/crash: %d %s", st, b)
	}
	var got []rec
	poll.Until(t, "the plugin's panic in the router's log", func() bool {
		got = rc.find("plugin panicked")
		return len(got) > 0
	})
	// The process is gone and restarted by now: its stderr is finished.
	poll.Until(t, "the plugin restarted", func() bool { return len(rc.find("plugin started")) >= 2 })
	if got = rc.find("plugin panicked"); len(got) != 1 {
		t.Fatalf("%d panic records, want 1", len(got))
	}
	p := got[0]
	if p.level != slog.LevelError || p.attrs["plugin"] != "test" || p.attrs["panic"] != "panic: testplugin: injected crash" ||
		!strings.Contains(p.attrs["stack"], "main.(*plug).crash") {
		t.Errorf("panic record: level %v attrs %v", p.level, p.attrs)
	}
	for _, x := range rc.all() {
		if strings.HasPrefix(x.msg, "goroutine ") || strings.Contains(x.msg, "testplugin/main.go") {
			t.Errorf("a stack line logged as its own record: %q", x.msg)
		}
	}
}
