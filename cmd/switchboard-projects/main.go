// Command switchboard-projects is the bundled projects plugin; the core
// starts it (plugin "projects" { path = "./bin/switchboard-projects" }).
package main

import (
	"github.com/switchboard-rt/switchboard/plugins/projects"
	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

func main() { sdk.Serve(projects.New) }
