package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/switchboard-rt/switchboard/core"
	"github.com/switchboard-rt/switchboard/core/config"
)

// cmdCatalog prints the catalogue: AsyncAPI, or TypeScript types for
// clients (switchboard catalog --format typescript --out events.ts).
func cmdCatalog(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("catalog", "", stdout, stderr)
	path := fs.String("config", "config.hcl", "config file (its plugins' events are listed)")
	format := fs.String("format", "asyncapi", "output: asyncapi (AsyncAPI 3 YAML) or typescript (payload types and an EventMap)")
	out := fs.String("out", "", "write to this file instead of stdout")
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	if fs.NArg() > 0 {
		return usageErr(fs, "unexpected argument %q", fs.Arg(0))
	}
	if !slices.Contains(core.CatalogFormats, *format) {
		return usageErr(fs, "--format: want %s, got %q", strings.Join(core.CatalogFormats, " or "), *format)
	}
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFail
	}
	doc, err := core.CatalogAs(context.Background(), cfg, newLogger(cfg, stderr), *format)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFail
	}
	if *out != "" {
		if err := os.WriteFile(*out, doc, 0o644); err != nil {
			fmt.Fprintf(stderr, "switchboard catalog: %v\n", err)
			return exitFail
		}
		return exitOK
	}
	_, _ = stdout.Write(doc)
	return exitOK
}
