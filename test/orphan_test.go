package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/test/poll"
)

const serverPkg = "github.com/switchboard-rt/switchboard/cmd/switchboard"

// alive reports whether pid runs (a zombie, waiting to be reaped, does not).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || !strings.HasPrefix(s[i+1:], " Z")
}

// serveProc is a `switchboard serve` process started by a test.
type serveProc struct {
	cmd    *exec.Cmd
	base   string // http://host:port
	stderr *bytes.Buffer
}

// startServe writes src as a config file and starts the built switchboard
// binary on it (a free loopback port, data under a temporary directory),
// and kills it at the end of the test. It does not wait for readiness.
func startServe(t *testing.T, src string) *serveProc {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.hcl")
	if err := os.WriteFile(cfgPath, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &serveProc{cmd: exec.Command(bins[serverPkg], "serve", "--config", cfgPath), base: "http://" + addr, stderr: &bytes.Buffer{}}
	p.cmd.Env = append(os.Environ(), "SWITCHBOARD_LISTEN="+addr, "SWITCHBOARD_DATA_DIR="+filepath.Join(dir, "data"))
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	return p
}

// ready waits until /readyz answers 200.
func (p *serveProc) ready(t *testing.T) {
	t.Helper()
	poll.Until(t, "the server to be ready", func() bool {
		resp, err := http.Get(p.base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}

// do sends a request as user u1 (workspace w1) with a JSON body (nil for
// none) and decodes the JSON answer into out (nil to skip); it returns the
// status.
func (p *serveProc) do(t *testing.T, method, path string, body, out any) int {
	t.Helper()
	tok, err := auth.Mint([]byte(config.DevJWTSecret), "u1", []string{"w1"}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %d: %v", method, path, resp.StatusCode, err)
		}
	}
	return resp.StatusCode
}

// The core is killed with SIGKILL: its plugin processes die with it.
func TestNoOrphanPluginWhenCoreIsKilled(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	p := startServe(t, fmt.Sprintf("plugin \"test\" {\n  path = %q\n}\n", bins[testPkg]))
	p.ready(t)
	var pid struct{ Pid int }
	if st := p.do(t, "GET", "/v1/test/pid", nil, &pid); st != 200 || !alive(pid.Pid) {
		t.Fatalf("plugin pid %d: %d", pid.Pid, st)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	poll.Until(t, fmt.Sprintf("plugin %d to exit after the core was killed", pid.Pid), func() bool { return !alive(pid.Pid) })
}
