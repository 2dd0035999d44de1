package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// fallbackURL is the node --url names when neither the flag nor
// $SWITCHBOARD_URL is given.
const fallbackURL = "http://localhost:8080"

// defaultURL is the default of listen's and publish's --url: the flag
// wins over $SWITCHBOARD_URL, which wins over fallbackURL.
func defaultURL() string {
	if u := strings.TrimSpace(os.Getenv("SWITCHBOARD_URL")); u != "" {
		return u
	}
	return fallbackURL
}

func cmdVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("version", "", stdout, stderr)
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	if fs.NArg() != 0 {
		return usageErr(fs, "version takes no arguments, got %d", fs.NArg())
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintln(stdout, "switchboard (no build information)")
		return exitOK
	}
	fmt.Fprintln(stdout, versionLine(bi))
	return exitOK
}

// versionLine describes the build: the module version when it was built
// from a released module (go install …@v1.2.3), otherwise the VCS revision,
// its time and whether the tree had local changes; then the Go version.
func versionLine(bi *debug.BuildInfo) string {
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
		if rev := settings["vcs.revision"]; rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			v += " " + rev
			if t := settings["vcs.time"]; t != "" {
				v += " " + t
			}
			if settings["vcs.modified"] == "true" {
				v += " (modified)"
			}
		}
	}
	return fmt.Sprintf("switchboard %s %s %s/%s", v, bi.GoVersion, settings["GOOS"], settings["GOARCH"])
}
