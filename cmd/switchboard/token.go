package main

import (
	"fmt"
	"io"
	"time"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/config"
)

func cmdToken(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("token", "", stdout, stderr)
	path := fs.String("config", "config.hcl", "config file (its HS256 secret signs the token)")
	sub := fs.String("sub", "", "user id (the sub claim; required)")
	ttl := fs.Duration("ttl", 0, "lifetime (default: auth.token_ttl of the config)")
	var ws stringList
	fs.Var(&ws, "workspace", "workspace id for the workspaces claim (repeatable)")
	var d auth.Display
	fs.StringVar(&d.Name, "name", "", "display name (the name claim, shown in presence)")
	fs.StringVar(&d.Email, "email", "", "email (the email claim, shown in presence)")
	fs.StringVar(&d.Avatar, "avatar", "", "avatar URL (the avatar claim, shown in presence)")
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	if *sub == "" {
		return usageErr(fs, "--sub is required")
	}
	if fs.NArg() > 0 {
		return usageErr(fs, "unexpected argument %q", fs.Arg(0))
	}
	if *ttl < 0 {
		return usageErr(fs, "--ttl must be positive, got %v", *ttl)
	}
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFail
	}
	if cfg.Auth.JWTSecret == "" {
		fmt.Fprintf(stderr, "switchboard token: %s has no auth.jwt_secret to sign with\n", *path)
		return exitFail
	}
	if *ttl == 0 {
		*ttl = time.Duration(cfg.Auth.TokenTTL)
	}
	tok, err := auth.MintDisplay([]byte(cfg.Auth.JWTSecret), *sub, ws, d, *ttl, time.Now(), cfg.Auth.Issuer, cfg.Auth.Audience)
	if err != nil {
		fmt.Fprintf(stderr, "switchboard token: %v\n", err)
		return exitFail
	}
	fmt.Fprintln(stdout, tok)
	return exitOK
}
