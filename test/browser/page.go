package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Timeout bounds each action on a page unless the action takes its own.
const Timeout = 10 * time.Second

// Page is one tab. It records what the page writes to its console (and its
// uncaught exceptions), which failures print.
type Page struct {
	t   testing.TB
	ctx context.Context

	mu      sync.Mutex
	console []string
}

// NewPage opens a new tab for t (a subtest of the browser's test, or the
// test itself), closed when t ends.
func (b *Browser) NewPage(t testing.TB) *Page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	p := &Page{t: t, ctx: ctx}
	if err := first(ctx, cancel); err != nil { // opens the tab
		cancel()
		t.Fatalf("browser: new tab: %v", err)
	}
	msgs := chromedp.Console(ctx) // subscribes now, before any navigation
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.console = append(p.console, m.String())
			p.mu.Unlock()
		}
	}()
	t.Cleanup(cancel)
	return p
}

// Context is the page's chromedp context, for actions this package does
// not wrap.
func (p *Page) Context() context.Context { return p.ctx }

// Console returns what the page has written to its console so far.
func (p *Page) Console() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.console...)
}

// fatalf fails the test with the page's console attached.
func (p *Page) fatalf(format string, args ...any) {
	p.t.Helper()
	msg := fmt.Sprintf(format, args...)
	if c := p.Console(); len(c) > 0 {
		msg += "\npage console:\n  " + strings.Join(c, "\n  ")
	}
	p.t.Fatal(msg)
}

// Open navigates to url and waits for it to load.
func (p *Page) Open(url string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		p.fatalf("browser: open %s: %v", url, err)
	}
}

// Eval evaluates the JavaScript expression js in p, awaiting it when it is
// a promise, and decodes its JSON value into T. A thrown exception or a
// rejected promise fails the test.
func Eval[T any](p *Page, js string) T {
	p.t.Helper()
	v, err := TryEval[T](p, js)
	if err != nil {
		p.fatalf("browser: eval %s: %v", js, err)
	}
	return v
}

// TryEval is Eval returning the error.
func TryEval[T any](p *Page, js string) (T, error) {
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// WaitFor waits up to d for the JavaScript expression cond to be truthy in
// p, polling every 20 ms; on timeout it fails the test with what is
// printed by explain (a JavaScript expression; "" for none) and the
// console.
func (p *Page) WaitFor(cond string, d time.Duration, explain string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, d+time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(d)))
	if err == nil {
		return
	}
	state := ""
	if explain != "" {
		s, eerr := TryEval[any](p, explain)
		state = fmt.Sprintf("; %s = %v (err %v)", explain, s, eerr)
	}
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "timeout") {
		p.fatalf("browser: %s not true within %v%s", cond, d, state)
	}
	p.fatalf("browser: waiting for %s: %v%s", cond, err, state)
}

// Screenshot writes a PNG of the whole page to path.
func (p *Page) Screenshot(path string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.fatalf("browser: screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatalf("browser: screenshot: %v", err)
	}
}
