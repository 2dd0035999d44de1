package test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

// displayToken mints a token for sub in workspaces with display claims.
func displayToken(t *testing.T, n *testnode.Node, sub string, d auth.Display, workspaces ...string) string {
	t.Helper()
	tok, err := auth.MintDisplay([]byte(n.Cfg.Auth.JWTSecret), sub, workspaces, d, time.Hour, time.Now(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestPresenceCarriesDisplayClaims: presence.join, presence.leave and the
// presence listing carry the token's name, email and avatar (picture when
// avatar is absent); a user whose token has none shows just the id
// (docs/PROTOCOL.md §8).
func TestPresenceCarriesDisplayClaims(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	a := n.DialWS(n.Token("u1", "w1"))
	a.Join("workspace:w1")
	a.ReadOp("event") // u1's own join
	ann := auth.Display{Name: "Ann Lee", Email: "ann@example.com", Avatar: "https://img.example/ann.png"}
	b := n.DialWS(displayToken(t, n, "u2", ann, "w1"))
	b.Join("workspace:w1")
	data := func(f testnode.Frame) string {
		t.Helper()
		b, _ := json.Marshal(f.CloudEvent(t)["data"])
		return string(b)
	}
	const want = `{"avatar":"https://img.example/ann.png","email":"ann@example.com","name":"Ann Lee","room":"workspace:w1","userId":"u2"}`
	if got := data(a.ReadOp("event")); got != want {
		t.Fatalf("presence.join data %s, want %s", got, want)
	}
	st, body := n.Do("GET", "/v1/rooms/workspace:w1/presence", nil, authz(n.Token("u1", "w1")))
	const wantList = `{"room":"workspace:w1","users":[{"userId":"u1"},{"userId":"u2","name":"Ann Lee","email":"ann@example.com","avatar":"https://img.example/ann.png"}]}`
	if st != 200 || string(body) != wantList+"\n" && string(body) != wantList {
		t.Fatalf("listing: %d %s, want %s", st, body, wantList)
	}
	b.Conn.Close()
	if f := a.ReadOp("event"); f.CloudEvent(t)["type"] != "presence.leave" || data(f) != want {
		t.Fatalf("presence.leave %+v data %s, want %s", f, data(f), want)
	}
}
