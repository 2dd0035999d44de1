package test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCatalogTypeScriptOfPMPlugins: `switchboard catalog --format
// typescript` of the bundled PM plugins is the same bytes on every run,
// types every PM event in EventMap, and (where TypeScript is installed)
// type-checks in strict mode.
func TestCatalogTypeScriptOfPMPlugins(t *testing.T) {
	dir := t.TempDir()
	var hcl strings.Builder
	for _, p := range pmPlugins {
		fmt.Fprintf(&hcl, "plugin %q {\n  path = %q\n  args = [\"plugin\", %q]\n}\n", p, bins[serverPkg], p)
	}
	cfg := filepath.Join(dir, "config.hcl")
	if err := os.WriteFile(cfg, []byte(hcl.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	gen := func(name string) []byte {
		t.Helper()
		out := filepath.Join(dir, name)
		cmd := exec.Command(bins[serverPkg], "catalog", "--config", cfg, "--format", "typescript", "--out", out)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("catalog: %v\n%s", err, b)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first, second := gen("a.ts"), gen("b.ts")
	if !bytes.Equal(first, second) {
		t.Fatalf("two runs differ:\n%s\n---\n%s", first, second)
	}
	// The TypeScript client ships these types: they must be current.
	shipped, err := os.ReadFile("../clients/js/src/pm.ts")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shipped, first) {
		t.Errorf("clients/js/src/pm.ts is stale: the PM plugins' catalogue changed; run `make generate-ts` and commit it")
	}
	for _, want := range []string{
		`"pm.task.created": PmTaskCreated;`, `"pm.comment.created": PmCommentCreated;`, `"pm.phase.started": PmPhaseStarted;`,
		`"presence.join": PresenceJoin;`, `status: "todo" | "in_progress" | "done";`, `phaseId: string | null;`,
	} {
		if !bytes.Contains(first, []byte(want)) {
			t.Errorf("generated TypeScript lacks %s", want)
		}
	}
	tsc, err := filepath.Abs("../clients/js/node_modules/.bin/tsc")
	if _, serr := os.Stat(tsc); err != nil || serr != nil {
		t.Logf("TypeScript not installed (%s missing: run npm ci in clients/js): the type check is skipped", tsc)
		return
	}
	use := filepath.Join(dir, "use.ts")
	if err := os.WriteFile(use, []byte(`import type { EventMap, EventType } from "./a.js";
const t: EventType = "pm.task.created";
const status: EventMap["pm.task.created"]["status"] = "todo";
export { t, status };
`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tsc, "--strict", "--noEmit", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", filepath.Join(dir, "a.ts"), use)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tsc --strict: %v\n%s", err, b)
	}
}
