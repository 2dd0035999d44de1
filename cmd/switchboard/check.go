package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

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
	if w := unscopedKeysWarning(cfg); w != "" {
		fmt.Fprintf(stderr, "%s: warning: %s\n", *path, w)
	}
	if w := sqliteClusterWarning(cfg); w != "" {
		fmt.Fprintf(stderr, "%s: warning: %s\n", *path, w)
	}
	fmt.Fprintf(stdout, "%s: ok\n", *path)
	return exitOK
}

// unscopedKeysWarning warns of auth.api_keys outside development (a
// listen address that is not loopback): such a key publishes to any room
// and any type, so one leak reaches every user.
func unscopedKeysWarning(cfg *config.Config) string {
	n := 0
	for _, k := range cfg.Auth.APIKeys {
		if k != "" {
			n++
		}
	}
	if n == 0 || loopback(cfg.Server.Listen) {
		return ""
	}
	return fmt.Sprintf("auth: api_keys: %d unscoped API key(s) on the non-loopback listen %q may publish to any room "+
		"and any type; prefer api_key \"NAME\" { key = …, rooms = […], types = […] } blocks", n, cfg.Server.Listen)
}

// sqliteClusterWarning warns of a clustered config (a nats cluster block,
// or an external nats url) whose plugins have no database DSN: each node
// would keep their data in its own SQLite file under data_dir, so nodes
// would hold different projects and tasks.
func sqliteClusterWarning(cfg *config.Config) string {
	if cfg.NATS.Cluster == nil && cfg.NATS.URL == "" {
		return ""
	}
	var names []string
	for _, p := range cfg.Plugins {
		if p.Database == "" {
			names = append(names, strconv.Quote(p.Name))
		}
	}
	if len(names) == 0 {
		return ""
	}
	by := "a nats cluster block"
	if cfg.NATS.URL != "" {
		by = "nats url"
	}
	return fmt.Sprintf("plugin %s: no database in a clustered config (%s): each node keeps the plugin's data in its own "+
		"SQLite file under data_dir, so nodes hold different data (projects, tasks …); set database = \"postgres://…\" "+
		"to one PostgreSQL shared by every node (a plugin that stores nothing may ignore this)", strings.Join(names, ", "), by)
}
