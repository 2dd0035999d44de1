package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// At is where the plugin's block starts, as file:line:col.
func (p *Plugin) At() string { return pos(p.DeclRange) }

// Bundled reports whether the block names a bundled plugin (it has no
// path): the router runs it as `switchboard plugin NAME`.
func (p *Plugin) Bundled() bool { return p.Path == "" }

// CheckBundled reports, with the block's position, whether a block without
// path names one of the bundled plugins (names, as built into the router).
// A block with a path passes; see CheckExecutable.
func (p *Plugin) CheckBundled(names []string) error {
	if !p.Bundled() || slices.Contains(names, p.Name) {
		return nil
	}
	return fmt.Errorf("%s: plugin %q: no bundled plugin of that name (bundled: %s); give the path of its executable",
		p.At(), p.Name, strings.Join(names, ", "))
}

// CheckExecutable reports, with the block's position, whether the plugin's
// path names an executable file; a bundled plugin (no path) passes unless
// it has args. Load
// does not look at the file system; `switchboard check` and the plugin host
// do.
func (p *Plugin) CheckExecutable() error {
	if p.Bundled() {
		if len(p.Args) > 0 {
			return fmt.Errorf("%s: plugin %q: args need a path (a bundled plugin takes none)", p.At(), p.Name)
		}
		return nil
	}
	fi, err := os.Stat(p.Path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s: plugin %q: path %q: no such file", p.At(), p.Name, p.Path)
	case err != nil:
		return fmt.Errorf("%s: plugin %q: path %q: %w", p.At(), p.Name, p.Path, err)
	case fi.IsDir():
		return fmt.Errorf("%s: plugin %q: path %q is a directory", p.At(), p.Name, p.Path)
	case fi.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("%s: plugin %q: path %q is not executable", p.At(), p.Name, p.Path)
	}
	return nil
}
