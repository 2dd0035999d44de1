package testnode

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/core/config"
)

// Proc is a `switchboard serve` process started by a test, on a config file
// of its own: it can be killed (SIGKILL), stopped (SIGTERM, a drain) and
// started again on the same config and data dir. It is killed when the
// test ends, and its stderr is printed if the test failed.
type Proc struct {
	t       testing.TB
	bin     string
	CfgPath string
	Cfg     *config.Config // the parsed config file
	URL     string         // http://127.0.0.1:PORT

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when the current run has exited
	err    error         // the current run's exit error, once exited
	stderr *syncBuffer   // every run's stderr
}

// StartProcess writes src to a config file in a new temporary directory and
// starts bin (the built cmd/switchboard) as `serve` on it. src must set
// server.listen to a fixed loopback address (see FreePorts) and
// server.data_dir; SWITCHBOARD_* variables are removed from the
// environment so that the file decides. It does not wait for readiness
// (cluster nodes start together): see WaitReady.
func StartProcess(t testing.TB, bin, src string) *Proc {
	t.Helper()
	p := NewProcess(t, bin, src)
	p.Start()
	return p
}

// NewProcess is StartProcess without the start.
func NewProcess(t testing.TB, bin, src string) *Proc {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(src), path)
	if err != nil {
		t.Fatalf("process config: %v", err)
	}
	if _, port, err := net.SplitHostPort(cfg.Server.Listen); err != nil || port == "0" || port == "" {
		t.Fatalf("process config: server.listen %q: give a fixed port (FreePorts)", cfg.Server.Listen)
	}
	p := &Proc{t: t, bin: bin, CfgPath: path, Cfg: cfg, URL: "http://" + cfg.Server.Listen, stderr: &syncBuffer{}}
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() || os.Getenv("SWITCHBOARD_TEST_LOG") != "" {
			t.Logf("stderr of %s:\n%s", p.Name(), p.Stderr())
		}
	})
	return p
}

// Name is the node's NATS server_name (or its URL when it has none).
func (p *Proc) Name() string {
	if p.Cfg.NATS.ServerName != "" {
		return p.Cfg.NATS.ServerName
	}
	return p.URL
}

// Start starts a new run of the process; the previous one must have exited.
func (p *Proc) Start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited != nil {
		select {
		case <-p.exited:
		default:
			p.t.Fatalf("%s: Start while it runs (pid %d)", p.Name(), p.cmd.Process.Pid)
		}
	}
	cmd := exec.Command(p.bin, "serve", "--config", p.CfgPath)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWITCHBOARD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	fmt.Fprintf(p.stderr, "--- start %s\n", time.Now().Format(time.RFC3339Nano))
	cmd.Stderr = p.stderr
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("%s: start: %v", p.Name(), err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited, p.err = cmd, exited, nil
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(exited)
	}()
}

// PID is the current run's process id.
func (p *Proc) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

// Exited is closed when the current run has exited.
func (p *Proc) Exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exited
}

// ExitErr is the current run's exit error (nil: exit 0); call it after
// Exited is closed.
func (p *Proc) ExitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Stderr is what every run printed on stderr so far.
func (p *Proc) Stderr() string { return p.stderr.String() }

// Kill sends SIGKILL and waits for the exit (idempotent; a no-op once exited).
func (p *Proc) Kill() {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

// Term sends SIGTERM (a graceful shutdown) and waits up to d for the
// exit; it returns how long that took, and fails the test if the process
// did not exit in time or exited non-zero.
func (p *Proc) Term(d time.Duration) time.Duration {
	p.t.Helper()
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("%s: SIGTERM: %v", p.Name(), err)
	}
	select {
	case <-exited:
	case <-time.After(d):
		p.t.Fatalf("%s: still running %s after SIGTERM", p.Name(), d)
	}
	if err := p.ExitErr(); err != nil {
		p.t.Fatalf("%s: exit after SIGTERM: %v", p.Name(), err)
	}
	return time.Since(start)
}

// WaitReady waits up to d for /readyz to answer 200, failing at once if the
// process exits.
func (p *Proc) WaitReady(d time.Duration) {
	p.t.Helper()
	hc := &http.Client{Timeout: time.Second}
	exited := p.Exited()
	deadline := time.Now().Add(d)
	for {
		select {
		case <-exited:
			p.t.Fatalf("%s exited before it was ready: %v", p.Name(), p.ExitErr())
		default:
		}
		if resp, err := hc.Get(p.URL + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s not ready after %s", p.Name(), d)
		}
		time.Sleep(20 * time.Millisecond) // no readiness signal but /readyz
	}
}

// Node is a view of the process for Node's client helpers (Token, Do,
// DialWS, DialSSE, …); its Server is nil, so do not Stop it.
func (p *Proc) Node() *Node { return &Node{t: p.t, Cfg: p.Cfg, URL: p.URL} }

// FreePorts finds n distinct loopback ports that are free now, for
// addresses that must be known before the processes start (HTTP, NATS
// client and route ports). The listeners stay open until all are picked,
// so no port comes twice.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// ClusterHCL returns the config files of an n-node cluster of processes:
// each node has its own data dir (under t.TempDir()), HTTP port, NATS
// client port (so that tests can ask JetStream who leads) and route port,
// server_name n0…n{n-1}, and replicas = n; extra is appended to each.
func ClusterHCL(t testing.TB, n int, extra string) []string {
	t.Helper()
	ports := FreePorts(t, 3*n)
	out := make([]string, n)
	for i := range n {
		var routes []string
		for j := range n {
			if j != i {
				routes = append(routes, fmt.Sprintf("%q", fmt.Sprintf("nats://127.0.0.1:%d", ports[3*j+2])))
			}
		}
		out[i] = fmt.Sprintf(`server {
  listen           = "127.0.0.1:%d"
  data_dir         = %q
  shutdown_timeout = "5s"
}
auth {
  jwt_secret = %q
  api_keys   = [%q]
}
nats {
  server_name = "n%d"
  listen      = "127.0.0.1:%d"
  replicas    = %d
  cluster {
    name   = "sbproc"
    listen = "127.0.0.1:%d"
    routes = [%s]
  }
}
%s`, ports[3*i], t.TempDir(), config.DevJWTSecret, ProcAPIKey, i, ports[3*i+1], n, ports[3*i+2], strings.Join(routes, ", "), extra)
	}
	return out
}

// ProcAPIKey is the API key of the configs ClusterHCL writes.
const ProcAPIKey = "proc-test-api-key"

// NATSURL is the client URL of the node's embedded NATS (nats.listen).
func (p *Proc) NATSURL() string { return "nats://" + p.Cfg.NATS.Listen }

// syncBuffer is a bytes.Buffer safe for the process's writes and the
// test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
