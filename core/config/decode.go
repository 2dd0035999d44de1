package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Known transport names, in the order messages list them.
var transportNames = []string{"ws", "sse"}

// decodeFile decodes f over c. It goes on past errors so that one run
// reports every problem; c is then only partly updated and must be dropped.
func decodeFile(f *hcl.File, ctx *hcl.EvalContext, c *Config, src *sources) hcl.Diagnostics {
	var fh fileHCL
	diags := gohcl.DecodeBody(f.Body, ctx, &fh)
	d := &decoder{ctx: ctx, src: src, file: f.Bytes}

	if b := fh.Server; b != nil {
		d.block("server", b.DefRange)
		d.server(b, &c.Server)
	}
	if b := fh.Auth; b != nil {
		d.block("auth", b.DefRange)
		d.auth(b, &c.Auth)
	}
	if b := fh.NATS; b != nil {
		d.block("nats", b.DefRange)
		d.nats(b, &c.NATS)
	}
	if b := fh.History; b != nil {
		const p = "history"
		d.block(p, b.DefRange)
		d.duration(p, b.MaxAge, &c.History.MaxAge)
		d.int64(p, b.MaxMsgs, &c.History.MaxMsgs)
		d.size(p, b.MaxBytes, &c.History.MaxBytes)
		d.duration(p, b.DuplicateWindow, &c.History.DuplicateWindow)
		d.str(p, b.Stream, &c.History.Stream)
	}
	if b := fh.Hub; b != nil {
		d.block("hub", b.DefRange)
		d.integer("hub", b.Shards, &c.Hub.Shards)
		d.boolean("hub", b.Presence, &c.Hub.Presence)
		d.integer("hub", b.PresMax, &c.Hub.PresenceMaxMembers)
		d.integer("hub", b.Direct, &c.Hub.DirectWrites)
	}
	if b := fh.Publish; b != nil {
		const p = "publish"
		d.block(p, b.DefRange)
		d.size(p, b.MaxBodyBytes, &c.Publish.MaxBodyBytes)
		d.integer(p, b.MaxBatch, &c.Publish.MaxBatch)
		d.integer(p, b.MaxRooms, &c.Publish.MaxRooms)
		d.size(p, b.MaxEventBytes, &c.Publish.MaxEventBytes)
		d.boolean(p, b.StrictTypes, &c.Publish.StrictTypes)
	}
	d.transports(fh.Transports, c)
	d.plugins(fh.Plugins, c)

	return append(diags, d.diags...)
}

func (d *decoder) block(name string, r hcl.Range) { d.src.ranges[name] = r }

func (d *decoder) server(b *serverHCL, s *Server) {
	const p = "server"
	d.str(p, b.Listen, &s.Listen)
	d.str(p, b.DataDir, &s.DataDir)
	d.strs(p, b.AllowedOrigins, &s.AllowedOrigins)
	d.duration(p, b.ShutdownTimeout, &s.ShutdownTimeout)
	d.str(p, b.LogLevel, &s.LogLevel)
	d.str(p, b.LogFormat, &s.LogFormat)
}

func (d *decoder) auth(b *authHCL, a *Auth) {
	const p = "auth"
	d.str(p, b.JWTSecret, &a.JWTSecret)
	d.str(p, b.JWKSFile, &a.JWKSFile)
	d.str(p, b.Issuer, &a.Issuer)
	d.str(p, b.Audience, &a.Audience)
	d.duration(p, b.Leeway, &a.Leeway)
	d.duration(p, b.TokenTTL, &a.TokenTTL)
	d.strs(p, b.APIKeys, &a.APIKeys)
}

func (d *decoder) nats(b *natsHCL, n *NATS) {
	const p = "nats"
	d.str(p, b.URL, &n.URL)
	d.str(p, b.ServerName, &n.ServerName)
	d.str(p, b.Listen, &n.Listen)
	d.integer(p, b.Replicas, &n.Replicas)
	d.duration(p, b.SyncInterval, &n.SyncInterval)
	d.boolean(p, b.SyncAlways, &n.SyncAlways)
	d.integer(p, b.MaxPending, &n.MaxPending)
	if cb := b.Cluster; cb != nil {
		const cp = "nats: cluster"
		d.block(cp, cb.DefRange)
		n.Cluster = &Cluster{Routes: []string{}}
		d.str(cp, cb.Name, &n.Cluster.Name)
		d.str(cp, cb.Listen, &n.Cluster.Listen)
		d.strs(cp, cb.Routes, &n.Cluster.Routes)
	}
}

// transports decodes each `transport "NAME"` body with that transport's own
// schema. If any known transport block is present, exactly those present are
// enabled (unless they say enabled = false); with none, both keep the default.
func (d *decoder) transports(ts []transportHCL, c *Config) {
	var ws *wsHCL
	var sse *sseHCL
	seen := map[string]hcl.Range{}
	for _, t := range ts {
		p := fmt.Sprintf("transport %q", t.Name)
		if prev, dup := seen[t.Name]; dup {
			d.fail(t.DefRange, "Duplicate "+p+" block",
				"only one %s block is allowed; another was defined at %s", p, pos(prev))
			continue
		}
		switch t.Name {
		case "ws":
			ws = new(wsHCL)
			d.diags = append(d.diags, gohcl.DecodeBody(t.Body, d.ctx, ws)...)
		case "sse":
			sse = new(sseHCL)
			d.diags = append(d.diags, gohcl.DecodeBody(t.Body, d.ctx, sse)...)
		default:
			d.fail(t.NameRange, fmt.Sprintf("Unknown transport %q", t.Name),
				"known transports are %q and %q", transportNames[0], transportNames[1])
			continue
		}
		if len(seen) == 0 {
			d.block("transport", t.DefRange) // for "at least one transport must be enabled"
		}
		seen[t.Name] = t.DefRange
		d.block(p, t.DefRange)
	}
	if len(seen) > 0 {
		c.WS.Enabled, c.SSE.Enabled = ws != nil, sse != nil
	}
	if ws != nil {
		d.ws(`transport "ws"`, ws, &c.WS)
	}
	if sse != nil {
		d.sse(`transport "sse"`, sse, &c.SSE)
	}
}

func (d *decoder) ws(p string, b *wsHCL, w *WS) {
	d.boolean(p, b.Enabled, &w.Enabled)
	d.str(p, b.Path, &w.Path)
	d.size(p, b.MaxFrameBytes, &w.MaxFrameBytes)
	d.integer(p, b.MaxRooms, &w.MaxRooms)
	d.size(p, b.QueueBytes, &w.QueueBytes)
	d.duration(p, b.PingInterval, &w.PingInterval)
	d.duration(p, b.IdleTimeout, &w.IdleTimeout)
	d.duration(p, b.WriteTimeout, &w.WriteTimeout)
	d.duration(p, b.HandshakeTimeout, &w.HandshakeTimeout)
	d.float(p, b.RateLimit, &w.RateLimit)
	d.integer(p, b.RateBurst, &w.RateBurst)
	d.integer(p, b.MaxErrors, &w.MaxErrors)
}

func (d *decoder) sse(p string, b *sseHCL, s *SSE) {
	d.boolean(p, b.Enabled, &s.Enabled)
	d.str(p, b.Path, &s.Path)
	d.integer(p, b.MaxRooms, &s.MaxRooms)
	d.size(p, b.QueueBytes, &s.QueueBytes)
	d.duration(p, b.Keepalive, &s.Keepalive)
	d.duration(p, b.Retry, &s.Retry)
	d.duration(p, b.WriteTimeout, &s.WriteTimeout)
}

func (d *decoder) plugins(ps []pluginHCL, c *Config) {
	seen := map[string]hcl.Range{}
	for _, ph := range ps {
		p := fmt.Sprintf("plugin %q", ph.Name)
		if prev, dup := seen[ph.Name]; dup {
			d.fail(ph.DefRange, "Duplicate "+p+" block",
				"only one %s block is allowed; another was defined at %s", p, pos(prev))
			continue
		}
		seen[ph.Name] = ph.DefRange
		d.block(p, ph.DefRange)
		pl := Plugin{Name: ph.Name, DeclRange: ph.DefRange, Timeout: DefaultPluginTimeout}
		d.str(p, ph.Path, &pl.Path)
		d.strs(p, ph.Args, &pl.Args)
		d.str(p, ph.Database, &pl.Database)
		d.duration(p, ph.Timeout, &pl.Timeout)
		if ph.Config != nil {
			pl.Config = ph.Config.Body
			pl.ConfigRange = ph.Config.DefRange
			if b, ok := ph.Config.Body.(*hclsyntax.Body); ok {
				// The source between the braces, for the plugin to decode
				// with its own schema and report positions in this file.
				r := b.SrcRange
				if r.Start.Byte+1 <= r.End.Byte-1 && r.End.Byte <= len(d.file) {
					pl.ConfigSrc = d.file[r.Start.Byte+1 : r.End.Byte-1]
					pl.ConfigStart = hcl.Pos{Line: r.Start.Line, Column: r.Start.Column + 1, Byte: r.Start.Byte + 1}
				}
			}
		}
		c.Plugins = append(c.Plugins, pl)
	}
}

// pos formats the start of r as file:line:col.
func pos(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}
