package main

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// withoutPlugins returns the config src with its plugin blocks removed.
func withoutPlugins(src []byte, filename string) ([]byte, error) {
	f, diags := hclwrite.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: %s", filename, diags.Error())
	}
	body := f.Body()
	for _, b := range body.Blocks() {
		if b.Type() == "plugin" {
			body.RemoveBlock(b)
		}
	}
	out := append([]byte("# Written by switchboard-cluster: "+filename+" without its plugin blocks (plugins off).\n\n"), f.Bytes()...)
	return out, nil
}
