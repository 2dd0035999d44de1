package sdk_test

import (
	"os/exec"
	"strings"
	"testing"
)

// A plugin built against the SDK links no package of the router's core:
// plugin binaries stay small, and the SDK is all a plugin author needs.
func TestPluginsLinkNoCore(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go command is not on PATH: %v", err)
	}
	const mod = "github.com/switchboard-rt/switchboard"
	out, err := exec.Command(gobin, "list", "-e", "-deps", mod+"/plugins/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, mod+"/core/") || p == mod+"/core" || strings.HasPrefix(p, mod+"/transports/") {
			t.Errorf("a plugin depends on %s", p)
		}
	}
}
