// Command switchboard-tasks is the bundled tasks plugin; the core starts it.
package main

import (
	"github.com/switchboard-rt/switchboard/plugins/sdk"
	"github.com/switchboard-rt/switchboard/plugins/tasks"
)

func main() { sdk.Serve(tasks.New) }
