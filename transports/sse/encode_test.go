package sse

import (
	"strings"
	"testing"

	"github.com/switchboard-rt/switchboard/core/hub"
)

func TestEncodeEvent(t *testing.T) {
	got := string(encodeEvent(&hub.Event{Room: "project:p1", Seq: 42, Type: "pm.task.created", Data: []byte(`{"a":1}`)}))
	want := "id: 42\nevent: pm.task.created\ndata: {\"room\":\"project:p1\",\"seq\":42,\"event\":{\"a\":1}}\n\n"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	got = string(encodeEvent(&hub.Event{Room: "project:p1", Type: "presence.join", Data: []byte(`{}`)}))
	if strings.Contains(got, "id:") || strings.Contains(got, "seq") {
		t.Fatalf("presence frame %q carries an id", got)
	}
}
