package browser

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// BuildTimeout bounds `npm run build` of the TypeScript client.
const BuildTimeout = 2 * time.Minute

// ClientDist returns the directory of the built TypeScript client
// (clients/js/dist, ES modules), given clients/js. When dist is missing or
// older than anything under src, it runs `npm run build` there if npm and
// node_modules are present; otherwise it skips t saying to run
// `make test-js` first (fails it with SB_TEST_BROWSER_REQUIRED=1).
func ClientDist(t testing.TB, jsDir string) string {
	t.Helper()
	dist := filepath.Join(jsDir, "dist")
	srcTime, err := newest(filepath.Join(jsDir, "src"))
	if err != nil {
		t.Fatalf("browser: the TypeScript client's sources: %v", err)
	}
	distTime, err := newest(dist)
	if err == nil && !distTime.Before(srcTime) {
		if _, err := os.Stat(filepath.Join(dist, "index.js")); err == nil {
			return dist
		}
	}
	why := fmt.Sprintf("%s is missing or older than %s", dist, filepath.Join(jsDir, "src"))
	npm, lerr := exec.LookPath("npm")
	_, serr := os.Stat(filepath.Join(jsDir, "node_modules"))
	if lerr != nil || serr != nil {
		msg := fmt.Sprintf("%s and cannot be built here (npm on PATH: %v; node_modules: %v): run make test-js first", why, lerr == nil, serr == nil)
		if os.Getenv(EnvRequired) == "1" {
			t.Fatalf("browser: %s; %s=1 requires the browser tests", msg, EnvRequired)
		}
		t.Skipf("skipping browser test: %s", msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), BuildTimeout)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, npm, "run", "--silent", "build")
	cmd.Dir = jsDir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("browser: %s; npm run build in %s: %v\n%s", why, jsDir, err, out)
	}
	t.Logf("browser: %s: built with npm run build in %v", why, time.Since(start).Round(time.Millisecond))
	return dist
}

// newest is the latest modification time of the files under dir.
func newest(dir string) (time.Time, error) {
	var last time.Time
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.ModTime().After(last) {
			last = info.ModTime()
		}
		return nil
	})
	return last, err
}
