package test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/clients/go/sbclient"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

// raceRounds is how many rounds TestNoEventAfterTheRemovalIsAnswered runs
// (SB_RACE_ROUNDS overrides it).
func raceRounds(t *testing.T) int {
	if s := os.Getenv("SB_RACE_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("SB_RACE_ROUNDS=%q: want a positive number", s)
		}
		return n
	}
	return 500
}

// raceStats are the figures of the race test, printed at its end.
type raceStats struct {
	wsJoinOK, wsJoinRefused, sseOpened, sseRefused, revokedWS, revokedSSE int
	answer                                                                []time.Duration
}

// When the API answers a member's removal, none of the member's
// connections, WebSocket or SSE, receives an event published after the
// answer, by a plugin or the publish API, whether the member sat in the
// project's and task's rooms or was joining them (with and without since)
// while the removal ran; and the member is in neither room afterwards.
// Each round adds u2 back, puts u2 in the rooms (or races the joins against
// the removal), removes u2, then at once updates the task (tasks plugin)
// and publishes into both rooms (publish API).
func TestNoEventAfterTheRemovalIsAnswered(t *testing.T) {
	// Each round sends a few frames, some refused on purpose: lift the
	// per-connection frame rate and error limits.
	n := pmNode(t, `transport "ws" {
  rate_limit = 100000
  rate_burst = 100000
  max_errors = 1000000
}
transport "sse" {}`)
	pid, _, tid, _ := pmProject(t, n)
	proom, troom := "project:"+pid, "task:"+tid
	u1, u2 := n.Token("u1", "w1"), n.Token("u2")
	ws := n.DialWS(u2)
	ws.Join("user:u2")
	var st raceStats
	var taskSeq uint64 // the task room's position, for joins with since
	rounds := raceRounds(t)
	for i := range rounds {
		racing, since := i%2 == 1, i%4 == 3
		call(t, n, u1, "POST", "/v1/projects/"+pid+"/members", kv{"userId": "u2", "role": "member"}, 201)
		sseURL := n.SSEURL(proom, troom, "user:u2")
		var stream *testnode.SSE
		if !racing {
			ws.Join(proom)
			taskSeq = ws.Join(troom).Seq
			if stream, _, _ = n.DialSSE(sseURL, authz(u2)); stream == nil {
				t.Fatalf("round %d: u2, a member, could not open the SSE stream", i)
			}
		}
		removed := make(chan removal, 1)
		go func() { removed <- remove(n, u1, pid, "u2") }()
		joins := 0
		if racing {
			// With since, the project room replays its whole history (it
			// grows every round) while the removal runs, the task room
			// from its last position; the SSE stream resumes from the start.
			var ps, ts *uint64
			hdr := authz(u2)
			if since {
				zero := uint64(0)
				ps, ts = &zero, &taskSeq
				hdr["Last-Event-ID"] = "0"
			}
			ws.Send(sbclient.JoinFrame(proom, "race-p", ps))
			ws.Send(sbclient.JoinFrame(troom, "race-t", ts))
			joins = 2
			var resp *http.Response
			var body []byte
			if stream, resp, body = n.DialSSE(sseURL, hdr); stream == nil && resp.StatusCode != http.StatusForbidden {
				t.Fatalf("round %d: SSE racing the removal: %s %s, want 200 or 403", i, resp.Status, body)
			}
		}
		rm := <-removed
		if rm.err != nil || rm.status != http.StatusNoContent {
			t.Fatalf("round %d: removing u2: %d %s %v", i, rm.status, rm.body, rm.err)
		}
		st.answer = append(st.answer, rm.took)

		// Published after the answer: none of it may reach u2.
		corr, _ := call(t, n, u1, "PATCH", "/v1/tasks/"+tid, kv{"title": fmt.Sprintf("Round %d", i)}, 200)
		after := fmt.Sprintf("race.after.%d", i)
		n.PublishOK("race.after", kv{"round": after}, proom, troom)
		n.PublishOK("race.marker", kv{"round": after}, "user:u2")
		leaked := func(room string, ev map[string]any) bool {
			if room != proom && room != troom {
				return false
			}
			d, _ := ev["data"].(map[string]any)
			return ev["correlationid"] == corr || (d != nil && d["round"] == after && ev["type"] == "race.after")
		}
		marker := func(ev map[string]any) bool {
			d, _ := ev["data"].(map[string]any)
			return ev["type"] == "race.marker" && d != nil && d["round"] == after
		}

		// WebSocket: read up to the marker and both join answers. Nothing
		// of a room may follow its access.revoked either.
		revoked := map[string]bool{}
		for seen := false; !seen || joins > 0; {
			f := ws.Read()
			switch {
			case f.Op == "ok" && f.Room != "":
				joins--
				st.wsJoinOK++
				if f.Room == troom && f.Seq > 0 {
					taskSeq = f.Seq
				}
			case f.Op == "error":
				if f.Code != "forbidden" {
					t.Fatalf("round %d: join answered %+v, want ok or forbidden", i, f)
				}
				joins--
				st.wsJoinRefused++
			case f.Op == "event":
				ev := f.CloudEvent(t)
				switch {
				case leaked(f.Room, ev):
					t.Fatalf("round %d: WebSocket received %s in %s, published after the removal was answered", i, ev["type"], f.Room)
				case revoked[f.Room] && f.Seq > 0:
					t.Fatalf("round %d: WebSocket received %s (seq %d) in %s after access.revoked", i, ev["type"], f.Seq, f.Room)
				case ev["type"] == "access.revoked":
					revoked[f.Room] = true
					st.revokedWS++
				case marker(ev):
					seen = true
				}
			}
		}
		// u2 is in neither room now.
		for _, r := range []string{proom, troom} {
			ws.Send(sbclient.LeaveFrame(r, "check"))
			if f := ws.Reply(); f.Op != "error" || f.Code != "not_found" {
				t.Fatalf("round %d: leave %s answered %+v: u2 is still in the room", i, r, f)
			}
		}

		// SSE: the same, up to the marker.
		if stream == nil {
			st.sseRefused++
			continue
		}
		st.sseOpened++
		revoked = map[string]bool{}
		for seen := false; !seen; {
			e, err := stream.Next(testnode.Timeout)
			if err != nil {
				t.Fatalf("round %d: SSE: %v", i, err)
			}
			if e.Data == "" {
				continue
			}
			f := e.Payload(t)
			if e.Event == "access.revoked" {
				revoked[f.Room] = true
				st.revokedSSE++
				continue
			}
			ev := f.CloudEvent(t)
			if leaked(f.Room, ev) {
				t.Fatalf("round %d: SSE received %s in %s, published after the removal was answered", i, ev["type"], f.Room)
			}
			if revoked[f.Room] && f.Seq > 0 {
				t.Fatalf("round %d: SSE received %s (seq %d) in %s after access.revoked", i, ev["type"], f.Seq, f.Room)
			}
			seen = marker(ev)
		}
		stream.Resp.Body.Close()
	}
	slices.Sort(st.answer)
	t.Logf("%d rounds, 0 events after the removal's answer; WebSocket: %d racing joins answered ok, %d forbidden, %d access.revoked; "+
		"SSE: %d streams opened (%d refused), %d access.revoked; removal answered in %s median, %s p99",
		rounds, st.wsJoinOK, st.wsJoinRefused, st.revokedWS, st.sseOpened, st.sseRefused, st.revokedSSE,
		st.answer[len(st.answer)/2], st.answer[len(st.answer)*99/100])
}

type removal struct {
	status int
	body   string
	took   time.Duration
	err    error
}

// remove sends the owner's DELETE of a membership (from a goroutine: it
// cannot fail the test itself).
func remove(n *testnode.Node, owner, pid, user string) removal {
	req, err := http.NewRequest("DELETE", n.URL+"/v1/projects/"+pid+"/members/"+user, nil)
	if err != nil {
		return removal{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+owner)
	start := time.Now()
	resp, err := (&http.Client{Timeout: testnode.Timeout}).Do(req)
	if err != nil {
		return removal{err: err}
	}
	defer resp.Body.Close()
	var b json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&b)
	return removal{status: resp.StatusCode, body: string(b), took: time.Since(start)}
}
