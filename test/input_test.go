package test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gobwas/ws"

	"github.com/switchboard-rt/switchboard/test/testnode"
)

// A message that is not UTF-8 closes the WebSocket with 1007
// (RFC 6455 §8.1), in one frame or spread over fragments, and is neither
// answered nor echoed; a character split across fragments is fine.
func TestWSInvalidUTF8Closes1007(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	frag := func(c *testnode.WS, op ws.OpCode, fin bool, p string) {
		t.Helper()
		f := ws.MaskFrameInPlace(ws.NewFrame(op, fin, []byte(p)))
		if err := ws.WriteFrame(c.Conn, f); err != nil {
			t.Fatal(err)
		}
	}
	c := n.DialWS(n.Token("u1"))
	c.Send("{\"op\":\"ping\",\"ref\":\"\xff\"}")
	if code, reason := c.WaitClosed(); code != 1007 || reason != "invalid_utf8" {
		t.Fatalf("one frame: close %d %q, want 1007 invalid_utf8", code, reason)
	}

	c = n.DialWS(n.Token("u1"))
	frag(c, ws.OpText, false, `{"op":"ping","ref":"caf`)
	frag(c, ws.OpContinuation, false, "\xc3") // é split in two
	frag(c, ws.OpContinuation, true, "\xa9\"}")
	if f := c.ReadOp("pong"); string(f.Ref) != `"café"` {
		t.Fatalf("split character: %+v", f)
	}
	frag(c, ws.OpText, false, `{"op":"ping","ref":"`)
	frag(c, ws.OpContinuation, true, "\xc3\"}") // truncated character
	if code, reason := c.WaitClosed(); code != 1007 || reason != "invalid_utf8" {
		t.Fatalf("fragments: close %d %q, want 1007 invalid_utf8", code, reason)
	}
	n.DialWS(n.Token("u1")).Join("user:u1") // the node stays up
}

// A NUL character or invalid UTF-8 in a field of a plugin request is a 400
// naming the field (it was a 500 from the database), as is a key given
// twice (the last one won silently), and nothing is stored.
func TestPluginRequestRefusesBadText(t *testing.T) {
	n := pmNode(t)
	u1 := n.Token("u1", "w1")
	for _, tc := range []struct{ body, want string }{
		{`{"name":"Apo\u0000llo"}`, `NUL character (\\u0000) in the string at /name`},
		{"{\"name\":\"Apo\xffllo\"}", `invalid UTF-8 (or a lone surrogate escape) in the string at /name`},
		{`{"name":"\ud83dllo"}`, `in the string at /name`},
		{`{"name":"Apollo","name":"Gemini"}`, `duplicate key \"name\" at /name`},
	} {
		st, b := n.Do("POST", "/v1/workspaces/w1/projects", []byte(tc.body), authz(u1))
		if st != http.StatusBadRequest || !strings.Contains(string(b), tc.want) {
			t.Errorf("%q: got %d %s, want 400 with %q", tc.body, st, b, tc.want)
		}
	}
	_, list := call(t, n, u1, "GET", "/v1/workspaces/w1/projects", nil, 200)
	if items, _ := list["items"].([]any); len(items) != 0 {
		t.Fatalf("projects stored from refused requests: %v", list)
	}
}
