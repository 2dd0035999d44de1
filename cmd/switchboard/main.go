// Command switchboard is the Switchboard router and its terminal tools.
package main

import (
	"os"

	_ "github.com/switchboard-rt/switchboard/transports/standard" // the ws and sse transports
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
