package testnode

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// BuildBinaries builds Go main packages (import paths) into a new temporary
// directory and returns it with a map from package to binary; call it from
// TestMain and remove the directory after m.Run.
func BuildBinaries(pkgs ...string) (string, map[string]string, error) {
	dir, err := os.MkdirTemp("", "switchboard-bin-")
	if err != nil {
		return "", nil, err
	}
	args := append([]string{"build", "-o", dir + string(filepath.Separator)}, pkgs...)
	cmd := exec.Command("go", args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("go build %s: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
	bins := map[string]string{}
	for _, p := range pkgs {
		bins[p] = filepath.Join(dir, filepath.Base(p))
	}
	return dir, bins, nil
}

// MainWithBinaries is a TestMain that builds pkgs (BuildBinaries), stores
// the package → binary map in *bins, runs the tests, removes the binaries
// and exits with the tests' code. A build failure exits 1 with go's output.
func MainWithBinaries(m *testing.M, bins *map[string]string, pkgs ...string) {
	dir, b, err := BuildBinaries(pkgs...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*bins = b
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
