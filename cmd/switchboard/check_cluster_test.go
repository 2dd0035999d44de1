package main

import (
	"strings"
	"testing"
)

// check warns, saying why, of a clustered config (a nats cluster block or
// an external nats url) whose plugins have no database: each node would
// keep its own SQLite data. The config stays valid (exit 0).
func TestCheckWarnsOfSQLitePluginsInACluster(t *testing.T) {
	const cluster = "nats {\n  cluster {\n    name = \"sb\"\n    listen = \"127.0.0.1:6222\"\n    routes = [\"nats://10.0.0.2:6222\"]\n  }\n}\n"
	const url = "nats {\n  url = \"nats://10.0.0.9:4222\"\n}\n"
	const pg = "  database = \"postgres://db.internal/sb\"\n"
	for _, tc := range []struct {
		name, src, want string
	}{
		{"cluster", cluster + "plugin \"projects\" {}\nplugin \"tasks\" {\n" + pg + "}\n",
			`: warning: plugin "projects": no database in a clustered config (a nats cluster block): each node keeps the plugin's data in its own SQLite file`},
		{"url", url + "plugin \"projects\" {}\nplugin \"tasks\" {}\n",
			`: warning: plugin "projects", "tasks": no database in a clustered config (nats url)`},
		{"postgres", cluster + "plugin \"projects\" {\n" + pg + "}\n", ""},
		{"single node", "plugin \"projects\" {}\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeConfig(t, tc.src)
			code, out, errOut := runCmd("check", "--config", p)
			if code != exitOK || !strings.HasSuffix(out, ": ok\n") {
				t.Fatalf("exit %d, %q %q", code, out, errOut)
			}
			if tc.want == "" {
				if strings.Contains(errOut, "no database") {
					t.Errorf("stderr %q, want no warning", errOut)
				}
				return
			}
			if !strings.Contains(errOut, p+tc.want) {
				t.Errorf("stderr %q, want %q", errOut, p+tc.want)
			}
		})
	}
}
