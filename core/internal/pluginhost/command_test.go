package pluginhost

import (
	"os"
	"strings"
	"testing"

	"github.com/switchboard-rt/switchboard/core/config"
)

func parsePlugin(t *testing.T, src string) config.Plugin {
	t.Helper()
	cfg, err := config.Parse([]byte(src), "t.hcl")
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Plugins[0]
}

// A block with a path runs that executable with its args; a block without
// runs this executable as `plugin NAME`, which a test binary refuses
// (it would run its tests again), naming the block.
func TestPluginCommand(t *testing.T) {
	in := &instance{cfg: parsePlugin(t, "plugin \"x\" {\n  path = \"/opt/x\"\n  args = [\"serve\", \"-v\"]\n}\n")}
	cmd, err := in.command()
	if err != nil || cmd.Path != "/opt/x" || strings.Join(cmd.Args, " ") != "/opt/x serve -v" {
		t.Fatalf("path and args: %v %q %v", err, cmd.Path, cmd.Args)
	}
	in = &instance{cfg: parsePlugin(t, "\nplugin \"tasks\" {}\n")}
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
