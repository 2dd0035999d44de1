package sse

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/hub"
	"github.com/switchboard-rt/switchboard/core/room"
)

// FuzzParse feeds any query string and Last-Event-ID to the stream's
// request parsing: it never panics, refuses with a wire error or returns
// 1 to max_rooms valid, distinct rooms, and a since only when one was
// given as a decimal.
func FuzzParse(f *testing.F) {
	for _, s := range []struct{ q, last string }{
		{"room=project:p1&room=task:t1", ""},
		{"room=user:u1&since=41", ""},
		{"room=user:u1&room=user:u1", "7"},
		{"room=user:u1", "-1"},
		{"room=user&since=x", ""},
		{"room=%00:a&room=a:%ff", ""},
		{"room=a:b;room=c:d", ""},
		{"", ""},
		{"room=" + "k:" + string(make([]byte, 130)), "18446744073709551616"},
	} {
		f.Add(s.q, s.last)
	}
	tr := &Transport{cfg: Config{MaxRooms: 4}, hub: hub.New(hub.Options{})} // no auto-join: see TestParseAutoJoin
	p := &auth.Principal{User: "u1", Workspaces: []string{"w1"}}
	f.Fuzz(func(t *testing.T, query, last string) {
		r := httptest.NewRequest(http.MethodGet, "/v1/sse", nil)
		r.URL.RawQuery = query
		if last != "" {
			r.Header.Set("Last-Event-ID", last)
		}
		rooms, since, werr := tr.parse(r, p)
		if werr != nil {
			if werr.Code == "" || werr.Message == "" {
				t.Fatalf("%q: empty wire error %+v", query, werr)
			}
			return
		}
		if len(rooms) == 0 || len(rooms) > 4 {
			t.Fatalf("%q: %d rooms", query, len(rooms))
		}
		seen := map[room.Room]bool{}
		for _, rm := range rooms {
			if _, err := room.Parse(rm.String()); err != nil || seen[rm] {
				t.Fatalf("%q: room %v invalid or twice", query, rm)
			}
			seen[rm] = true
		}
		q, _ := url.ParseQuery(query)
		given := last
		if given == "" {
			given = q.Get("since")
		}
		if (given == "") != (since == nil) {
			t.Fatalf("%q / %q: since %v", query, last, since)
		}
		if since != nil {
			if v, err := strconv.ParseUint(given, 10, 64); err != nil || v != *since {
				t.Fatalf("since %d from %q", *since, given)
			}
		}
	})
}

// TestParseAutoJoin: with hub.auto_join the token's rooms are added to the
// URL's, each once, so the URL may name none; autojoin=0 turns that off.
func TestParseAutoJoin(t *testing.T) {
	tr := &Transport{cfg: Config{MaxRooms: 4}, hub: hub.New(hub.Options{AutoJoin: []string{"user", "workspace"}})}
	p := &auth.Principal{User: "u1", Workspaces: []string{"w1", "w2"}}
	for _, tc := range []struct{ query, want string }{
		{"", "[user:u1 workspace:w1 workspace:w2]"},
		{"room=project:p1&room=workspace:w2", "[project:p1 workspace:w2 user:u1 workspace:w1]"},
		{"room=project:p1&autojoin=0", "[project:p1]"},
		{"autojoin=0", "bad_request: at least one room parameter is required"},
		{"autojoin=maybe", `bad_request: autojoin must be 0 or 1, got "maybe"`},
	} {
		r := httptest.NewRequest(http.MethodGet, "/v1/sse?"+tc.query, nil)
		rooms, _, werr := tr.parse(r, p)
		got := fmt.Sprint(rooms)
		if werr != nil {
			got = werr.Error()
		}
		if got != tc.want {
			t.Errorf("%q: %s, want %s", tc.query, got, tc.want)
		}
	}
}
