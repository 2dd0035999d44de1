package test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// children returns the command lines of the processes whose parent is pid.
func children(t *testing.T, pid int) []string {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // it exited meanwhile
		}
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // state ppid …
		if len(fields) < 2 || fields[1] != strconv.Itoa(pid) {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join(filepath.Dir(f), "cmdline"))
		if err == nil {
			out = append(out, strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " ")))
		}
	}
	slices.Sort(out)
	return out
}

// Blocks without path: `switchboard serve` runs each bundled plugin from
// its own binary as `switchboard plugin NAME`, and they serve the API.
func TestBundledPluginsRunFromTheRouterBinary(t *testing.T) {
	p := startServe(t, "plugin \"projects\" {}\n\nplugin \"tasks\" {}\n")
	p.ready(t)
	var proj, task, got struct {
		ID      string
		Title   string
		Version int
	}
	if st := p.do(t, "POST", "/v1/workspaces/w1/projects", map[string]string{"name": "Apollo"}, &proj); st != 201 || proj.ID == "" {
		t.Fatalf("POST project: %d %+v", st, proj)
	}
	if st := p.do(t, "POST", "/v1/projects/"+proj.ID+"/tasks", map[string]string{"title": "Write the spec"}, &task); st != 201 || task.Version != 1 {
		t.Fatalf("POST task: %d %+v", st, task)
	}
	if st := p.do(t, "GET", "/v1/tasks/"+task.ID, nil, &got); st != 200 || got != task {
		t.Fatalf("GET task: %d %+v, want %+v", st, got, task)
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return // the API answered; the process check needs /proc
	}
	want := []string{bins[serverPkg] + " plugin projects", bins[serverPkg] + " plugin tasks"}
	if kids := children(t, p.cmd.Process.Pid); !slices.Equal(kids, want) {
		t.Fatalf("plugin processes of serve: %q, want %q", kids, want)
	}
}

// A block without path that names no bundled plugin: serve exits non-zero
// at start, naming the block's position and the bundled plugins.
func TestUnknownBundledPluginFailsServe(t *testing.T) {
	p := startServe(t, "\nplugin \"taks\" {}\n")
	err := p.cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("serve with an unknown bundled plugin: %v, want a non-zero exit; stderr:\n%s", err, p.stderr)
	}
	out := p.stderr.String()
	for _, want := range []string{"config.hcl:2:1: plugin", "taks", "unknown bundled plugin", "(bundled: comments, phases, projects, tasks)"} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
}
