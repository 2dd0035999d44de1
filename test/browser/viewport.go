package browser

import (
	"context"

	"github.com/chromedp/chromedp"
)

// Viewport resizes p's viewport to w×h CSS pixels (a phone: 390×844),
// as a device with that screen would show the page.
func (p *Page) Viewport(w, h int64, mobile bool) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if mobile {
		opts = append(opts, chromedp.EmulateMobile)
	}
	if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(w, h, opts...)); err != nil {
		p.fatalf("browser: viewport %dx%d: %v", w, h, err)
	}
}
