// Package browser drives a real headless Chromium (the Debian package
// `chromium`, never a downloaded build) from Go tests, through chromedp:
// start it with a throwaway profile, open pages, evaluate JavaScript, wait
// for a condition in the page, and take screenshots.
//
// Where Chromium is not on PATH (as `chromium` or `chromium-browser`) Start
// skips the test, printing why; with SB_TEST_BROWSER_REQUIRED=1 (as .ci/run
// sets) it fails it instead.
//
//	b := browser.Start(t)
//	p := b.NewPage(t)
//	p.Open(pageURL)
//	p.WaitFor(`window.done === true`, 5*time.Second)
//	got := browser.Eval[string](p, `document.title`)
package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// EnvRequired, set to 1, makes a test fail rather than skip when Chromium
// is missing.
const EnvRequired = "SB_TEST_BROWSER_REQUIRED"

// StartTimeout bounds starting Chromium and opening its first tab.
const StartTimeout = 20 * time.Second

// Find returns the path of the Chromium binary on PATH.
func Find() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("browser: neither chromium nor chromium-browser is on PATH (Debian: apt-get install chromium)")
}

// first runs the first action on ctx, which starts the browser or opens
// the tab, within StartTimeout. It runs on ctx itself: chromedp ties the
// browser (the tab) to the context of its first action, so a context with
// a timeout there would close it when cancelled.
func first(ctx context.Context, cancel context.CancelFunc) error {
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	select {
	case err := <-done:
		return err
	case <-time.After(StartTimeout):
		cancel()
		<-done
		return fmt.Errorf("not ready within %v", StartTimeout)
	}
}

// Browser is one headless Chromium process with its own temporary profile,
// stopped when the test ends.
type Browser struct {
	t   testing.TB
	ctx context.Context // the first tab's chromedp context; pages derive from it
}

// Start starts Chromium for t, or skips t (fails it with
// SB_TEST_BROWSER_REQUIRED=1) when Chromium is missing.
func Start(t testing.TB) *Browser {
	t.Helper()
	path, err := Find()
	if err != nil {
		if os.Getenv(EnvRequired) == "1" {
			t.Fatalf("%v; %s=1 requires the browser tests", err, EnvRequired)
		}
		t.Skipf("skipping browser test: %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		// The sandbox needs user namespaces, which containers and root
		// (CI) often lack; the pages are the tests' own.
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 800),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
		defer ccancel()
		_ = chromedp.Cancel(cctx) // closes the browser gracefully
		cancel()
		acancel() // waits for the process to end and removes nothing of ours: the profile is t.TempDir()
	})
	start := time.Now()
	if err := first(ctx, cancel); err != nil {
		t.Fatalf("browser: starting %s: %v", path, err)
	}
	t.Logf("browser: %s started in %v", path, time.Since(start).Round(time.Millisecond))
	return &Browser{t: t, ctx: ctx}
}
