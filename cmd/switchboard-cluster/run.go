package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// options are the launcher's flags.
type options struct {
	bin         string
	configs     string
	noPlugins   bool
	database    string
	readyWait   time.Duration
	stopTimeout time.Duration
}

func parseOptions(args []string, stderr io.Writer) (options, int, bool) {
	var o options
	fs := flag.NewFlagSet("switchboard-cluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.bin, "bin", "bin/switchboard", "the switchboard binary")
	fs.StringVar(&o.configs, "configs", "cmd/switchboard-cluster", "directory of n1.hcl, n2.hcl, n3.hcl")
	fs.BoolVar(&o.noPlugins, "no-plugins", false, "run without the plugins even when PostgreSQL answers")
	fs.StringVar(&o.database, "database", "", "PostgreSQL DSN of the plugins (default $SWITCHBOARD_CLUSTER_DATABASE, else the configs' default)")
	fs.DurationVar(&o.readyWait, "ready-timeout", 90*time.Second, "bound on every node becoming ready")
	fs.DurationVar(&o.stopTimeout, "stop-timeout", 30*time.Second, "bound on the nodes' shutdown before they are killed")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, exitOK, true
		}
		return o, exitUsage, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "switchboard-cluster: unexpected argument %q\n", fs.Arg(0))
		return o, exitUsage, true
	}
	if o.readyWait <= 0 || o.stopTimeout <= 0 {
		fmt.Fprintln(stderr, "switchboard-cluster: --ready-timeout and --stop-timeout must be positive")
		return o, exitUsage, true
	}
	if o.database == "" {
		o.database = os.Getenv(envDatabase)
	}
	return o, 0, false
}

func run(args []string, stdout, stderr io.Writer) int {
	o, code, done := parseOptions(args, stderr)
	if done {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := os.Stat(o.bin); err != nil {
		return failf(stderr, "%s: %v (build it: make build)", o.bin, err)
	}
	c, err := newCluster(ctx, o, stdout)
	if err != nil {
		return failf(stderr, "%v", err)
	}
	if err := c.start(ctx); err != nil {
		c.stop(o.stopTimeout)
		if ctx.Err() != nil {
			fmt.Fprintln(stdout, "interrupted while starting; all nodes stopped")
			return exitOK
		}
		return failf(stderr, "%v", err)
	}
	c.printHowTo(stdout)
	died := c.wait(ctx, stderr)
	c.stop(o.stopTimeout)
	if died != nil {
		return failf(stderr, "%v", died)
	}
	fmt.Fprintln(stdout, "all nodes stopped")
	return exitOK
}

func failf(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "switchboard-cluster: "+format+"\n", args...)
	return exitFail
}

// rel shortens path to be relative to the working directory, for the
// commands printed to paste.
func rel(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if r, err := filepath.Rel(wd, abs); err == nil {
		return r
	}
	return path
}
