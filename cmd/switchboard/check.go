package main

import (
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
	if _, err := config.Load(*path); err != nil {
		fmt.Fprintln(stderr, err)
		return exitFail
	}
	fmt.Fprintf(stdout, "%s: ok\n", *path)
	return exitOK
}
