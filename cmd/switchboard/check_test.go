package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.hcl")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// check reports a plugin whose executable is missing, with the position
// of its block, and accepts one that exists.
func TestCheckPluginExecutable(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ok := writeConfig(t, fmt.Sprintf("plugin \"x\" {\n  path = %q\n}\n", exe))
	if code, out, errOut := runCmd("check", "--config", ok); code != exitOK || !strings.HasSuffix(out, ": ok\n") {
		t.Fatalf("existing plugin: exit %d, %q %q", code, out, errOut)
	}
	bad := writeConfig(t, "server {}\n\nplugin \"x\" {\n  path = \"/nonexistent/bin\"\n}\n")
	code, _, errOut := runCmd("check", "--config", bad)
	if want := bad + `:3:1: plugin "x": path "/nonexistent/bin": no such file`; code != exitFail || !strings.Contains(errOut, want) {
		t.Fatalf("missing plugin: exit %d, stderr %q, want %q", code, errOut, want)
	}
}

func TestTokenTTL(t *testing.T) {
	cfg := writeConfig(t, "auth {\n  jwt_secret = \"0123456789abcdef0123456789abcdef\"\n}\n")
	if code, out, _ := runCmd("token", "--config", cfg, "--sub", "u1", "--ttl", "10m"); code != exitOK || strings.Count(out, ".") != 2 {
		t.Fatalf("token: exit %d, %q", code, out)
	}
	if code, _, errOut := runCmd("token", "--config", cfg, "--sub", "u1", "--ttl", "-1h"); code != exitUsage || !strings.Contains(errOut, "--ttl must be positive") {
		t.Fatalf("negative ttl: exit %d, %q", code, errOut)
	}
}
