package core_test

import (
	"encoding/json"
	"fmt"
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
	"github.com/switchboard-rt/switchboard/core/coretest"
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

// The core is killed with SIGKILL: its plugin processes die with it.
func TestNoOrphanPluginWhenCoreIsKilled(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.hcl")
	src := fmt.Sprintf("plugin \"test\" {\n  path = %q\n}\n", bins[testPkg])
	if err := os.WriteFile(cfgPath, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bins[serverPkg], "serve", "--config", cfgPath)
	cmd.Env = append(os.Environ(), "SWITCHBOARD_LISTEN="+addr, "SWITCHBOARD_DATA_DIR="+filepath.Join(dir, "data"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	base := "http://" + addr
	coretest.Eventually(t, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}, "server not ready")
	tok, err := auth.Mint([]byte(config.DevJWTSecret), "u1", nil, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", base+"/v1/test/pid", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var pid struct{ Pid int }
	err = json.NewDecoder(resp.Body).Decode(&pid)
	resp.Body.Close()
	if err != nil || !alive(pid.Pid) {
		t.Fatalf("plugin pid %d: %v", pid.Pid, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	coretest.Eventually(t, func() bool { return !alive(pid.Pid) }, fmt.Sprintf("plugin %d outlived the killed core", pid.Pid))
}
