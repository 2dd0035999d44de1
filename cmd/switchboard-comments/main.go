// Command switchboard-comments is the bundled comments plugin; the core
// starts it.
package main

import (
	"github.com/switchboard-rt/switchboard/plugins/comments"
	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

func main() { sdk.Serve(comments.New) }
