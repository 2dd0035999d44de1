package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/switchboard-rt/switchboard/core/config"
)

func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check", "", stdout, stderr)
	path := fs.String("config", "config.hcl", "config file")
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	if fs.NArg() > 0 {
		return usageErr(fs, "unexpected argument %q", fs.Arg(0))
	}
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFail
	}
	var bad []error
	for i := range cfg.Plugins {
		p := &cfg.Plugins[i]
		if err := p.CheckBundled(bundledNames()); err != nil {
			bad = append(bad, err)
		}
		if err := p.CheckExecutable(); err != nil {
			bad = append(bad, err)
		}
	}
	if len(bad) > 0 {
		fmt.Fprintln(stderr, errors.Join(bad...))
		return exitFail
	}
	fmt.Fprintf(stdout, "%s: ok\n", *path)
	return exitOK
}
