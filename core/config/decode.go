package config

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/switchboard-rt/switchboard/schema/hclconf"
)

// decodeFile decodes f over c with hclconf.Decoder, recording where each
// value came from in src. It goes on past errors so that one run reports
// every problem; c is then only partly updated and must be dropped.
func decodeFile(f *hcl.File, ctx *hcl.EvalContext, c *Config, src *sources) hcl.Diagnostics {
	d := &hclconf.Decoder{Ctx: ctx, Ranges: src.ranges}
	diags := d.Decode(f.Body, "", c)
	for i := range c.Plugins {
		opaqueConfig(&c.Plugins[i], f.Bytes, src)
	}
	return diags
}

// opaqueConfig fills the position and source of a plugin's `config { }`
// block, for the plugin to decode with its own schema and report positions
// in this file.
func opaqueConfig(pl *Plugin, file []byte, src *sources) {
	if pl.Config == nil {
		return
	}
	pl.ConfigRange = src.ranges[hclconf.Path(hclconf.BlockPath("", "plugin", []string{pl.Name}), "config")]
	b, ok := pl.Config.(*hclsyntax.Body)
	if !ok {
		return
	}
	r := b.SrcRange
	if r.Start.Byte+1 <= r.End.Byte-1 && r.End.Byte <= len(file) {
		pl.ConfigSrc = file[r.Start.Byte+1 : r.End.Byte-1]
		pl.ConfigStart = hcl.Pos{Line: r.Start.Line, Column: r.Start.Column + 1, Byte: r.Start.Byte + 1}
	}
}

// path names an attribute inside a block the way messages show it:
// `transport "ws": max_frame_bytes`.
func path(block, attr string) string { return hclconf.Path(block, attr) }

// pos formats the start of r as file:line:col.
func pos(r hcl.Range) string { return hclconf.Pos(r) }
