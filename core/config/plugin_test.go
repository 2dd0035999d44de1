package config_test

import (
	"strings"
	"testing"

	"github.com/switchboard-rt/switchboard/core/config"
)

// A block without path names a bundled plugin; an unknown name, or args
// without a path, is an error at the block's position.
func TestBundledPluginChecks(t *testing.T) {
	bundled := []string{"comments", "tasks"}
	cfg, err := config.Parse([]byte("plugin \"tasks\" {}\n\nplugin \"taks\" {}\n\nplugin \"x\" {\n  args = [\"-v\"]\n}\n"), "t.hcl")
	if err != nil {
		t.Fatal(err)
	}
	tasks, taks, x := &cfg.Plugins[0], &cfg.Plugins[1], &cfg.Plugins[2]
	if !tasks.Bundled() || tasks.CheckBundled(bundled) != nil || tasks.CheckExecutable() != nil {
		t.Fatalf("plugin \"tasks\" {}: bundled %v, %v, %v", tasks.Bundled(), tasks.CheckBundled(bundled), tasks.CheckExecutable())
	}
	want := `t.hcl:3:1: plugin "taks": no bundled plugin of that name (bundled: comments, tasks); give the path of its executable`
	if err := taks.CheckBundled(bundled); err == nil || err.Error() != want {
		t.Errorf("unknown bundled name: %v, want %q", err, want)
	}
	want = `t.hcl:5:1: plugin "x": args need a path (a bundled plugin takes none)`
	if err := x.CheckExecutable(); err == nil || err.Error() != want {
		t.Errorf("args without path: %v, want %q", err, want)
	}
}

// A block with a path is not checked against the bundled names; its path
// must be an executable file.
func TestPluginPathChecks(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Parse([]byte("plugin \"tasks\" {\n  path = \""+dir+"\"\n  args = [\"plugin\", \"tasks\"]\n}\n"), "t.hcl")
	if err != nil {
		t.Fatal(err)
	}
	p := &cfg.Plugins[0]
	if p.Bundled() || p.CheckBundled(nil) != nil {
		t.Fatalf("a block with a path: bundled %v, %v", p.Bundled(), p.CheckBundled(nil))
	}
	if err := p.CheckExecutable(); err == nil || !strings.HasSuffix(err.Error(), "is a directory") {
		t.Errorf("directory as path: %v", err)
	}
}
