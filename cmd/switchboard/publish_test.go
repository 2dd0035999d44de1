package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboard-rt/switchboard/test/testnode"
)

// runCmd runs the CLI and returns its exit code and output.
func runCmd(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

type publishAnswer struct {
	ID        string            `json:"id"`
	Seqs      map[string]uint64 `json:"seqs"`
	Duplicate bool              `json:"duplicate"`
}

// publishCmd publishes through the publish command and returns its answer.
func publishCmd(t *testing.T, n *testnode.Node, rooms, typ, data string, flags ...string) publishAnswer {
	t.Helper()
	args := append([]string{"publish", "--url", n.URL, "--api-key", n.Cfg.Auth.APIKeys[0], rooms, typ, data}, flags...)
	code, out, errOut := runCmd(args...)
	if code != exitOK {
		t.Fatalf("publish: exit %d, stderr %q", code, errOut)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("publish printed %q, want one line", out)
	}
	var a publishAnswer
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("publish printed %q: %v", out, err)
	}
	return a
}

func TestPublishPrintsSeqs(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	a := publishCmd(t, n, "workspace:w1,user:u1", "demo.note", `{"n":1}`, "--id", "evt-1")
	if a.ID != "evt-1" || a.Duplicate || len(a.Seqs) != 2 || a.Seqs["workspace:w1"] == 0 || a.Seqs["user:u1"] == 0 {
		t.Fatalf("answer %+v", a)
	}
	again := publishCmd(t, n, "workspace:w1,user:u1", "demo.note", `{"n":1}`, "--id", "evt-1")
	if !again.Duplicate || again.Seqs["workspace:w1"] != a.Seqs["workspace:w1"] {
		t.Fatalf("republish answer %+v, want a duplicate of %+v", again, a)
	}
	// Flags may follow the arguments; the key may come from the environment.
	t.Setenv("SWITCHBOARD_API_KEY", n.Cfg.Auth.APIKeys[0])
	code, out, errOut := runCmd("publish", "user:u1", "demo.note", `"text"`, "--url", n.URL+"/")
	if code != exitOK || !strings.Contains(out, `"user:u1":`) {
		t.Fatalf("publish with env key: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestPublishServerErrors(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	for _, tc := range []struct {
		name, key, room, want string
	}{
		{"wrong api key", "nope", "user:u1", "switchboard publish: HTTP 401: unauthorized: "},
		{"malformed room", n.Cfg.Auth.APIKeys[0], "nokind", "switchboard publish: HTTP 400: bad_request: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd("publish", "--url", n.URL, "--api-key", tc.key, tc.room, "demo.note", "{}")
			if code != exitFail || out != "" || !strings.HasPrefix(errOut, tc.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 1 and %q", code, out, errOut, tc.want)
			}
		})
	}
	n.Stop()
	code, _, errOut := runCmd("publish", "--url", n.URL, "--api-key", "k", "user:u1", "demo.note", "{}")
	if code != exitFail || !strings.HasPrefix(errOut, "switchboard publish: ") {
		t.Fatalf("server down: exit %d, stderr %q", code, errOut)
	}
}

func TestPublishUsage(t *testing.T) {
	t.Setenv("SWITCHBOARD_API_KEY", "")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no args", []string{"--api-key", "k"}, "want ROOM TYPE JSON, got 0 arguments"},
		{"two args", []string{"--api-key", "k", "user:u1", "t.x"}, "got 2 arguments"},
		{"four args", []string{"--api-key", "k", "user:u1", "t.x", "{}", "x"}, "got 4 arguments"},
		{"bad JSON", []string{"--api-key", "k", "user:u1", "t.x", "{nope"}, "is not valid JSON"},
		{"missing api key", []string{"user:u1", "t.x", "{}"}, "--api-key (or $SWITCHBOARD_API_KEY) is required"},
		{"empty room", []string{"--api-key", "k", ",", "t.x", "{}"}, "ROOM is empty"},
		{"bad url", []string{"--api-key", "k", "--url", "ftp://x", "user:u1", "t.x", "{}"}, "--url"},
		{"unknown flag", []string{"--nope", "user:u1", "t.x", "{}"}, "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(append([]string{"publish"}, tc.args...)...)
			if code != exitUsage || out != "" || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errOut, tc.want)
			}
		})
	}
	code, out, _ := runCmd("publish", "--help")
	if code != exitOK || !strings.Contains(out, "Usage: switchboard publish") || !strings.Contains(out, "-api-key") {
		t.Fatalf("--help: exit %d, stdout %q", code, out)
	}
}
