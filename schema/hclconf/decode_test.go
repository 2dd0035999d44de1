package hclconf_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/switchboard-rt/switchboard/schema/hclconf"
)

type item struct {
	Name  string    `hcl:"name,label"`
	Decl  hcl.Range `hcl:",def_range"`
	Limit int       `hcl:"limit"`
}

type inner struct {
	On bool `hcl:"on"`
}

type settings struct {
	Name    string           `hcl:"name"`
	Count   int              `hcl:"count"`
	Big     int64            `hcl:"big"`
	Ratio   float64          `hcl:"ratio"`
	Enabled bool             `hcl:"enabled"`
	Tags    []string         `hcl:"tags"`
	Wait    hclconf.Duration `hcl:"wait"`
	StdWait time.Duration    `hcl:"std_wait"`
	Max     hclconf.Size     `hcl:"max"`
	Inner   inner            `hcl:"inner,block"`
	Opt     *inner           `hcl:"opt,block"`
	Items   []item           `hcl:"item,block"`
	Raw     hcl.Body         `hcl:"raw,block"`
	Skipped string           `hcl:"-"`
}

func defaults() settings {
	return settings{Name: "default", Count: 3, Tags: []string{"a"}, Wait: hclconf.Duration(time.Second), Max: 10}
}

func decode(t *testing.T, src string, v any) (map[string]hcl.Range, hcl.Diagnostics) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "t.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse: %v", diags)
	}
	d := &hclconf.Decoder{Ranges: map[string]hcl.Range{}}
	return d.Ranges, d.Decode(f.Body, "", v)
}

func TestDecodeFillsEveryKind(t *testing.T) {
	src := `
name     = "x"
count    = 7
big      = 9007199254740993
ratio    = 0.5
enabled  = true
tags     = ["b", "c"]
wait     = "1m30s"
std_wait = "250ms"
max      = "64KiB"
inner {
  on = true
}
opt {
}
item "one" {
  limit = 1
}
item "two" {
}
raw {
  anything = { goes = 1 }
}
`
	s := defaults()
	ranges, diags := decode(t, src, &s)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if s.Name != "x" || s.Count != 7 || s.Big != 9007199254740993 || s.Ratio != 0.5 || !s.Enabled ||
		!reflect.DeepEqual(s.Tags, []string{"b", "c"}) || s.Wait != hclconf.Duration(90*time.Second) ||
		s.StdWait != 250*time.Millisecond || s.Max != 64*hclconf.KiB || !s.Inner.On || s.Opt == nil || s.Opt.On {
		t.Errorf("decoded %+v", s)
	}
	if len(s.Items) != 2 || s.Items[0].Name != "one" || s.Items[0].Limit != 1 || s.Items[1].Name != "two" ||
		s.Items[1].Decl.Start.Line != 19 {
		t.Errorf("items %+v", s.Items)
	}
	if s.Raw == nil {
		t.Errorf("raw block not kept")
	}
	for path, line := range map[string]int{"name": 2, "tags[1]": 7, "inner": 11, "inner: on": 12, `item "one"`: 16, `item "one": limit`: 17, "raw": 21} {
		if r, ok := ranges[path]; !ok || r.Start.Line != line {
			t.Errorf("range of %q = %v (recorded %v), want line %d", path, r, ok, line)
		}
	}
}

func TestDecodeKeepsDefaults(t *testing.T) {
	s := defaults()
	if _, diags := decode(t, "name = null\ninner {\n}\n", &s); diags.HasErrors() {
		t.Fatal(diags)
	}
	if want := defaults(); !reflect.DeepEqual(s, want) {
		t.Errorf("got %+v, want the defaults %+v", s, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{`name = 1`, `t.hcl:1:8: name: a string is required, got number`},
		{`count = "1"`, `t.hcl:1:9: count: a whole number is required, got string`},
		{`count = 1.5`, `t.hcl:1:9: count: a whole number is required, got 1.5`},
		{`enabled = "yes"`, `t.hcl:1:11: enabled: a bool is required, got string`},
		{`ratio = "1"`, `t.hcl:1:9: ratio: a number is required, got string`},
		{`tags = ["a", 2]`, `t.hcl:1:14: tags[1]: a string is required, got number`},
		{`tags = "a"`, `t.hcl:1:8: tags: a list of strings is required, got string`},
		{`wait = 30`, `t.hcl:1:8: wait: a duration string such as "30s" is required, got number`},
		{`wait = "7d"`, `(there is no day unit: write "168h" for 7 days)`},
		{`max = -1`, `t.hcl:1:7: max: size must not be negative`},
		{`max = "1XB"`, `t.hcl:1:7: max: invalid size "1XB"`},
		{`max = true`, `t.hcl:1:7: max: a size (bytes, or a string such as "64KiB") is required, got bool`},
		{`bogus = 1`, `t.hcl:1:1: Unsupported argument: An argument named "bogus" is not expected here.`},
		{"skipped = 1", `Unsupported argument`},
		{"inner {\n  off = 1\n}\n", `t.hcl:2:3: Unsupported argument`},
		{"inner {\n}\ninner {\n}\n", `t.hcl:3:1: Duplicate inner block: Only one inner block is allowed. Another was defined at t.hcl:1,1-6.`},
		{"item \"a\" {\n}\nitem \"a\" {\n}\n", `t.hcl:3:1: Duplicate item "a" block: only one item "a" block is allowed; another was defined at t.hcl:1:1`},
		{"item {\n}\n", `Missing name for item`},
	}
	for _, tt := range tests {
		s := defaults()
		_, diags := decode(t, tt.src, &s)
		var got []string
		for _, d := range diags {
			got = append(got, fmt.Sprintf("%s:%d:%d: %s: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, d.Summary, d.Detail))
		}
		if !strings.Contains(strings.Join(got, "\n"), tt.want) {
			t.Errorf("%q: diagnostics\n%s\nwant one containing %s", tt.src, strings.Join(got, "\n"), tt.want)
		}
	}
}

func TestNames(t *testing.T) {
	got := hclconf.Names(&item{})
	if !reflect.DeepEqual(got, []string{"limit"}) {
		t.Errorf("Names(item) = %v", got)
	}
}

func ExampleDecoder() {
	type server struct {
		Listen  string           `hcl:"listen"`
		Timeout hclconf.Duration `hcl:"timeout"`
		Queue   hclconf.Size     `hcl:"queue"`
	}
	src := "listen = \":8080\"\nqueue = \"1MiB\"\n"
	f, _ := hclsyntax.ParseConfig([]byte(src), "server.hcl", hcl.InitialPos)
	s := server{Timeout: hclconf.Duration(10 * time.Second)} // defaults first
	d := &hclconf.Decoder{Ranges: map[string]hcl.Range{}}
	if diags := d.Decode(f.Body, "server", &s); diags.HasErrors() {
		fmt.Println(diags)
		return
	}
	fmt.Println(s.Listen, s.Timeout, s.Queue, hclconf.Pos(d.Ranges["server: queue"]))
	// Output: :8080 10s 1048576 server.hcl:2:9
}
