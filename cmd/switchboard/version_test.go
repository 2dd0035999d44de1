package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/switchboard-rt/switchboard/test/testnode"
)

func TestVersionPrintsGoVersion(t *testing.T) {
	code, out, errOut := runCmd("version")
	if code != exitOK || !strings.HasPrefix(out, "switchboard ") || !strings.Contains(out, runtime.Version()) {
		t.Fatalf("version: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, _, _ := runCmd("version", "extra"); code != exitUsage {
		t.Fatalf("version with an argument: exit %d, want %d", code, exitUsage)
	}
}

func TestVersionLine(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"},
		{Key: "vcs.revision", Value: "4f4f9f27d81c2c8cd4bb481424137d58fcb854d6"},
		{Key: "vcs.time", Value: "2026-12-03T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	for _, tc := range []struct {
		version, want string
	}{
		{"(devel)", "switchboard devel 4f4f9f27d81c 2026-12-03T10:00:00Z (modified) go1.26.0 linux/amd64"},
		{"v1.2.3", "switchboard v1.2.3 go1.26.0 linux/amd64"},
	} {
		bi.Main.Version = tc.version
		if got := versionLine(bi); got != tc.want {
			t.Errorf("versionLine(%s) = %q, want %q", tc.version, got, tc.want)
		}
	}
}

// TestURLFromEnvironment: $SWITCHBOARD_URL replaces the default --url of
// publish and listen; the flag still wins over it.
func TestURLFromEnvironment(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	t.Setenv("SWITCHBOARD_API_KEY", n.Cfg.Auth.APIKeys[0])
	t.Setenv("SWITCHBOARD_URL", n.URL)
	code, out, errOut := runCmd("publish", "user:u1", "demo.note", `{"n":1}`)
	if code != exitOK || !strings.Contains(out, `"user:u1":`) {
		t.Fatalf("publish with $SWITCHBOARD_URL: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	t.Setenv("SWITCHBOARD_URL", "http://127.0.0.1:1")
	code, out, errOut = runCmd("publish", "--url", n.URL, "user:u1", "demo.note", `{"n":2}`)
	if code != exitOK || !strings.Contains(out, `"user:u1":`) {
		t.Fatalf("publish --url over $SWITCHBOARD_URL: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	t.Setenv("SWITCHBOARD_URL", "ftp://nowhere")
	t.Setenv("SWITCHBOARD_TOKEN", "x")
	if code, _, errOut := runCmd("listen", "user:u1"); code != exitUsage || !strings.Contains(errOut, "ftp://nowhere") {
		t.Fatalf("listen with a bad $SWITCHBOARD_URL: exit %d, stderr %q (want usage error naming it)", code, errOut)
	}
}
