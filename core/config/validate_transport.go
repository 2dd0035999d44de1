package config

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/switchboard-rt/switchboard/schema/hclconf"
)

// transports checks each transport's settings through its own Check,
// whether or not it is enabled (a disabled block with nonsense in it is
// still a mistake in the file), then what they share: at least one is
// enabled, and no two enabled ones serve the same path.
func (v *validator) transports(c *Config) {
	paths := map[string]string{}
	for _, t := range c.Transports {
		block := fmt.Sprintf("transport %q", t.Name)
		t.Config.Check(&Checker{v: v, block: block}, c)
		if !t.Enabled {
			continue
		}
		p := t.Config.Endpoint()
		if other, dup := paths[p]; dup {
			v.errf(block, "path", "%q is already the %s path", p, other)
		}
		paths[p] = t.Name
	}
	if len(paths) == 0 {
		v.errf("transport", "", "at least one transport (%s) must be enabled", orList(c.Transports))
	}
}

// orList is `"ws" or "sse"`, `"a", "b" or "c"`.
func orList(ts Transports) string {
	s := ts.names()
	if i := strings.LastIndex(s, " and "); i >= 0 {
		s = s[:i] + " or " + s[i+len(" and "):]
	}
	return s
}

func (v *validator) publish(pub *Publish) {
	const p = "publish"
	v.positive(p, "max_body_bytes", int64(pub.MaxBodyBytes))
	v.positive(p, "max_batch", int64(pub.MaxBatch))
	v.positive(p, "max_rooms", int64(pub.MaxRooms))
	v.positive(p, "max_event_bytes", int64(pub.MaxEventBytes))
	if pub.MaxBodyBytes > 0 && pub.MaxEventBytes > pub.MaxBodyBytes {
		v.errf(p, "max_event_bytes", "must not exceed max_body_bytes (%d), got %d", pub.MaxBodyBytes, pub.MaxEventBytes)
	}
}

func (v *validator) plugins(ps []Plugin) {
	seen := map[string]bool{}
	for _, pl := range ps {
		p := fmt.Sprintf("plugin %q", pl.Name)
		switch {
		case pl.Name == "":
			v.errf(p, "", "the name must not be empty")
		case seen[pl.Name]:
			v.errf(p, "", "is defined more than once")
		case !pluginName.MatchString(pl.Name):
			// The name becomes table, consumer and directory names.
			v.errf(p, "", "the name must match %s", pluginName)
		}
		seen[pl.Name] = true
		v.nonNegativeDur(p, "timeout", hclconf.Duration(pl.Timeout))
		if d := pl.Database; d != "" && !strings.HasPrefix(d, "postgres://") && !strings.HasPrefix(d, "postgresql://") {
			v.errf(p, "database", `must be "" (SQLite under data_dir) or a postgres:// URL`)
		}
	}
}

var pluginName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
