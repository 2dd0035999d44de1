package test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/test/browser"
)

// readmeBoard returns the board page of the README's "From a browser"
// section: the html block after the <!-- board.html … --> marker, as a
// reader would save it.
func readmeBoard(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "<!-- board.html")
	if i < 0 {
		t.Fatal("README.md: no <!-- board.html --> marker before the board page")
	}
	s = s[i:]
	start := strings.Index(s, "```html\n")
	if start < 0 {
		t.Fatal("README.md: no ```html block after the board.html marker")
	}
	s = s[start+len("```html\n"):]
	end := strings.Index(s, "\n```")
	if end < 0 {
		t.Fatal("README.md: the board page's block is not closed")
	}
	return s[:end+1]
}

// TestReadmeBoard runs the README's board page as a reader would: saved
// as is (only the node's address and the project id put in), served from
// another origin, in headless Chromium, importing the client from the
// node's /v1/client.js and taking its tokens from the development console.
// Tasks made, moved and deleted through the HTTP API must appear, move and
// disappear on the board.
func TestReadmeBoard(t *testing.T) {
	page := readmeBoard(t)
	n := pmNode(t, "server {\n  console = true\n  allowed_origins = [\"*\"]\n}")
	u1, err := auth.Mint([]byte(config.DevJWTSecret), "u1", []string{"w1"}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, proj := call(t, n, u1, "POST", "/v1/workspaces/w1/projects", kv{"name": "Apollo"}, 201)
	pid := proj["id"].(string)
	_, spec := call(t, n, u1, "POST", "/v1/projects/"+pid+"/tasks", kv{"title": "Write the spec"}, 201)

	for _, s := range []string{"http://localhost:8080", "PASTE THE PROJECT ID HERE"} {
		if !strings.Contains(page, s) {
			t.Fatalf("the README's board page no longer contains %q, which this test replaces", s)
		}
	}
	page = strings.ReplaceAll(page, "http://localhost:8080", n.URL)
	page = strings.ReplaceAll(page, "PASTE THE PROJECT ID HERE", pid)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	}))
	t.Cleanup(origin.Close)

	b := browser.Start(t)
	p := b.NewPage(t)
	p.Open(origin.URL + "/board.html")
	const wait = 10 * time.Second
	column := func(status string) string {
		return fmt.Sprintf(`[...document.querySelectorAll("#%s .card")].map((c) => c.textContent).join("|")`, status)
	}
	board := `["todo","in_progress","done"].map((s) => s + ": " + [...document.querySelectorAll("#" + s + " .card")].map((c) => c.textContent).join("|")).join(" / ") + " (state " + document.getElementById("state").textContent + ")"`
	until := func(cond string) {
		t.Helper()
		p.WaitFor(cond, wait, board)
	}
	// Loaded: the task made before the page opened.
	until(`document.getElementById("state").textContent === "connected" && ` + column("todo") + ` === "Write the spec"`)

	// Made while the page is open: it appears.
	_, design := call(t, n, u1, "POST", "/v1/projects/"+pid+"/tasks", kv{"title": "Design the board"}, 201)
	until(column("todo") + ` === "Write the spec|Design the board"`)

	// Moved, then assigned: the card follows.
	call(t, n, u1, "PATCH", "/v1/tasks/"+spec["id"].(string), kv{"status": "done"}, 200)
	until(column("done") + ` === "Write the spec" && ` + column("todo") + ` === "Design the board"`)
	call(t, n, u1, "PATCH", "/v1/tasks/"+design["id"].(string), kv{"status": "in_progress", "assigneeId": "u1"}, 200)
	until(column("in_progress") + ` === "Design the board · u1" && ` + column("todo") + ` === ""`)

	// Deleted: it disappears.
	call(t, n, u1, "DELETE", "/v1/tasks/"+spec["id"].(string), nil, 204)
	until(column("done") + ` === "" && ` + column("in_progress") + ` === "Design the board · u1"`)
	if errs := p.Console(); len(errs) > 0 {
		for _, e := range errs {
			if strings.Contains(strings.ToLower(e), "error") {
				t.Errorf("the page logged: %s", e)
			}
		}
	}
}
