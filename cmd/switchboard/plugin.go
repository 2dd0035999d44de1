package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/switchboard-rt/switchboard/plugins/comments"
	"github.com/switchboard-rt/switchboard/plugins/phases"
	"github.com/switchboard-rt/switchboard/plugins/projects"
	"github.com/switchboard-rt/switchboard/plugins/sdk"
	"github.com/switchboard-rt/switchboard/plugins/tasks"
	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
)

// bundled are the plugins built into this binary. The router runs one as
// `switchboard plugin NAME` for a `plugin "NAME" {}` block without path
// (core/internal/pluginhost); each entry serves it and never returns.
var bundled = map[string]func(){
	"projects": func() { sdk.Serve(projects.New) },
	"phases":   func() { sdk.Serve(phases.New) },
	"tasks":    func() { sdk.Serve(tasks.New) },
	"comments": func() { sdk.Serve(comments.New) },
}

// bundledNames lists the bundled plugins, sorted.
func bundledNames() []string {
	names := make([]string, 0, len(bundled))
	for n := range bundled {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// cmdPlugin serves a bundled plugin over go-plugin. The router starts it
// with the handshake cookie in the environment; run by hand, it says so
// and exits 1 rather than waiting for a router that is not there.
func cmdPlugin(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("plugin", "NAME", stdout, stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: switchboard plugin NAME\n\n"+
			"Serves the bundled plugin NAME to the router over go-plugin. The router runs\n"+
			"it for a plugin \"NAME\" {} block without path; it is not run by hand.\n\n"+
			"Bundled plugins: %s\n", strings.Join(bundledNames(), ", "))
	}
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	if fs.NArg() != 1 {
		return usageErr(fs, "want one plugin name, got %d arguments", fs.NArg())
	}
	name := fs.Arg(0)
	serve, ok := bundled[name]
	if !ok { // one line: the router quotes it when the plugin fails to start
		fmt.Fprintf(stderr, "switchboard plugin: unknown bundled plugin %q (bundled: %s)\n", name, strings.Join(bundledNames(), ", "))
		return exitUsage
	}
	if os.Getenv(pluginv1.Handshake.MagicCookieKey) != pluginv1.Handshake.MagicCookieValue {
		fmt.Fprintf(stderr, "switchboard plugin %s: this command is run by the router (a plugin %q {} block without path in the config of `switchboard serve`), not by hand\n", name, name)
		return exitFail
	}
	serve()
	return exitOK // not reached: Serve exits when the router stops the plugin
}
