package config

import (
	"errors"
	"fmt"
	"os"
)

// At is where the plugin's block starts, as file:line:col.
func (p *Plugin) At() string { return pos(p.DeclRange) }

// CheckExecutable reports, with the block's position, whether the plugin's
// path names an executable file. Load does not look at the file system;
// `switchboard check` and the plugin host do.
func (p *Plugin) CheckExecutable() error {
	fi, err := os.Stat(p.Path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s: plugin %q: path %q: no such file", p.At(), p.Name, p.Path)
	case err != nil:
		return fmt.Errorf("%s: plugin %q: path %q: %v", p.At(), p.Name, p.Path, err)
	case fi.IsDir():
		return fmt.Errorf("%s: plugin %q: path %q is a directory", p.At(), p.Name, p.Path)
	case fi.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("%s: plugin %q: path %q is not executable", p.At(), p.Name, p.Path)
	}
	return nil
}
