package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/switchboard-rt/switchboard/schema/hclconf"
)

// TransportConfig is a transport's own settings: the struct its
// `transport "NAME" { }` block decodes into (hclconf tags, see
// hclconf.Decoder) and that Config.JSON shows (json tags). The transport
// package owns it, with its defaults and its validation; core/config only
// keeps the block's body for it. The package core/transport adds what it
// takes to start the transport. Implementations are pointers to structs
// (the decoder fills them in place).
type TransportConfig interface {
	// Check validates the settings, reporting each problem through ck; c
	// is the whole config, for limits that depend on other blocks.
	Check(ck *Checker, c *Config)
	// Endpoint is the HTTP path the transport serves ("/v1/ws").
	Endpoint() string
}

// Transport is one registered transport in a Config.
type Transport struct {
	// Name is the block label ("ws").
	Name string
	// Enabled: the transport is served. If the file has any transport block,
	// exactly those present are enabled, unless they say enabled = false;
	// with none, every registered transport is.
	Enabled bool
	// Config holds the transport's settings: its defaults, then what its
	// block sets.
	Config TransportConfig
	// DeclRange is the position of the block header; zero without a block.
	DeclRange hcl.Range
}

// Transports is one entry per registered transport, in registry order.
type Transports []*Transport

// Get returns the transport called name, or nil.
func (ts Transports) Get(name string) *Transport {
	for _, t := range ts {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Enabled returns the transports that are served.
func (ts Transports) Enabled() Transports {
	var out Transports
	for _, t := range ts {
		if t.Enabled {
			out = append(out, t)
		}
	}
	return out
}

// MarshalJSON shows the transports as the file writes them: an object by
// name, each with "enabled" and the transport's own settings.
func (ts Transports) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, t := range ts {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(t.Name)
		b.Write(name)
		fmt.Fprintf(&b, `:{"enabled":%t`, t.Enabled)
		own, err := json.Marshal(t.Config)
		if err != nil {
			return nil, fmt.Errorf("transport %q: %w", t.Name, err)
		}
		if own = bytes.TrimSpace(own); len(own) > 2 && own[0] == '{' {
			b.WriteByte(',')
			b.Write(own[1:])
		} else {
			b.WriteByte('}')
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// HCLLabels implements hclconf.BlocksDecoder.
func (ts *Transports) HCLLabels() []string { return []string{"name"} }

// DecodeHCL implements hclconf.BlocksDecoder: each `transport "NAME"` body
// goes to that transport's own config struct. With any block present,
// exactly the transports present are enabled.
func (ts *Transports) DecodeHCL(d *hclconf.Decoder, parent string, blocks hcl.Blocks) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]hcl.Range{}
	present := map[string]bool{}
	for _, b := range blocks {
		name := b.Labels[0]
		p := hclconf.BlockPath(parent, "transport", b.Labels)
		if dup := hclconf.DuplicateLabel(seen, p, b); dup != nil {
			diags = append(diags, dup)
			continue
		}
		t := ts.Get(name)
		if t == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Unknown transport %q", name),
				Detail:   "known transports are " + ts.names(),
				Subject:  b.LabelRanges[0].Ptr(),
			})
			continue
		}
		if len(present) == 0 && d.Ranges != nil {
			d.Ranges["transport"] = b.DefRange // for "at least one transport must be enabled"
		}
		present[name] = true
		if d.Ranges != nil {
			d.Ranges[p] = b.DefRange
		}
		t.DeclRange = b.DefRange
		en := enabledFlag{Enabled: true}
		diags = append(diags, d.Decode(b.Body, p, &en)...)
		if en.Rest != nil {
			diags = append(diags, d.Decode(en.Rest, p, t.Config)...)
		}
		t.Enabled = en.Enabled
	}
	if len(present) > 0 {
		for _, t := range *ts {
			if !present[t.Name] {
				t.Enabled = false
			}
		}
	}
	return diags
}

// enabledFlag reads `enabled` out of a transport block, leaving the rest.
type enabledFlag struct {
	Enabled bool     `hcl:"enabled"`
	Rest    hcl.Body `hcl:",remain"`
}

// names lists the transports for messages: "ws" and "sse", or "a", "b" and "c".
func (ts Transports) names() string {
	q := make([]string, len(ts))
	for i, t := range ts {
		q[i] = fmt.Sprintf("%q", t.Name)
	}
	switch len(q) {
	case 0:
		return "none"
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

// TransportRegistry maps transport names to their config constructors.
// Transport packages register with RegisterTransport (through
// core/transport.Register) in init; tests may build their own.
type TransportRegistry struct {
	mu    sync.RWMutex
	names []string
	news  map[string]func() TransportConfig
}

// NewTransportRegistry returns an empty registry.
func NewTransportRegistry() *TransportRegistry {
	return &TransportRegistry{news: map[string]func() TransportConfig{}}
}

// Register adds a transport; newConfig returns its settings with their
// defaults. It panics if name is taken or empty: that is a programming error.
func (r *TransportRegistry) Register(name string, newConfig func() TransportConfig) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if name == "" || newConfig == nil {
		panic("config: RegisterTransport needs a name and a constructor")
	}
	if _, dup := r.news[name]; dup {
		panic(fmt.Sprintf("config: transport %q registered twice", name))
	}
	r.news[name] = newConfig
	r.names = append(r.names, name)
}

// Names lists the registered transports in registration order.
func (r *TransportRegistry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.names)
}

// defaults returns every registered transport, enabled, with its defaults.
func (r *TransportRegistry) defaults() Transports {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ts := make(Transports, 0, len(r.names))
	for _, n := range r.names {
		ts = append(ts, &Transport{Name: n, Enabled: true, Config: r.news[n]()})
	}
	return ts
}

// Registry is the process's transport registry, which DefaultConfig, Load
// and Parse use.
var Registry = NewTransportRegistry()

// RegisterTransport adds a transport to Registry (see Register).
func RegisterTransport(name string, newConfig func() TransportConfig) {
	Registry.Register(name, newConfig)
}

// Checker reports problems of one transport block, named by config path
// (`transport "ws": max_frame_bytes: must be > 0`) and positioned in the
// file when the value came from it.
type Checker struct {
	v     *validator
	block string
}

// Errorf reports a problem with attribute attr ("" for the block itself).
func (ck *Checker) Errorf(attr, format string, args ...any) {
	ck.v.errf(ck.block, attr, format, args...)
}

// Positive reports attr unless n > 0.
func (ck *Checker) Positive(attr string, n int64) { ck.v.positive(ck.block, attr, n) }

// PositiveDuration reports attr unless d > 0.
func (ck *Checker) PositiveDuration(attr string, d hclconf.Duration) {
	ck.v.positiveDur(ck.block, attr, d)
}

// Endpoint reports attr unless p starts with "/".
func (ck *Checker) Endpoint(attr, p string) {
	if !strings.HasPrefix(p, "/") {
		ck.Errorf(attr, `must start with "/", got %q`, p)
	}
}

// Queue checks a connection's queue bound: it must hold at least one largest
// event (publish max_event_bytes), or every such event would cut its
// receivers off as slow consumers.
func (ck *Checker) Queue(attr string, queue hclconf.Size, c *Config) {
	maxEvent := c.Publish.MaxEventBytes
	switch {
	case queue <= 0:
		ck.Errorf(attr, "must be > 0, got %d", queue)
	case maxEvent > 0 && queue < maxEvent:
		ck.Errorf(attr, "must be at least publish max_event_bytes (%d), got %d", maxEvent, queue)
	}
}
