package pluginhost

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// go-plugin calls its logger once per JSON line of the plugin's stderr,
// with the line's level and attributes plus a timestamp: each becomes one
// slog record at that level, with the wrapped logger's plugin=NAME, the
// record's attributes, no timestamp attribute and no hclog text in it.
func TestSlogHclogOneRecordPerLine(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})).With("plugin", "projects")
	var l hclog.Logger = newSlogHclog(base)
	l = l.Named("switchboard") // as go-plugin does, after the executable
	if got := l.GetLevel(); got != hclog.Info {
		t.Errorf("GetLevel = %v, want info (the slog handler's)", got)
	}
	l.Warn("about to fail", "note", "n-1", "timestamp", "2026-12-03T12:00:00.000Z")
	l.Debug("dropped: below the handler's level")
	l.StandardWriter(&hclog.StandardLoggerOptions{InferLevels: true}).Write([]byte("[ERROR] plain line\n"))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["level"] != "WARN" || rec["msg"] != "about to fail" || rec["plugin"] != "projects" || rec["note"] != "n-1" {
		t.Errorf("record %v, want WARN \"about to fail\" plugin=projects note=n-1", rec)
	}
	if _, ok := rec["timestamp"]; ok {
		t.Errorf("record %v carries go-plugin's timestamp attribute", rec)
	}
	if err := json.Unmarshal([]byte(lines[1]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["level"] != "ERROR" || rec["msg"] != "plain line" {
		t.Errorf("standard writer record %v, want ERROR \"plain line\"", rec)
	}
}

// A plugin's panic reaches go-plugin as one error per stack line; the
// router logs it as one record with the stack as an attribute.
func TestSlogHclogPanicIsOneRecord(t *testing.T) {
	rec := &recordOnce{ch: make(chan slog.Record, 4)}
	l := newSlogHclog(slog.New(rec).With("plugin", "projects"))
	for _, line := range []string{"panic: boom", "", "goroutine 1 [running]:", "main.main()", "\t/src/main.go:12 +0x1d"} {
		l.Error(line)
	}
	r := <-rec.ch
	attrs := map[string]string{}
	r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
	if r.Level != slog.LevelError || r.Message != "plugin panicked" || attrs["panic"] != "panic: boom" ||
		attrs["stack"] != "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:12 +0x1d" {
		t.Fatalf("record %v %q %q", r.Level, r.Message, attrs)
	}
	l.Error("after", "k", "v") // an ordinary error is its own record
	if r := <-rec.ch; r.Message != "after" {
		t.Fatalf("record %q, want after", r.Message)
	}
	if len(rec.ch) != 0 {
		t.Fatalf("%d extra records", len(rec.ch))
	}
}

type recordOnce struct {
	ch    chan slog.Record
	attrs []slog.Attr
}

func (r *recordOnce) Enabled(context.Context, slog.Level) bool { return true }
func (r *recordOnce) Handle(_ context.Context, x slog.Record) error {
	x.AddAttrs(r.attrs...)
	r.ch <- x
	return nil
}
func (r *recordOnce) WithAttrs(as []slog.Attr) slog.Handler {
	return &recordOnce{ch: r.ch, attrs: append(append([]slog.Attr(nil), r.attrs...), as...)}
}
func (r *recordOnce) WithGroup(string) slog.Handler { return r }
