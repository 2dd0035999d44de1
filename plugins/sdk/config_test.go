package sdk

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

type limits struct {
	Max  int    `hcl:"max,optional"`
	Name string `hcl:"name,optional"`
}

func (l *limits) Defaults() { l.Max = 10 }

func (l *limits) Validate() error {
	var errs []error
	if l.Max < 1 {
		errs = append(errs, AttrError("max", "must be >= 1, got %d", l.Max))
	}
	if l.Name == "bad" {
		errs = append(errs, errors.New("name and max do not go together"))
	}
	return errors.Join(errs...)
}

// Config errors point at file:line:col: decode errors at the attribute,
// Validate's AttrErrors at their attribute, other Validate errors at the
// block.
func TestDecodeConfig(t *testing.T) {
	start := hcl.Pos{Line: 7, Column: 10, Byte: 100} // where the block's body starts in the file
	for src, want := range map[string][]string{
		``:                          nil,
		"max = 3\n":                 nil,
		"max = 0\n":                 {"c.hcl:7:10: max: must be >= 1, got 0"},
		"name = \"x\"\nmax = -1\n":  {"c.hcl:8:1: max: must be >= 1, got -1"},
		"max = 0\nname = \"bad\"\n": {"c.hcl:7:10: max: must be >= 1, got 0", "c.hcl:7:10: name and max do not go together"},
		"colour = 1\n":              {"c.hcl:7:10: Unsupported argument"},
		"max = \"many\"\n":          {"c.hcl:7:17: Unsuitable value type"},
	} {
		cfg, diags := decodeConfig[limits]("c.hcl", []byte(src), start)
		var got []string
		for _, d := range diags {
			got = append(got, fmt.Sprintf("%s:%d:%d: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, d.Summary))
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%q: %q, want %q", src, got, want)
		}
		if src == `` && cfg.Max != 10 {
			t.Errorf("default max = %d", cfg.Max)
		}
	}
}
