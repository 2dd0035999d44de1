package browser

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A dist newer than src is used as it is; a stale one that cannot be
// built here (no node_modules) skips the test, saying what to run.
func TestClientDist(t *testing.T) {
	t.Setenv(EnvRequired, "")
	dir := t.TempDir()
	write := func(name string, mtime time.Time) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("export {};\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	write("src/index.ts", now.Add(-time.Hour))
	write("dist/index.js", now)
	var got string
	if !t.Run("fresh", func(t *testing.T) { got = ClientDist(t, dir) }) || got != filepath.Join(dir, "dist") {
		t.Fatalf("fresh dist: got %q", got)
	}

	write("src/index.ts", now.Add(time.Hour)) // edited after the build
	skipped := false
	t.Run("stale", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		ClientDist(t, dir)
	})
	if !skipped {
		t.Fatal("a stale dist without node_modules did not skip")
	}
}
