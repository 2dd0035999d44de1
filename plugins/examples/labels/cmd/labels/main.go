// Command labels runs the labels example plugin; the core starts it.
package main

import (
	"github.com/switchboard-rt/switchboard/plugins/examples/labels"
	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

func main() { sdk.Serve(labels.New) }
