package pluginhost

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// command is the process that serves the plugin: the executable at its
// path with its args, or, for a bundled plugin (no path), the router's own
// executable as `switchboard plugin NAME`.
func (in *instance) command() (*exec.Cmd, error) {
	if !in.cfg.Bundled() {
		return exec.Command(in.cfg.Path, in.cfg.Args...), nil
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("%s: plugin %q: bundled plugin: locating this executable: %w", in.cfg.At(), in.cfg.Name, err)
	}
	// A Go test binary would run its tests again, not the plugin.
	if strings.HasSuffix(filepath.Base(self), ".test") {
		return nil, fmt.Errorf("%s: plugin %q: a block without path runs a plugin bundled in the switchboard binary, and %s is a test binary; give the plugin a path",
			in.cfg.At(), in.cfg.Name, self)
	}
	return exec.Command(self, "plugin", in.cfg.Name), nil
}

// stderrHead keeps the first lines a plugin writes to stderr that are
// not its JSON log records (those reach the node's log through hclog): a
// usage error or a panic, quoted in the error when the plugin fails to
// start.
type stderrHead struct {
	mu    sync.Mutex
	lines []string
	cur   []byte
}

const (
	headLines     = 5
	headLineBytes = 512
)

func (t *stderrHead) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for rest := p; len(rest) > 0 && len(t.lines) < headLines; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			t.cur = append(t.cur, rest[:min(len(rest), headLineBytes-len(t.cur))]...)
			break
		}
		t.cur = append(t.cur, rest[:min(i, headLineBytes-len(t.cur))]...)
		if line := strings.TrimSpace(string(t.cur)); line != "" && !strings.HasPrefix(line, "{") {
			t.lines = append(t.lines, line)
		}
		t.cur = t.cur[:0]
		rest = rest[i+1:]
	}
	return len(p), nil
}

// String is the kept lines joined by " | ".
func (t *stderrHead) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, " | ")
}
