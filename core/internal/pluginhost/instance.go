package pluginhost

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"google.golang.org/grpc"

	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/core/internal/ingest"
	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
)

// instance is one configured plugin and its current process.
type instance struct {
	h   *Host
	cfg config.Plugin
	log *slog.Logger

	mu       sync.RWMutex
	client   *plugin.Client
	rpc      *pluginv1.Client // nil while down
	info     *pluginv1.GetInfoResponse
	schemas  map[string]*jsonschema.Schema
	stopping bool
	stopped  chan struct{}
}

func (in *instance) current() *pluginv1.Client {
	in.mu.RLock()
	defer in.mu.RUnlock()
	return in.rpc
}

func (in *instance) currentInfo() *pluginv1.GetInfoResponse {
	in.mu.RLock()
	defer in.mu.RUnlock()
	if in.info == nil {
		return &pluginv1.GetInfoResponse{Name: in.cfg.Name}
	}
	return in.info
}

// timeout bounds one call into the plugin on a client's behalf.
func (in *instance) timeout() time.Duration {
	if in.cfg.Timeout > 0 {
		return in.cfg.Timeout
	}
	return config.DefaultPluginTimeout
}

// described reports whether the plugin's event types are known.
func (in *instance) described() bool {
	in.mu.RLock()
	defer in.mu.RUnlock()
	return in.schemas != nil
}

func (in *instance) schema(typ string) *jsonschema.Schema {
	in.mu.RLock()
	defer in.mu.RUnlock()
	return in.schemas[typ]
}

// start launches the process, serves it the Host service, configures it
// and reads its description.
func (in *instance) start(ctx context.Context) error {
	if err := in.cfg.CheckExecutable(); err != nil {
		return err
	}
	name := in.cfg.Name
	cmd, err := in.command()
	if err != nil {
		return err
	}
	setPdeathsig(cmd)
	// The plugin's JSON log lines on stderr come back through this logger
	// one record each, at their level (see slogHclog).
	logger := newSlogHclog(in.log)
	stderr := &stderrHead{}
	cl := plugin.NewClient(&plugin.ClientConfig{
		Stderr:          stderr,
		HandshakeConfig: pluginv1.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{
			pluginv1.ProtocolVersion: {pluginv1.PluginName: &pluginv1.GRPCPlugin{}},
		},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logger,
		StartTimeout:     30 * time.Second,
		GRPCDialOptions:  []grpc.DialOption{grpc.WithChainUnaryInterceptor(in.observeCalls)},
	})
	fail := func(format string, args ...any) error {
		cl.Kill()
		msg := fmt.Sprintf(format, args...)
		if t := stderr.String(); t != "" {
			// The plugin's own words say more than go-plugin's checklist.
			msg, _, _ = strings.Cut(msg, "\n")
			msg = strings.TrimRight(msg, ": ") + "; its stderr: " + t
		}
		return fmt.Errorf("%s: plugin %q (%s): %s", in.cfg.At(), name, strings.Join(cmd.Args, " "), msg)
	}
	rpcc, err := cl.Client()
	if err != nil {
		return fail("start: %v", err)
	}
	raw, err := rpcc.Dispense(pluginv1.PluginName)
	if err != nil {
		return fail("dispense: %v", err)
	}
	c := raw.(*pluginv1.Client)
	id := c.Broker.NextId()
	go c.Broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		s := grpc.NewServer(opts...)
		pluginv1.RegisterHostServer(s, &hostService{in: in})
		return s
	})
	req := &pluginv1.ConfigureRequest{
		Name: name, ConfigHcl: in.cfg.ConfigSrc, Filename: in.cfg.DeclRange.Filename,
		Start:   &pluginv1.Pos{Line: int64(in.cfg.ConfigStart.Line), Column: int64(in.cfg.ConfigStart.Column), Byte: int64(in.cfg.ConfigStart.Byte)},
		DataDir: filepath.Join(in.h.o.DataDir, "plugins", name), Database: in.cfg.Database, HostBrokerId: id,
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := c.Configure(cctx, req)
	if err != nil {
		return fail("configure: %v", err)
	}
	if len(resp.Diagnostics) > 0 {
		var lines []string
		for _, d := range resp.Diagnostics {
			at := ""
			if d.Filename != "" && d.Start != nil {
				at = fmt.Sprintf("%s:%d:%d: ", d.Filename, d.Start.Line, d.Start.Column)
			}
			line := at + "plugin " + fmt.Sprintf("%q", name) + ": " + d.Summary
			if d.Detail != "" {
				line += ": " + d.Detail
			}
			lines = append(lines, line)
		}
		cl.Kill()
		return fmt.Errorf("%s", strings.Join(lines, "\n"))
	}
	info, err := c.GetInfo(cctx, &pluginv1.GetInfoRequest{})
	if err != nil {
		return fail("info: %v", err)
	}
	schemas, err := compileSchemas(info)
	if err != nil {
		return fail("%v", err)
	}
	if info.ApiVersion != "v1" {
		return fail("API version %q; this core speaks v1", info.ApiVersion)
	}
	in.mu.Lock()
	if old := in.info; old != nil && !sameSurface(old, info) {
		in.log.Warn("plugin changed its routes or room kinds across a restart; the core keeps the ones it mounted")
	}
	in.client, in.rpc, in.info, in.schemas = cl, c, info, schemas
	if in.stopped == nil {
		in.stopped = make(chan struct{})
	}
	in.mu.Unlock()
	in.log.Info("plugin started", "routes", len(info.Routes), "events", len(info.Events), "room_kinds", info.RoomKinds)
	return nil
}

func compileSchemas(info *pluginv1.GetInfoResponse) (map[string]*jsonschema.Schema, error) {
	out := map[string]*jsonschema.Schema{}
	for _, et := range info.Events {
		if et.Type == "" {
			return nil, fmt.Errorf("an event type has no name")
		}
		s, err := ingest.Compile(et.Type, et.Schema)
		if err != nil {
			return nil, err
		}
		out[et.Type] = s
	}
	return out, nil
}

func sameSurface(a, b *pluginv1.GetInfoResponse) bool {
	if len(a.Routes) != len(b.Routes) || strings.Join(a.RoomKinds, ",") != strings.Join(b.RoomKinds, ",") {
		return false
	}
	for i := range a.Routes {
		if a.Routes[i].Method != b.Routes[i].Method || a.Routes[i].Pattern != b.Routes[i].Pattern {
			return false
		}
	}
	return true
}

// supervise restarts the plugin whenever its process exits, with capped
// exponential backoff, until stop.
func (in *instance) supervise() {
	backoff := 100 * time.Millisecond
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		in.mu.RLock()
		cl, stopping, stopped := in.client, in.stopping, in.stopped
		in.mu.RUnlock()
		if stopping {
			return
		}
		if cl != nil && !cl.Exited() {
			select {
			case <-tick.C:
			case <-stopped:
			}
			continue
		}
		in.mu.Lock()
		if in.rpc != nil {
			in.log.Error("plugin exited; restarting", "in", backoff)
			in.h.o.Metrics.PluginRestarts.WithLabelValues(in.cfg.Name).Inc()
		}
		in.rpc = nil
		in.mu.Unlock()
		select {
		case <-time.After(backoff):
		case <-stopped:
			return
		}
		if err := in.start(context.Background()); err != nil {
			in.log.Error("plugin restart failed", "err", err)
			backoff = min(backoff*2, 10*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
	}
}

// stop asks the plugin to stop, then ends its process.
func (in *instance) stop(ctx context.Context) {
	in.mu.Lock()
	in.stopping = true
	cl, c := in.client, in.rpc
	in.rpc = nil
	if in.stopped != nil {
		select {
		case <-in.stopped:
		default:
			close(in.stopped)
		}
	}
	in.mu.Unlock()
	if c != nil {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if _, err := c.Stop(sctx, &pluginv1.StopRequest{}); err != nil {
			in.log.Warn("plugin stop", "err", err)
		}
		cancel()
	}
	if cl != nil {
		cl.Kill()
	}
}
