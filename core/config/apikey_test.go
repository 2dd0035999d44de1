package config_test

import (
	"strings"
	"testing"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/config"
)

func TestScopedAPIKeys(t *testing.T) {
	clearEnv(t)
	c, err := config.Parse([]byte(`auth {
  api_keys = ["open-key"]
  api_key "crm" {
    key   = "crm-key"
    rooms = ["workspace:w1", "project:*"]
    types = ["pm.*"]
  }
  api_key "any" {
    key = "any-key"
  }
}
`), "t.hcl")
	if err != nil {
		t.Fatal(err)
	}
	got := c.Auth.ScopedKeys()
	want := []auth.ScopedKey{
		{Key: "crm-key", Scope: auth.KeyScope{Name: "crm", Rooms: []string{"workspace:w1", "project:*"}, Types: []string{"pm.*"}}},
		{Key: "any-key", Scope: auth.KeyScope{Name: "any"}},
	}
	if len(got) != 2 || got[0].Key != want[0].Key || got[0].Scope.Name != "crm" || len(got[0].Scope.Rooms) != 2 ||
		got[0].Scope.Types[0] != "pm.*" || got[1].Scope.Name != "any" || got[1].Scope.Scoped() {
		t.Fatalf("ScopedKeys() = %+v, want %+v", got, want)
	}
	b, _ := c.JSON()
	if strings.Contains(string(b), "crm-key") || !strings.Contains(string(b), `"name": "crm"`) {
		t.Fatalf("the key is not redacted in JSON:\n%s", b)
	}
}

func TestScopedAPIKeyErrorsHavePositions(t *testing.T) {
	clearEnv(t)
	_, err := config.Parse([]byte(`auth {
  api_keys = ["k1"]
  api_key "crm" {
    key   = "k1"
    rooms = ["workspace", "project:*"]
    types = ["pm.*", "*"]
  }
  api_key "crm" {
    key = "k2"
  }
  api_key "x" {
    rooms = ["user:u1"]
  }
  api_key "y" {
    key  = "k3"
    bogus = 1
  }
}
`), "t.hcl")
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		`t.hcl:4:13: auth: api_key "crm": key: is the same as another API key`,
		`t.hcl:5:14: auth: api_key "crm": rooms[0]: room pattern "workspace": want "kind:id" or "kind:*"`,
		`t.hcl:6:22: auth: api_key "crm": types[1]: type pattern "*"`,
		`t.hcl:8:3: Duplicate auth: api_key "crm" block`,
		`auth: api_key "x": key: must be set`,
		`bogus`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
