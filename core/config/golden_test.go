package config_test

import (
	"bytes"
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/switchboard-rt/switchboard/core/config"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// TestGolden parses each testdata/NAME.hcl and compares Config.JSON with
// testdata/NAME.golden.json. Run `go test ./core/config -update` to rewrite.
func TestGolden(t *testing.T) {
	clearEnv(t)
	t.Setenv("SB_CONFIG_TEST_FULL_SECRET", "") // full.hcl falls back to its default
	for _, name := range []string{"full", "minimal"} {
		t.Run(name, func(t *testing.T) {
			c, err := config.Load("testdata/" + name + ".hcl")
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.JSON()
			if err != nil {
				t.Fatal(err)
			}
			golden := "testdata/" + name + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (rerun with -update if intended):\n%s", name, golden, got)
			}
		})
	}
}

// TestFullFileSetsEverything checks that testdata/full.hcl reaches every
// field: each one differs from its default, so no attribute is left unwired.
func TestFullFileSetsEverything(t *testing.T) {
	clearEnv(t)
	c, err := config.Load("testdata/full.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(mustJSON(t, c), "a-very-long-production-secret") || strings.Contains(mustJSON(t, c), "publisher-key") {
		t.Errorf("JSON shows a secret:\n%s", mustJSON(t, c))
	}
	// Fields full.hcl cannot change: both transports are present, and url
	// excludes the embedded cluster that full.hcl configures.
	same := map[string]bool{"NATS.URL": true}
	got, def := reflect.ValueOf(*c), reflect.ValueOf(*config.DefaultConfig())
	blocks := map[string][2]reflect.Value{}
	for _, block := range []string{"Server", "Auth", "NATS", "History", "Hub", "Publish"} {
		blocks[block] = [2]reflect.Value{got.FieldByName(block), def.FieldByName(block)}
	}
	for _, tr := range config.DefaultConfig().Transports {
		blocks[tr.Name] = [2]reflect.Value{reflect.ValueOf(c.Transports.Get(tr.Name).Config).Elem(), reflect.ValueOf(tr.Config).Elem()}
	}
	for block, v := range blocks {
		g, d := v[0], v[1]
		for i := range g.NumField() {
			name := block + "." + g.Type().Field(i).Name
			if reflect.DeepEqual(g.Field(i).Interface(), d.Field(i).Interface()) != same[name] {
				t.Errorf("%s = %v, default %v: full.hcl should set it to something else", name, g.Field(i), d.Field(i))
			}
		}
	}
	if len(c.Plugins) != 2 || c.Plugins[0].Config == nil || c.NATS.Cluster == nil || len(c.NATS.Cluster.Routes) != 2 {
		t.Errorf("plugins or cluster missing: %+v %+v", c.Plugins, c.NATS.Cluster)
	}
}

func mustJSON(t *testing.T, c *config.Config) string {
	t.Helper()
	b, err := c.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
