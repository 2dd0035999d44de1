package test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/test/browser"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

// EnvConsoleScreenshot, when set to a path, is where TestConsoleBrowser
// also writes its laptop-width screenshot (docs/console.png is made so),
// and the phone-width one beside it (NAME-phone.png).
const EnvConsoleScreenshot = "SB_CONSOLE_SCREENSHOT"

// TestConsoleServedOnlyWhenOn checks that /console is not served by
// default, and that a node on a real secret serves the page but mints no
// token.
func TestConsoleServedOnlyWhenOn(t *testing.T) {
	off := testnode.Start(t, testnode.Config(t))
	for _, path := range []string{"/console", "/console/app.js", "/console/token"} {
		if st, b := off.Do("GET", path, nil, nil); st != http.StatusNotFound {
			t.Errorf("console off: GET %s: %d %.100s, want 404", path, st, b)
		}
	}
	cfg := testnode.Config(t)
	cfg.Server.Console = true
	cfg.Auth.JWTSecret = "a-production-secret-that-is-not-the-dev-one"
	prod := testnode.Start(t, cfg)
	if st, b := prod.Do("GET", "/console", nil, nil); st != http.StatusOK || !strings.Contains(string(b), "<title>Switchboard console</title>") {
		t.Errorf("console on: GET /console: %d %.200s", st, b)
	}
	st, b := prod.Do("POST", "/console/token", `{"sub":"ada"}`, map[string]string{"Content-Type": "application/json"})
	if st != http.StatusNotFound || strings.Contains(string(b), "token\":") || !strings.Contains(string(b), "does not mint tokens") {
		t.Errorf("real secret: POST /console/token: %d %s, want 404 without a token", st, b)
	}
}

// TestConsoleBrowser drives the console in headless Chromium against a
// node with the PM plugins: mint a development token, join rooms, watch
// PM events made through the HTTP API arrive live, see presence, filter,
// read the catalogue, publish with an API key, and check the layout at
// laptop and phone widths, with a screenshot of each.
func TestConsoleBrowser(t *testing.T) {
	n := pmNode(t, "server {\n  console = true\n}")
	b := browser.Start(t)
	p := b.NewPage(t)
	p.Open(n.URL + "/console")
	const wait = 10 * time.Second
	click := func(sel string) {
		t.Helper()
		browser.Eval[bool](p, fmt.Sprintf(`(() => { const el = document.querySelector(%s); if (!el) throw new Error("no " + %[1]s); el.click(); return true; })()`, js(sel)))
	}
	set := func(sel, v string) {
		t.Helper()
		browser.Eval[bool](p, fmt.Sprintf(`(() => { const el = document.querySelector(%s); el.value = %s; el.dispatchEvent(new Event("input", {bubbles: true})); el.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`, js(sel), js(v)))
	}
	visible := func(sel string) string {
		return fmt.Sprintf(`(() => { const el = document.querySelector(%s); return !!el && el.offsetParent !== null; })()`, js(sel))
	}
	rowText := func(typ string) string {
		return browser.Eval[string](p, fmt.Sprintf(`document.querySelector('.ev[data-type=%s]')?.innerText ?? ""`, js(typ)))
	}

	// Sign in: the node runs on the development secret, so it mints.
	p.WaitFor(`!!document.querySelector("#mint-form")`, wait, `document.querySelector("#identity").innerText`)
	set("#mint-sub", "ada")
	set("#mint-name", "Ada Lovelace")
	set("#mint-workspaces", "w1")
	click("#mint")
	p.WaitFor(`document.querySelector("#who")?.textContent === "Ada Lovelace"`, wait, `document.querySelector("#identity").innerText`)

	// Join the workspace; the connection opens with the first room.
	set("#room-input", "workspace:w1")
	click("#join")
	p.WaitFor(`!!document.querySelector('.room[data-room="workspace:w1"][data-state="joined"]') && document.querySelector("#conn-state").dataset.state === "connected"`,
		wait, `document.querySelector(".side").innerText + " / " + document.querySelector("#conn-state").innerText`)

	// PM events made over the HTTP API appear live.
	ada, err := auth.MintDisplay([]byte(config.DevJWTSecret), "ada", []string{"w1"}, auth.Display{Name: "Ada Lovelace"}, time.Hour, time.Now(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	_, proj := call(t, n, ada, "POST", "/v1/workspaces/w1/projects", kv{"name": "Apollo"}, 201)
	pid := proj["id"].(string)
	p.WaitFor(visible(`.ev[data-type="pm.project.created"]`), wait, `document.querySelector("#events").innerText`)
	if txt := rowText("pm.project.created"); !strings.Contains(txt, "workspace:w1") || !strings.Contains(txt, "Apollo") {
		t.Fatalf("pm.project.created row: %q", txt)
	}
	projRoom := "project:" + pid
	set("#room-input", projRoom)
	click("#join")
	p.WaitFor(fmt.Sprintf(`!!document.querySelector('.room[data-room=%s][data-state="joined"]')`, js(projRoom)), wait, `document.querySelector(".side").innerText`)

	// Grace joins the project room from elsewhere: the console sees her arrive.
	call(t, n, ada, "POST", "/v1/projects/"+pid+"/members", kv{"userId": "grace", "role": "member"}, 201)
	grace, err := auth.MintDisplay([]byte(config.DevJWTSecret), "grace", []string{"w1"}, auth.Display{Name: "Grace Hopper"}, time.Hour, time.Now(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	gc := n.DialWS(grace)
	gc.Join(projRoom)
	click(fmt.Sprintf(`.room[data-room=%s] .room-name`, js(projRoom)))
	p.WaitFor(`!!document.querySelector('#presence .user[data-user="grace"]') && !!document.querySelector('#presence .user[data-user="ada"]')`,
		wait, `document.querySelector("#presence").innerText`)
	if got := browser.Eval[string](p, `document.querySelector("#presence").innerText`); !strings.Contains(got, "Grace Hopper") || !strings.Contains(got, "Ada Lovelace") {
		t.Errorf("presence shows %q, want Ada Lovelace and Grace Hopper", got)
	}
	set("#filter-room", "") // selecting the room filtered the list to it: show all again

	_, ph := call(t, n, ada, "POST", "/v1/projects/"+pid+"/phases", kv{"name": "Design", "startsOn": "2026-01-05"}, 201)
	call(t, n, ada, "PATCH", "/v1/phases/"+ph["id"].(string), kv{"status": "active"}, 200)
	call(t, n, ada, "POST", "/v1/projects/"+pid+"/tasks", kv{"title": "Write the spec"}, 201)
	p.WaitFor(visible(`.ev[data-type="pm.phase.started"]`)+` && `+visible(`.ev[data-type="pm.task.created"]`), wait, `document.querySelector("#events").innerText`)

	// Publish from the console with the API key, as a backend would.
	click(`[data-tab="publish"]`)
	set("#pub-rooms", projRoom)
	set("#pub-type", "deploy.finished")
	set("#pub-data", `{"service": "api", "version": "1.4.2", "ok": true}`)
	set("#pub-key", config.DevAPIKey)
	click("#pub-send")
	p.WaitFor(`document.querySelector("#pub-status")?.textContent.startsWith("200")`, wait, `document.querySelector("#pub-answer").innerText`)
	if got := browser.Eval[string](p, `document.querySelector("#pub-answer").innerText`); !strings.Contains(got, projRoom) {
		t.Errorf("publish answer %q does not name the room's seq", got)
	}
	click(`[data-tab="events"]`)
	p.WaitFor(visible(`.ev[data-type="deploy.finished"]`), wait, `document.querySelector("#events").innerText`)

	// The newest task, opened: its envelope pretty-printed.
	call(t, n, ada, "POST", "/v1/projects/"+pid+"/tasks", kv{"title": "Ship the console"}, 201)
	p.WaitFor(`document.querySelector('.ev[data-type="pm.task.created"]')?.innerText.includes('title="Ship the console"')`, wait, `document.querySelector("#events").innerText`)
	click(`.ev[data-type="pm.task.created"] .ev-head`)
	p.WaitFor(visible(`.ev.open .json`), wait, "")
	if got := browser.Eval[string](p, `document.querySelector(".ev.open .ev-body").innerText`); !strings.Contains(got, `"title": "Ship the console"`) || !strings.Contains(got, `"source": "switchboard/plugins/tasks"`) {
		t.Errorf("opened event shows %q", got)
	}

	// Filters: by type, then by type prefix, then all.
	count := `document.querySelectorAll(".ev:not([hidden])").length`
	all := browser.Eval[int](p, count)
	set("#filter-type", "pm.task.created")
	if got := browser.Eval[int](p, count); got != 2 {
		t.Errorf("type filter pm.task.created shows %d events, want 2", got)
	}
	set("#filter-type", "pm.phase.*")
	if got := browser.Eval[int](p, count); got != 3 { // created, updated, started
		t.Errorf("type filter pm.phase.* shows %d events, want 3 (of %d)", got, all)
	}
	set("#filter-type", "")
	if all < 6 {
		t.Errorf("%d events listed, want at least 6", all)
	}

	// The catalogue, with each type's schema.
	click(`[data-tab="catalog"]`)
	p.WaitFor(`!!document.querySelector('.cat-item[data-type="pm.task.created"]')`, wait, `document.querySelector("#catalog-list").innerText`)
	click(`.cat-item[data-type="pm.task.created"]`)
	if got := browser.Eval[string](p, `document.querySelector("#catalog-detail").textContent`); !strings.Contains(got, "Payload schema") || !strings.Contains(got, `"title"`) || !strings.Contains(got, "switchboard/plugins/tasks") {
		t.Errorf("catalogue entry of pm.task.created: %q", got)
	}
	click(`[data-tab="events"]`)

	// Nothing was refused by the Content-Security-Policy, nothing thrown.
	for _, line := range p.Console() {
		if strings.Contains(line, "Content Security Policy") || strings.Contains(strings.ToLower(line), "uncaught") {
			t.Errorf("page console: %s", line)
		}
	}

	dir := t.TempDir()
	laptop := filepath.Join(dir, "console-laptop.png")
	p.Viewport(1280, 800, false)
	p.WaitFor(`document.fonts.status === "loaded"`, wait, "")
	p.Screenshot(laptop)
	if hs := browser.Eval[bool](p, `document.documentElement.scrollWidth <= innerWidth`); !hs {
		t.Errorf("laptop width: the page scrolls sideways")
	}

	// Phone width: one column, nothing wider than the screen.
	p.Viewport(390, 844, true)
	p.WaitFor(`getComputedStyle(document.querySelector(".layout")).gridTemplateColumns.split(" ").length === 1`, wait,
		`getComputedStyle(document.querySelector(".layout")).gridTemplateColumns`)
	if w := browser.Eval[int](p, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("phone width: the page is %d px wide, over 390", w)
	}
	if !browser.Eval[bool](p, visible(`.ev[data-type="pm.task.created"]`)) {
		t.Errorf("phone width: the events are not shown")
	}
	phone := filepath.Join(dir, "console-phone.png")
	p.Screenshot(phone)
	t.Logf("screenshots: %s, %s", laptop, phone)

	// A reload mints again and rejoins both rooms.
	p.Open(n.URL + "/console")
	p.WaitFor(fmt.Sprintf(`document.querySelector("#who")?.textContent === "Ada Lovelace" && !!document.querySelector('.room[data-room="workspace:w1"][data-state="joined"]') && !!document.querySelector('.room[data-room=%s][data-state="joined"]')`, js(projRoom)),
		wait, `document.querySelector(".side").innerText`)

	if out := os.Getenv(EnvConsoleScreenshot); out != "" {
		for src, dst := range map[string]string{laptop: out, phone: strings.TrimSuffix(out, filepath.Ext(out)) + "-phone" + filepath.Ext(out)} {
			b, err := os.ReadFile(src)
			if err == nil {
				err = os.WriteFile(dst, b, 0o644)
			}
			if err != nil {
				t.Fatalf("%s: %v", EnvConsoleScreenshot, err)
			}
			t.Logf("wrote %s", dst)
		}
	}
}

// TestConsoleBrowserPasteSSE signs in with a pasted token over SSE (the
// other transport and the other sign-in) and sees a published event.
func TestConsoleBrowserPasteSSE(t *testing.T) {
	cfg := testnode.Config(t)
	cfg.Server.Console = true
	n := testnode.Start(t, cfg)
	b := browser.Start(t)
	p := b.NewPage(t)
	p.Open(n.URL + "/console")
	const wait = 10 * time.Second
	p.WaitFor(`!!document.querySelector("#mint-form")`, wait, `document.querySelector("#identity").innerText`)
	browser.Eval[bool](p, `(() => { [...document.querySelectorAll("#identity [role=tab]")].find((b) => b.textContent === "Paste token").click(); return true; })()`)
	p.WaitFor(`!!document.querySelector("#paste-token")`, wait, `document.querySelector("#identity").innerText`)
	browser.Eval[bool](p, `(() => { document.querySelector("#paste-token").value = "not a token"; document.querySelector("#connect").click(); return true; })()`)
	p.WaitFor(`document.querySelector("#identity-error").textContent.includes("not a JWT")`, wait, `document.querySelector("#identity").innerText`)
	browser.Eval[bool](p, fmt.Sprintf(`(() => { document.querySelector("#paste-token").value = %s; document.querySelector("#transport").value = "sse"; document.querySelector("#connect").click(); return true; })()`, js(n.Token("bob"))))
	p.WaitFor(`document.querySelector("#who")?.textContent === "bob"`, wait, `document.querySelector("#identity").innerText`)
	browser.Eval[bool](p, `(() => { document.querySelector("#room-input").value = "user:bob"; document.querySelector("#join").click(); return true; })()`)
	p.WaitFor(`document.querySelector("#conn-state").dataset.state === "connected" && document.querySelector("#conn-state").textContent.includes("SSE") && !!document.querySelector('.room[data-room="user:bob"][data-state="joined"]')`,
		wait, `document.querySelector("#conn-state").innerText + " / " + document.querySelector(".side").innerText`)
	n.PublishOK("note.added", map[string]any{"text": "hello over SSE"}, "user:bob")
	p.WaitFor(`document.querySelector('.ev[data-type="note.added"]')?.innerText.includes("hello over SSE")`, wait, `document.querySelector("#events").innerText`)

	// A reload signs in again with the pasted token and rejoins the room.
	p.Open(n.URL + "/console")
	p.WaitFor(`document.querySelector("#who")?.textContent === "bob" && !!document.querySelector('.room[data-room="user:bob"][data-state="joined"]')`,
		wait, `document.querySelector(".side").innerText`)
	n.PublishOK("note.added", map[string]any{"text": "after the reload"}, "user:bob")
	p.WaitFor(`document.querySelector('.ev[data-type="note.added"]')?.innerText.includes("after the reload")`, wait, `document.querySelector("#events").innerText`)
	for _, line := range p.Console() {
		if strings.Contains(line, "Content Security Policy") {
			t.Errorf("page console: %s", line)
		}
	}
}
