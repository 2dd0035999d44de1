// Command switchboard is the Switchboard router and its terminal tools.
package main

import (
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
