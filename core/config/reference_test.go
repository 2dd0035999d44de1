package config_test

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/schema/hclconf"
	_ "github.com/switchboard-rt/switchboard/transports/standard" // the transports' blocks
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

// TestReferenceListsEverySetting checks REFERENCE.md against the structs the
// file decodes into: each block, each registered transport's included, has
// its table, and each table lists exactly the block's attributes.
func TestReferenceListsEverySetting(t *testing.T) {
	tables, _ := referenceTables(t)
	schemas := map[string][]string{
		"server": hclconf.Names(config.Server{}), "auth": hclconf.Names(config.Auth{}),
		"nats": hclconf.Names(config.NATS{}), "nats › cluster": hclconf.Names(config.Cluster{}),
		"history": hclconf.Names(config.History{}), "hub": hclconf.Names(config.Hub{}),
		"publish": hclconf.Names(config.Publish{}), "telemetry": hclconf.Names(config.Telemetry{}), `plugin "NAME"`: hclconf.Names(config.Plugin{}),
		"auth › api_key \"NAME\"": hclconf.Names(config.APIKey{}),
	}
	for _, tr := range config.DefaultConfig().Transports {
		schemas[fmt.Sprintf("transport %q", tr.Name)] = append([]string{"enabled"}, hclconf.Names(tr.Config)...)
	}
	for heading, want := range schemas {
		want = slices.DeleteFunc(slices.Clone(want), func(n string) bool { return n == "cluster" || n == "api_key" }) // own table
		var got []string
		for _, row := range tables[heading] {
			got = append(got, row[0])
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("REFERENCE.md %s lists %v; the struct has %v", heading, got, want)
		}
	}
	if len(tables) != len(schemas) {
		t.Errorf("REFERENCE.md has %d tables, the config has %d blocks", len(tables), len(schemas))
	}
}

// TestReferenceDefaults writes every documented default into a file and
// checks that it parses to exactly DefaultConfig().
func TestReferenceDefaults(t *testing.T) {
	clearEnv(t)
	tables, order := referenceTables(t)
	var src strings.Builder
	for _, heading := range order {
		if heading == "nats › cluster" || strings.HasPrefix(heading, "plugin") || strings.HasPrefix(heading, "auth › ") {
			continue // no defaults: the blocks are absent by default
		}
		src.WriteString(heading + " {\n")
		for _, row := range tables[heading] {
			src.WriteString("  " + row[0] + " = " + row[1] + "\n")
		}
		src.WriteString("}\n")
	}
	c, err := config.Parse([]byte(src.String()), "")
	if err != nil {
		t.Fatalf("documented defaults do not parse:\n%v\n%s", err, src.String())
	}
	got, _ := c.JSON()
	want, _ := config.DefaultConfig().JSON()
	if !bytes.Equal(got, want) {
		t.Errorf("documented defaults:\n%s\ndiffer from DefaultConfig():\n%s", got, want)
	}
}
