package config

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/gohcl"
)

// referenceTables reads REFERENCE.md: heading ("server", `transport "ws"`,
// "nats › cluster") → rows of [attribute, default], backticks removed.
func referenceTables(t *testing.T) (map[string][][2]string, []string) {
	t.Helper()
	md, err := os.ReadFile("REFERENCE.md")
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string][][2]string{}
	var order []string
	heading := ""
	for _, line := range strings.Split(string(md), "\n") {
		switch {
		case strings.HasPrefix(line, "### "):
			heading = strings.ReplaceAll(strings.TrimPrefix(line, "### "), "`", "")
			order = append(order, heading)
		case strings.HasPrefix(line, "| `") && heading != "":
			cells := strings.Split(line, "|")
			name := strings.Trim(strings.TrimSpace(cells[1]), "`")
			def := strings.Trim(strings.TrimSpace(cells[3]), "`")
			tables[heading] = append(tables[heading], [2]string{name, def})
		}
	}
	return tables, order
}

// TestReferenceListsEverySetting checks REFERENCE.md against the schema: each
// block has its table and each table lists exactly the block's attributes.
func TestReferenceListsEverySetting(t *testing.T) {
	tables, _ := referenceTables(t)
	schemas := map[string]any{
		"server": &serverHCL{}, "auth": &authHCL{}, "nats": &natsHCL{}, "nats › cluster": &clusterHCL{},
		"history": &historyHCL{}, "hub": &hubHCL{}, `transport "ws"`: &wsHCL{}, `transport "sse"`: &sseHCL{},
		"publish": &publishHCL{}, `plugin "NAME"`: &pluginHCL{},
	}
	for heading, v := range schemas {
		schema, _ := gohcl.ImpliedBodySchema(v)
		var want, got []string
		for _, a := range schema.Attributes {
			want = append(want, a.Name)
		}
		for _, b := range schema.Blocks {
			if b.Type != "cluster" { // has its own table
				want = append(want, b.Type)
			}
		}
		for _, row := range tables[heading] {
			got = append(got, row[0])
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("REFERENCE.md %s lists %v; the schema has %v", heading, got, want)
		}
	}
	if len(tables) != len(schemas) {
		t.Errorf("REFERENCE.md has tables %d, schema has %d blocks", len(tables), len(schemas))
	}
}

// TestReferenceDefaults writes every documented default into a file and
// checks that it parses to exactly DefaultConfig().
func TestReferenceDefaults(t *testing.T) {
	for _, name := range []string{EnvJWTSecret, EnvAPIKeys, EnvListen, EnvDataDir} {
		t.Setenv(name, "")
	}
	tables, order := referenceTables(t)
	var src strings.Builder
	for _, heading := range order {
		if heading == "nats › cluster" || strings.HasPrefix(heading, "plugin") {
			continue // no defaults: the blocks are absent by default
		}
		src.WriteString(heading + " {\n")
		for _, row := range tables[heading] {
			src.WriteString("  " + row[0] + " = " + row[1] + "\n")
		}
		src.WriteString("}\n")
	}
	c, err := Parse([]byte(src.String()), "")
	if err != nil {
		t.Fatalf("documented defaults do not parse:\n%v\n%s", err, src.String())
	}
	got, _ := c.JSON()
	want, _ := DefaultConfig().JSON()
	if !bytes.Equal(got, want) {
		t.Errorf("documented defaults:\n%s\ndiffer from DefaultConfig():\n%s", got, want)
	}
}
