package pluginhost

import (
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/switchboard-rt/switchboard/core/config"
)

// block is a plugin block at t.hcl:line:1.
func block(line int, name, path string, args ...string) config.Plugin {
	return config.Plugin{Name: name, Path: path, Args: args,
		DeclRange: hcl.Range{Filename: "t.hcl", Start: hcl.Pos{Line: line, Column: 1}, End: hcl.Pos{Line: line, Column: 2}}}
}

// A block with a path runs that executable with its args; a block without
// runs this executable as `plugin NAME`, which a test binary refuses
// (it would run its tests again), naming the block.
func TestPluginCommand(t *testing.T) {
	in := &instance{cfg: block(1, "x", "/opt/x", "serve", "-v")}
	cmd, err := in.command()
	if err != nil || cmd.Path != "/opt/x" || strings.Join(cmd.Args, " ") != "/opt/x serve -v" {
		t.Fatalf("path and args: %v %q %v", err, cmd.Path, cmd.Args)
	}
	in = &instance{cfg: block(2, "tasks", "")}
	_, err = in.command()
	exe, _ := os.Executable()
	if want := `t.hcl:2:1: plugin "tasks": a block without path runs a plugin bundled in the switchboard binary, and ` + exe + ` is a test binary`; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("bundled plugin under a test binary: %v, want %q", err, want)
	}
}

// stderrHead keeps the first plain lines a plugin writes, across split
// writes, without its JSON log records, bounded in lines and bytes.
func TestStderrHead(t *testing.T) {
	var h stderrHead
	for _, w := range []string{`{"@level":"info"}` + "\n", "switchboard plugin: unknown ", "bundled plugin \"x\"\n", "\n", strings.Repeat("y", 600) + "\n"} {
		if n, err := h.Write([]byte(w)); n != len(w) || err != nil {
			t.Fatalf("Write: %d %v", n, err)
		}
	}
	for i := range 10 {
		_, _ = h.Write([]byte{byte('0' + i), '\n'})
	}
	want := `switchboard plugin: unknown bundled plugin "x" | ` + strings.Repeat("y", headLineBytes) + " | 0 | 1 | 2"
	if got := h.String(); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}
