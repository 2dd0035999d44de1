// Command switchboard-phases is the bundled phases plugin; the core starts
// it (plugin "phases" { path = "./bin/switchboard-phases" }).
package main

import (
	"github.com/switchboard-rt/switchboard/plugins/phases"
	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

func main() { sdk.Serve(phases.New) }
