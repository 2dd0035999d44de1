package main

import (
	"context"
	"fmt"
	"io"

	"github.com/switchboard-rt/switchboard/core"
	"github.com/switchboard-rt/switchboard/core/config"
)

func cmdCatalog(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("catalog", "", stdout, stderr)
	path := fs.String("config", "config.hcl", "config file (its plugins' events are listed)")
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
	doc, err := core.Catalog(context.Background(), cfg, newLogger(cfg, stderr))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFail
	}
	_, _ = stdout.Write(doc)
	return exitOK
}
