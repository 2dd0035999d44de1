package test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/test/browser"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

// resumePage loads the TypeScript client (clients/js/dist, served at
// /dist/) as an ES module and records, per client, what a user of it sees:
// every state change, test event (other types apart), onRecovered call
// and error, each with its Date.now() (the same clock as the test's
// time.Now()). Tokens come from the page's own origin (/token): the page
// mints nothing.
const resumePage = `<!doctype html>
<meta charset="utf-8">
<title>switchboard resume test</title>
<script type="module">
import { Switchboard } from "/dist/index.js";
window.clients = {};
async function token() {
  const r = await fetch("/token", { cache: "no-store" });
  if (!r.ok) throw new Error("GET /token: " + r.status);
  return r.text();
}
window.startClient = async (name, url, transport, room) => {
  const rec = { states: [], events: [], other: [], recovered: [], errors: [] };
  const sb = new Switchboard({
    url, transport, token,
    onError: (e) => rec.errors.push({ code: e.code, message: e.message, t: Date.now() }),
  });
  sb.on("state", (s, err) => rec.states.push({ s, t: Date.now(), err: err ? err.code + ": " + err.message : "" }));
  const sub = sb.subscribe(room, {
    onEvent: (ev, meta) => {
      if (ev.type === "x.resume") rec.events.push({ n: ev.data.n, seq: meta.seq, t: Date.now() });
      else rec.other.push(ev.type); // presence.join/leave of its own connections
    },
    onRecovered: (r) => rec.recovered.push({ r, t: Date.now() }),
  });
  window.clients[name] = { sb, sub, rec };
  await sub.ready;
  return true;
};
window.record = (name) => ({ ...window.clients[name].rec, state: window.clients[name].sb.state });
window.loaded = true;
</script>
<h1>switchboard resume test</h1>
`

// pageRecord is window.record(name) of resumePage.
type pageRecord struct {
	States []struct {
		S   string
		T   int64
		Err string
	}
	Events []struct {
		N   int
		Seq uint64
		T   int64
	}
	Other     []string
	Recovered []struct {
		R bool
		T int64
	}
	Errors []struct {
		Code    string
		Message string
		T       int64
	}
	State string
}

// serveResumePage serves resumePage at /, the client's dist directory at
// /dist/ and a token for sub in workspaces at /token, on an origin of its
// own.
func serveResumePage(t *testing.T, dist, sub string, workspaces ...string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(resumePage))
	})
	mux.Handle("GET /dist/", http.StripPrefix("/dist/", http.FileServer(http.Dir(dist))))
	mux.HandleFunc("GET /token", func(w http.ResponseWriter, _ *http.Request) {
		tok, err := auth.Mint([]byte(config.DevJWTSecret), sub, workspaces, time.Hour, time.Now())
		if err != nil {
			http.Error(w, "mint: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(tok))
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// resumeHCL is the config of a node process on a fixed port whose data
// dir outlives its runs, allowing origin.
func resumeHCL(t *testing.T, origin string) string {
	port := testnode.FreePorts(t, 1)[0]
	return fmt.Sprintf(`server {
  listen           = "127.0.0.1:%d"
  data_dir         = %q
  shutdown_timeout = "5s"
  allowed_origins  = [%q]
}
auth {
  jwt_secret = %q
  api_keys   = [%q]
}
`, port, t.TempDir(), origin, config.DevJWTSecret, testnode.ProcAPIKey)
}

// TestBrowserResumeAfterRestart proves in real headless Chromium, with the
// TypeScript client loaded from another origin than the node's, that a
// subscription over WebSocket and one over SSE come back by themselves
// when the node restarts (SIGTERM, a drain; or SIGKILL) on the same data
// dir and port, and that the page then has every event exactly once, in
// order: those published before the restart and those published once the
// node is ready again, which it may see only in the history replayed on
// its rejoin (docs/PROTOCOL.md §3.6, §4.2). It logs how long after the
// node's readiness each subscription was joined again ("resume"), and how
// much of that the client spent waiting in its backoff.
func TestBrowserResumeAfterRestart(t *testing.T) {
	b := browser.Start(t) // skips (or fails, SB_TEST_BROWSER_REQUIRED=1) without Chromium
	dist := browser.ClientDist(t, filepath.Join("..", "clients", "js"))
	const before, total = 5, 10 // events published before the restart, and in all
	modes := []string{"graceful", "kill"}
	site := serveResumePage(t, dist, "u1", modes...)

	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			p := testnode.StartProcess(t, bins[serverPkg], resumeHCL(t, site.URL))
			p.WaitReady(30 * time.Second)
			n := p.Node()
			room := "workspace:" + mode
			pg := b.NewPage(t)
			pg.Open(site.URL)
			pg.WaitFor(`window.loaded === true`, 5*time.Second, "")

			transports := []string{"websocket", "sse"}
			for _, tr := range transports {
				browser.Eval[bool](pg, fmt.Sprintf(`startClient(%s, %s, %s, %s)`, js(tr), js(n.URL), js(tr), js(room)))
			}
			publish := func(from, to int) {
				for i := from; i <= to; i++ {
					n.PublishOK("x.resume", map[string]int{"n": i}, room)
				}
			}
			publish(1, before)
			for _, tr := range transports {
				pg.WaitFor(fmt.Sprintf(`window.record(%s).events.length >= %d`, js(tr), before), 5*time.Second, fmt.Sprintf(`JSON.stringify(window.record(%s))`, js(tr)))
			}
			marks := map[string]pageRecord{}
			for _, tr := range transports {
				marks[tr] = browser.Eval[pageRecord](pg, fmt.Sprintf(`window.record(%s)`, js(tr)))
			}

			down := time.Now()
			if mode == "kill" {
				p.Kill()
			} else {
				p.Term(10 * time.Second)
			}
			p.Start()
			p.WaitReady(30 * time.Second)
			ready := time.Now()
			publish(before+1, total)
			// Rejoined (an onRecovered call after the restart) with every event.
			for _, tr := range transports {
				pg.WaitFor(fmt.Sprintf(`((r) => r.events.length >= %d && r.recovered.length > %d && r.state === "connected")(window.record(%s))`,
					total, len(marks[tr].Recovered), js(tr)), 15*time.Second, fmt.Sprintf(`JSON.stringify(window.record(%s))`, js(tr)))
			}

			for _, tr := range transports {
				t.Run(tr, func(t *testing.T) {
					rec := browser.Eval[pageRecord](pg, fmt.Sprintf(`window.record(%s)`, js(tr)))
					checkResumed(t, rec, marks[tr], total, down, ready)
				})
			}
		})
	}
}

// maxResume bounds the time from the node's readiness to a rejoin: the
// client's largest default backoff step (5 s, clients/js/src/backoff.ts)
// plus a second for the attempt itself on a loaded machine.
const maxResume = 6 * time.Second

// checkResumed asserts what the page recorded for one client across the
// restart (mark: its record before it) and logs the resume timings.
func checkResumed(t *testing.T, rec, mark pageRecord, total int, down, ready time.Time) {
	t.Helper()
	var ns []int
	var lastSeq uint64
	for i, e := range rec.Events {
		ns = append(ns, e.N)
		if i > 0 && e.Seq <= lastSeq {
			t.Errorf("event n=%d has seq %d after seq %d: not in order", e.N, e.Seq, lastSeq)
		}
		lastSeq = e.Seq
	}
	want := make([]int, total)
	for i := range want {
		want[i] = i + 1
	}
	if !slices.Equal(ns, want) {
		t.Errorf("the page received n = %v, want exactly %v (no gap, no duplicate, in order)", ns, want)
	}
	for _, e := range rec.Errors {
		t.Errorf("onError: %s: %s", e.Code, e.Message)
	}
	if rec.State != "connected" {
		t.Errorf("client state %q, want connected", rec.State)
	}
	after := rec.Recovered[len(mark.Recovered):]
	if len(after) == 0 {
		t.Fatalf("no onRecovered call after the restart: %+v", rec.Recovered)
	}
	for _, r := range after {
		if !r.R {
			t.Errorf("onRecovered(false) after the restart: history should reach back to the last event seen")
		}
	}
	// The states after the restart: disconnected first, then attempts
	// (connecting, and disconnected again while the node is down), ending
	// connected; never closed.
	states := rec.States[len(mark.States):]
	var names []string
	for _, s := range states {
		names = append(names, s.S)
	}
	if len(names) < 2 || names[0] != "disconnected" || names[len(names)-1] != "connected" || slices.Contains(names, "closed") {
		t.Errorf("states after the restart %v, want disconnected, …, connected", names)
	}
	if len(states) > 0 {
		t.Logf("went down: %s", states[0].Err)
	}

	// Timings. The attempt that succeeded began at the last "connecting"
	// before the first rejoin.
	rejoined := time.UnixMilli(after[0].T)
	attempts, started := 0, time.Time{}
	for _, s := range states {
		if s.S == "connecting" && s.T <= after[0].T {
			attempts++
			started = time.UnixMilli(s.T)
		}
	}
	lastDown := time.Time{}
	for _, s := range states {
		if s.S == "disconnected" && s.T <= started.UnixMilli() {
			lastDown = time.UnixMilli(s.T)
		}
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }
	// Once the node is up, a client waits at most one backoff step (5 s at
	// most by default, and at least the SSE retry: of 2 s) before the attempt
	// that succeeds. The resume can be slightly negative: the node accepts
	// connections a little before WaitReady sees /readyz answer 200.
	if rejoined.Sub(ready) > maxResume {
		t.Errorf("rejoined %s after the node was ready: more than the client's largest backoff step allows (%s)", ms(rejoined.Sub(ready)), maxResume)
	}
	t.Logf("resume %s after ready (node down→ready %s; down→rejoined %s); attempts %d; the successful one started %s after ready, after a wait of %s since the failure before it; join took %s",
		ms(rejoined.Sub(ready)), ms(ready.Sub(down)), ms(rejoined.Sub(down)), attempts,
		ms(started.Sub(ready)), ms(started.Sub(lastDown)), ms(rejoined.Sub(started)))
	if testing.Verbose() {
		var tl []string
		for _, s := range states {
			tl = append(tl, fmt.Sprintf("%+dms %s", time.UnixMilli(s.T).Sub(down).Milliseconds(), s.S))
		}
		t.Logf("states (from the signal): %s", strings.Join(tl, ", "))
	}
}
