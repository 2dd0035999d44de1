package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/switchboard-rt/switchboard/test/testnode"
)

// TestFanoutSmoke runs a tiny fan-out against an in-process node: every
// connection is set up through sbclient and handed to the reactor, and
// every member gets every event of its room once, in order.
func TestFanoutSmoke(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	var out, errOut bytes.Buffer
	code := runFanout([]string{"--url", n.URL, "--rooms", "2", "--members", "3", "--rate", "40",
		"--duration", "500ms", "--json"}, &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut.String())
	}
	var r struct {
		ConnsJoined  int   `json:"conns_joined"`
		AllDelivered bool  `json:"all_delivered"`
		Deliveries   int64 `json:"deliveries"`
		Duplicates   int64 `json:"duplicates"`
		OutOfOrder   int64 `json:"out_of_order"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	if r.ConnsJoined != 6 || !r.AllDelivered || r.Deliveries == 0 || r.Duplicates != 0 || r.OutOfOrder != 0 {
		t.Fatalf("report %+v (%s)", r, out.String())
	}
}
