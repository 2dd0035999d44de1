package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// target is a server process the tool started: a Switchboard node (from a
// binary and a config, on its own port and data dir), a floor (this
// binary's `floor` subcommand) or a Centrifugo (centrifugoConfig). The
// tool may stop and start it again on the same port and data dir (the
// resume storm).
type target struct {
	kind string // "switchboard", "floor" or "centrifugo"
	url  string // http://127.0.0.1:PORT
	addr string // 127.0.0.1:PORT
	cmd  *exec.Cmd
	log  *os.File // the process's stdout and stderr
	args []string
	env  []string
	dir  string // temp dir: config, data, log
	done chan struct{}
	// ready is the path that answers 200 once the process serves
	// ("/readyz"; Centrifugo's "/health").
	ready string
}

// launchOpts says how to start targets.
type launchOpts struct {
	bin    string // switchboard binary
	config string // base config for switchboard ("" a minimal one)
	// centrifugoBin is a Centrifugo binary (kind "centrifugo"), started
	// with centrifugoConfig.
	centrifugoBin string
	secret        string
	apiKey        string
}

// freeAddr picks a loopback port that is free now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startTarget starts a fresh server of kind in a new temp dir.
func startTarget(kind string, o launchOpts) (*target, error) {
	dir, err := os.MkdirTemp("", "switchboard-load-"+kind+"-")
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	t := &target{kind: kind, addr: addr, url: "http://" + addr, dir: dir, ready: "/readyz"}
	switch kind {
	case "switchboard":
		cfg := o.config
		if cfg == "" {
			cfg = dir + "/config.hcl"
			body := fmt.Sprintf("# written by switchboard-load bench\nauth {\n  jwt_secret = %q\n  api_keys   = [%q]\n}\n", o.secret, o.apiKey)
			if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
				os.RemoveAll(dir)
				return nil, err
			}
		}
		data := dir + "/data"
		t.args = []string{o.bin, "serve", "--config", cfg}
		t.env = append(os.Environ(), "SWITCHBOARD_LISTEN="+addr, "SWITCHBOARD_DATA_DIR="+data)
	case "floor":
		self, err := os.Executable()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		t.args = []string{self, "floor", "--listen", addr, "--secret", o.secret}
		t.env = append(os.Environ(), mainEnv+"=1")
	case "centrifugo":
		cfg := dir + "/config.json"
		if err := os.WriteFile(cfg, centrifugoConfig(addr, o.secret, o.apiKey), 0o600); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		t.args = []string{o.centrifugoBin, "--config", cfg}
		t.env, t.ready = os.Environ(), "/health"
	default:
		os.RemoveAll(dir)
		return nil, fmt.Errorf("unknown target %q", kind)
	}
	if t.log, err = os.Create(dir + "/server.log"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := t.start(); err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

// start runs the process and waits until it answers 200 on t.ready.
func (t *target) start() error {
	t.cmd = exec.Command(t.args[0], t.args[1:]...)
	t.cmd.Env = t.env
	t.cmd.Stdout, t.cmd.Stderr = t.log, t.log
	t.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := t.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", t.kind, err)
	}
	t.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(t.cmd, t.done)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, t.url+t.ready, nil)
		resp, err := cl.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-t.done:
			return fmt.Errorf("%s exited before it was ready: %s", t.kind, t.tail())
		case <-ctx.Done():
			return fmt.Errorf("%s not ready within 60 s: %s", t.kind, t.tail())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// pid is the running process's PID.
func (t *target) pid() int { return t.cmd.Process.Pid }

// stop sends sig and waits for the process to exit (SIGKILL after 30 s).
func (t *target) stop(sig syscall.Signal) {
	if t.cmd == nil || t.cmd.Process == nil {
		return
	}
	_ = t.cmd.Process.Signal(sig)
	select {
	case <-t.done:
	case <-time.After(30 * time.Second):
		_ = t.cmd.Process.Kill()
		<-t.done
	}
}

// close stops the process and removes its temp dir.
func (t *target) close() {
	t.stop(syscall.SIGTERM)
	if t.log != nil {
		t.log.Close()
	}
	os.RemoveAll(t.dir)
}

// tail is the end of the process's log, for errors.
func (t *target) tail() string {
	b, err := os.ReadFile(t.log.Name())
	if err != nil {
		return err.Error()
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	if len(lines) == 0 {
		return "(no output)"
	}
	return strings.Join(lines, " | ")
}
