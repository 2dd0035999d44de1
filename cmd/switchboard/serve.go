package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/switchboard-rt/switchboard/core"
	"github.com/switchboard-rt/switchboard/core/config"
)

func cmdServe(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", "", stdout, stderr)
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
	log := newLogger(cfg, stderr)
	if cfg.Auth.DevSecrets && !loopback(cfg.Server.Listen) {
		log.Warn("the shipped development JWT secret or API key is in use on a non-loopback address; set SWITCHBOARD_JWT_SECRET and SWITCHBOARD_API_KEYS",
			"listen", cfg.Server.Listen)
	}
	if w := sqliteClusterWarning(cfg); w != "" {
		log.Warn(w)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := core.New(ctx, cfg, log)
	if err != nil {
		log.Error("start failed", "err", err)
		return exitFail
	}
	if err := s.Run(ctx); err != nil {
		log.Error("stopped with error", "err", err)
		return exitFail
	}
	return exitOK
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Server.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.Server.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// loopback reports whether a listen address binds only loopback.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
