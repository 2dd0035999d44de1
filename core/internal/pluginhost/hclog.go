package pluginhost

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// slogHclog is the hclog.Logger go-plugin requires, writing to slog. go-plugin
// parses each JSON line a plugin writes to stderr and calls this logger with
// the line's level, message and attributes, so every plugin log record
// becomes one slog record at its own level, tagged plugin=NAME (by the
// logger it wraps). Its own records (starting, exited) arrive the same way.
type slogHclog struct {
	log   *slog.Logger
	name  string
	args  []any
	panic *panicLines // shared by the copies With and Named make
}

var _ hclog.Logger = (*slogHclog)(nil)

func newSlogHclog(l *slog.Logger) *slogHclog { return &slogHclog{log: l, panic: &panicLines{}} }

// panicLines gathers a plugin's panic or fatal error: go-plugin logs the
// message and then every line of the stack as separate errors; they become
// one record ("plugin panicked", panic=first line, stack=the rest) once
// no line came for panicQuiet.
type panicLines struct {
	mu    sync.Mutex
	lines []string
	timer *time.Timer
}

const (
	panicQuiet    = 200 * time.Millisecond
	panicMaxLines = 400
)

// add keeps msg if it starts or continues a panic and reports whether it did.
func (s *slogHclog) addPanic(level hclog.Level, msg string, args []any) bool {
	p := s.panic
	if p == nil || level != hclog.Error || len(args) > 0 {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.lines) == 0 && !strings.HasPrefix(msg, "panic: ") && !strings.HasPrefix(msg, "fatal error: ") {
		return false
	}
	if len(p.lines) < panicMaxLines {
		p.lines = append(p.lines, msg)
	}
	if p.timer == nil {
		p.timer = time.AfterFunc(panicQuiet, s.flushPanic)
	} else {
		p.timer.Reset(panicQuiet)
	}
	return true
}

func (s *slogHclog) flushPanic() {
	p := s.panic
	p.mu.Lock()
	lines := p.lines
	p.lines, p.timer = nil, nil
	p.mu.Unlock()
	if len(lines) == 0 {
		return
	}
	r := slog.NewRecord(time.Now(), slog.LevelError, "plugin panicked", 0)
	r.Add(s.args...)
	r.AddAttrs(slog.String("panic", lines[0]), slog.String("stack", strings.TrimSpace(strings.Join(lines[1:], "\n"))))
	_ = s.log.Handler().Handle(context.Background(), r)
}

// dropped are attributes go-plugin adds that slog already records.
var dropped = map[string]bool{"timestamp": true}

func toSlog(l hclog.Level) slog.Level {
	switch l {
	case hclog.Trace:
		return slog.LevelDebug - 4
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

func (s *slogHclog) Log(level hclog.Level, msg string, args ...any) {
	if s.addPanic(level, msg, args) {
		return
	}
	lv := toSlog(level)
	ctx := context.Background()
	if !s.log.Enabled(ctx, lv) {
		return
	}
	r := slog.NewRecord(time.Now(), lv, msg, 0)
	r.Add(s.args...)
	for i := 0; i < len(args); i += 2 {
		k := fmt.Sprint(args[i])
		if i+1 >= len(args) {
			r.AddAttrs(slog.Any("!BADKEY", args[i]))
			break
		}
		if dropped[k] {
			continue
		}
		r.AddAttrs(slog.Any(k, args[i+1]))
	}
	_ = s.log.Handler().Handle(ctx, r)
}

func (s *slogHclog) Trace(msg string, args ...any) { s.Log(hclog.Trace, msg, args...) }
func (s *slogHclog) Debug(msg string, args ...any) { s.Log(hclog.Debug, msg, args...) }
func (s *slogHclog) Info(msg string, args ...any)  { s.Log(hclog.Info, msg, args...) }
func (s *slogHclog) Warn(msg string, args ...any)  { s.Log(hclog.Warn, msg, args...) }
func (s *slogHclog) Error(msg string, args ...any) { s.Log(hclog.Error, msg, args...) }

func (s *slogHclog) enabled(l hclog.Level) bool {
	return s.log.Enabled(context.Background(), toSlog(l))
}

func (s *slogHclog) IsTrace() bool { return s.enabled(hclog.Trace) }
func (s *slogHclog) IsDebug() bool { return s.enabled(hclog.Debug) }
func (s *slogHclog) IsInfo() bool  { return s.enabled(hclog.Info) }
func (s *slogHclog) IsWarn() bool  { return s.enabled(hclog.Warn) }
func (s *slogHclog) IsError() bool { return s.enabled(hclog.Error) }

func (s *slogHclog) ImpliedArgs() []any { return s.args }

func (s *slogHclog) With(args ...any) hclog.Logger {
	c := *s
	c.args = append(append([]any(nil), s.args...), args...)
	return &c
}

// Named keeps the name for Name only: go-plugin names its logger after the
// executable (switchboard for a bundled plugin); the plugin= attribute of
// the wrapped logger already says which plugin it is.
func (s *slogHclog) Named(name string) hclog.Logger {
	c := *s
	if c.name != "" {
		name = c.name + "." + name
	}
	c.name = name
	return &c
}

func (s *slogHclog) ResetNamed(name string) hclog.Logger {
	c := *s
	c.name = name
	return &c
}

func (s *slogHclog) Name() string { return s.name }

// SetLevel is a no-op: the slog handler decides.
func (s *slogHclog) SetLevel(hclog.Level) {}

// GetLevel is the lowest level the slog handler takes; go-plugin skips
// the plugin's records below it.
func (s *slogHclog) GetLevel() hclog.Level {
	for _, l := range []hclog.Level{hclog.Trace, hclog.Debug, hclog.Info, hclog.Warn, hclog.Error} {
		if s.enabled(l) {
			return l
		}
	}
	return hclog.Off
}

func (s *slogHclog) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(s.StandardWriter(opts), "", 0)
}

// StandardWriter logs each line written to it as one record, at the level
// its [LEVEL] prefix names when opts.InferLevels, else at Info.
func (s *slogHclog) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	infer := opts != nil && opts.InferLevels
	return writerFunc(func(p []byte) (int, error) {
		sc := bufio.NewScanner(bytes.NewReader(p))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			lv := hclog.Info
			if infer {
				for _, c := range []struct {
					p string
					l hclog.Level
				}{{"[TRACE]", hclog.Trace}, {"[DEBUG]", hclog.Debug}, {"[INFO]", hclog.Info}, {"[WARN]", hclog.Warn}, {"[ERROR]", hclog.Error}} {
					if strings.HasPrefix(line, c.p) {
						lv, line = c.l, strings.TrimSpace(strings.TrimPrefix(line, c.p))
						break
					}
				}
			}
			s.Log(lv, line)
		}
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
