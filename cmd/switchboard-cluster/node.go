package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// node is one `switchboard serve` process.
type node struct {
	name   string
	config string // the config file it runs with
	url    string // http://listen
	logPth string
	env    []string

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit, once done
}

// start runs the process; its output goes to its log file.
func (n *node) start(bin string) error {
	logf, err := os.OpenFile(n.logPth, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("%s: log file: %w", n.name, err)
	}
	fmt.Fprintf(logf, "\n--- switchboard-cluster: starting %s with %s at %s ---\n", n.name, n.config, time.Now().Format(time.RFC3339))
	n.cmd = exec.Command(bin, "serve", "--config", n.config)
	n.cmd.Env = n.env
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	// Its own process group: the terminal's Ctrl-C reaches the launcher,
	// which drains the nodes itself. Pdeathsig: a launcher killed with -9
	// takes its nodes down with it.
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := n.cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("%s: start %s: %w", n.name, bin, err)
	}
	n.done = make(chan struct{})
	go func() {
		n.err = n.cmd.Wait()
		logf.Close()
		close(n.done)
	}()
	return nil
}

func (n *node) exited() bool {
	select {
	case <-n.done:
		return true
	default:
		return false
	}
}

// ready reports whether GET /readyz answers 200.
func (n *node) ready(ctx context.Context, hc *http.Client) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.url+"/readyz", nil)
	if err != nil {
		return false
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// exitError describes the process's end with the last lines of its log.
func (n *node) exitError() error {
	return fmt.Errorf("node %s exited (%v); last lines of %s:\n%s", n.name, n.err, n.logPth, tail(n.logPth, 15))
}

// signal sends sig to the process, if it still runs.
func (n *node) signal(sig syscall.Signal) {
	if n.cmd != nil && n.cmd.Process != nil && !n.exited() {
		if err := n.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
			fmt.Fprintf(os.Stderr, "switchboard-cluster: signal %s (pid %d): %v\n", n.name, n.cmd.Process.Pid, err)
		}
	}
}

// tail returns the last n lines of the file at path.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return "  (" + err.Error() + ")"
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, "  "+sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}
