package main

import (
	"fmt"
	"strings"
	"testing"
)

// `switchboard plugin NAME` outside go-plugin says who runs it and exits 1
// at once; an unknown or missing name is a usage error naming the bundled
// plugins.
func TestPluginCommandByHand(t *testing.T) {
	t.Setenv("SWITCHBOARD_PLUGIN", "") // as in a shell, not as under the router
	code, out, errOut := runCmd("plugin", "tasks")
	if code != exitFail || out != "" || !strings.Contains(errOut, "is run by the router") {
		t.Errorf("plugin tasks by hand: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = runCmd("plugin", "taks")
	if want := `unknown bundled plugin "taks" (bundled: comments, phases, projects, tasks)`; code != exitUsage || !strings.Contains(errOut, want) {
		t.Errorf("unknown name: exit %d, stderr %q, want %q", code, errOut, want)
	}
	if code, _, errOut = runCmd("plugin"); code != exitUsage || !strings.Contains(errOut, "want one plugin name") {
		t.Errorf("no name: exit %d, stderr %q", code, errOut)
	}
	code, out, _ = runCmd("plugin", "--help")
	if code != exitOK || !strings.Contains(out, "not run by hand") || !strings.Contains(out, "comments, phases, projects, tasks") {
		t.Errorf("--help: exit %d, %q", code, out)
	}
	if _, out, _ = runCmd("--help"); !strings.Contains(out, "run by the router, not by hand") {
		t.Errorf("switchboard --help does not list the plugin command: %q", out)
	}
}

// check accepts a block without path that names a bundled plugin, and
// names the bundled ones, at the block's position, when it does not.
func TestCheckBundledPlugin(t *testing.T) {
	ok := writeConfig(t, "plugin \"projects\" {}\nplugin \"tasks\" {}\n")
	if code, out, errOut := runCmd("check", "--config", ok); code != exitOK {
		t.Fatalf("bundled plugins: exit %d, %q %q", code, out, errOut)
	}
	bad := writeConfig(t, "plugin \"tasks\" {}\n\nplugin \"labels\" {}\n")
	code, _, errOut := runCmd("check", "--config", bad)
	want := fmt.Sprintf(`%s:3:1: plugin "labels": no bundled plugin of that name (bundled: comments, phases, projects, tasks)`, bad)
	if code != exitFail || !strings.Contains(errOut, want) {
		t.Fatalf("unknown bundled plugin: exit %d, stderr %q, want %q", code, errOut, want)
	}
}
