package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/switchboard-rt/switchboard/core/config"
	_ "github.com/switchboard-rt/switchboard/transports/standard" // the configs are validated against the transports serve has
)

// nodeNames are the configs' base names in --configs.
var nodeNames = []string{"n1", "n2", "n3"}

// cluster is the three node processes.
type cluster struct {
	o         options
	nodes     []*node
	plugins   string // "on, …" or "off: reason"
	pluginsOn bool
	apiKey    string
}

// newCluster loads the configs, decides whether the plugins run and
// checks that the nodes' ports are free.
func newCluster(ctx context.Context, o options, stdout io.Writer) (*cluster, error) {
	c := &cluster{o: o}
	env := os.Environ()
	pluginsOn := !o.noPlugins
	reason := "--no-plugins"
	if pluginsOn {
		dsn := o.database
		if dsn == "" {
			cfg, err := config.Load(filepath.Join(o.configs, nodeNames[0]+".hcl"))
			if err != nil {
				return nil, err
			}
			for _, p := range cfg.Plugins {
				if p.Database != "" {
					dsn = p.Database
					break
				}
			}
		}
		switch err := preparePostgres(ctx, dsn); {
		case dsn == "":
			pluginsOn, reason = false, "the configs name no plugin database"
		case err != nil:
			pluginsOn, reason = false, err.Error()
		default:
			c.plugins, c.pluginsOn = "on, every node against PostgreSQL "+redact(dsn), true
			env = append(env, envDatabase+"="+dsn)
		}
	}
	if !pluginsOn {
		c.plugins = "off: " + reason
	}
	fmt.Fprintf(stdout, "switchboard-cluster: plugins %s\n", c.plugins)
	for _, name := range nodeNames {
		n, err := c.prepare(name, pluginsOn, env)
		if err != nil {
			return nil, err
		}
		c.nodes = append(c.nodes, n)
	}
	return c, nil
}

// prepare loads node name's config (without its plugin blocks when the
// plugins are off) and checks its ports.
func (c *cluster) prepare(name string, pluginsOn bool, env []string) (*node, error) {
	path := filepath.Join(c.o.configs, name+".hcl")
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Server.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("%s: data dir: %w", name, err)
	}
	if !pluginsOn {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		out, err := withoutPlugins(src, path)
		if err != nil {
			return nil, err
		}
		path = filepath.Join(cfg.Server.DataDir, "config-no-plugins.hcl")
		if err := os.WriteFile(path, out, 0o644); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	addrs := map[string]string{"listen": cfg.Server.Listen}
	if cl := cfg.NATS.Cluster; cl != nil {
		addrs["nats cluster listen"] = cl.Listen
	}
	for what, addr := range addrs {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("%s: %s %s is not free (another cluster running?): %w", path, what, addr, err)
		}
		l.Close()
	}
	if len(cfg.Auth.APIKeys) > 0 {
		c.apiKey = cfg.Auth.APIKeys[0]
	}
	return &node{name: name, config: path, url: "http://" + cfg.Server.Listen, env: env,
		logPth: filepath.Join(cfg.Server.DataDir, "switchboard.log")}, nil
}

// start runs the three nodes at once (JetStream needs a quorum before the
// history stream exists) and waits until each answers /readyz.
func (c *cluster) start(ctx context.Context) error {
	for _, n := range c.nodes {
		if err := n.start(c.o.bin); err != nil {
			return err
		}
	}
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(c.o.readyWait)
	pending := append([]*node(nil), c.nodes...)
	for len(pending) > 0 {
		var still []*node
		for _, n := range pending {
			if n.exited() {
				return n.exitError()
			}
			if !n.ready(ctx, hc) {
				still = append(still, n)
			}
		}
		pending = still
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node %s not ready after %s; last lines of %s:\n%s", pending[0].name, c.o.readyWait, pending[0].logPth, tail(pending[0].logPth, 15))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}

// wait returns when ctx ends (Ctrl-C) or every node has exited. A node
// that dies is reported and the others go on: killing one is how to try
// failover.
func (c *cluster) wait(ctx context.Context, stderr io.Writer) error {
	died := make(chan *node, len(c.nodes))
	for _, n := range c.nodes {
		go func() {
			select {
			case <-n.done:
				died <- n
			case <-ctx.Done():
			}
		}()
	}
	for alive := len(c.nodes); alive > 0; alive-- {
		select {
		case <-ctx.Done():
			return nil
		case n := <-died:
			fmt.Fprintf(stderr, "switchboard-cluster: %v\n", n.exitError())
			if alive > 1 {
				fmt.Fprintf(stderr, "switchboard-cluster: %d nodes still run; Ctrl-C stops them\n", alive-1)
			}
		}
	}
	return errors.New("every node has exited")
}

// stop asks every running node to shut down (SIGTERM: a drain), waits up
// to timeout for all, then kills the rest.
func (c *cluster) stop(timeout time.Duration) {
	for _, n := range c.nodes {
		n.signal(syscall.SIGTERM)
	}
	deadline := time.After(timeout)
	for _, n := range c.nodes {
		if n.done == nil {
			continue
		}
		select {
		case <-n.done:
		case <-deadline:
			fmt.Fprintf(os.Stderr, "switchboard-cluster: %s still running after %s: killing it\n", n.name, timeout)
			n.signal(syscall.SIGKILL)
			<-n.done
		}
	}
}

// printHowTo prints the nodes and commands that work as pasted from the
// working directory.
func (c *cluster) printHowTo(w io.Writer) {
	bin := rel(c.o.bin)
	if !strings.Contains(bin, string(filepath.Separator)) {
		bin = "." + string(filepath.Separator) + bin
	}
	first, last := c.nodes[0], c.nodes[len(c.nodes)-1]
	cfg1 := rel(filepath.Join(c.o.configs, first.name+".hcl"))
	fmt.Fprintf(w, "\nSwitchboard cluster: %d nodes ready (plugins %s)\n", len(c.nodes), c.plugins)
	for _, n := range c.nodes {
		fmt.Fprintf(w, "  %s  %-22s  ws%s/v1/ws  log %s\n", n.name, n.url, strings.TrimPrefix(n.url, "http"), rel(n.logPth))
	}
	fmt.Fprintf(w, `
Try it from another terminal, in this directory:

  # a client token for user alice in workspace w1 (dev secret of the configs)
  export SWITCHBOARD_TOKEN=$(%[1]s token --config %[2]s --sub alice --workspace w1)
  # listen on node %[3]s (WebSocket; --sse for Server-Sent Events; --since SEQ resumes)
  %[1]s listen --url %[4]s workspace:w1

and publish through node %[5]s from a third terminal:

  curl -sS %[6]s/v1/publish -H 'X-Api-Key: %[7]s' -H 'Content-Type: application/json' \
    -d '{"rooms":["workspace:w1"],"type":"demo.hello","data":{"text":"hello from %[5]s"}}'
`, bin, cfg1, last.name, last.url, first.name, first.url, c.apiKey)
	if c.pluginsOn {
		mid := c.nodes[1]
		fmt.Fprintf(w, `
The plugins run on every node with one database: a project created through
node %[1]s (in a terminal where SWITCHBOARD_TOKEN is set) reaches the listener too:

  curl -sS %[2]s/v1/workspaces/w1/projects -H "Authorization: Bearer $SWITCHBOARD_TOKEN" -d '{"name":"Apollo"}'
`, mid.name, mid.url)
	}
	fmt.Fprintf(w, "\nCtrl-C here stops all %d nodes.\n", len(c.nodes))
}
