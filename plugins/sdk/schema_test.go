package sdk_test

import (
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

type sample struct {
	Skipped string     `json:"-"`
	ID      string     `json:"id" schema:"id"`
	Name    string     `json:"name" schema:"min=1"`
	Color   string     `json:"color" schema:"pattern=^#[0-9a-f]{6}$|^[a-z,]+$"`
	Status  string     `json:"status" schema:"enum=todo|done"`
	Version int64      `json:"version" schema:"min=1"`
	Note    *string    `json:"note"`
	At      time.Time  `json:"at"`
	Tags    []string   `json:"tags"`
	Done    bool       `json:"done"`
	Due     *time.Time `json:"due"`
}

// Schema writes the schema a test would otherwise keep in step by hand.
func TestSchema(t *testing.T) {
	got := string(sdk.Schema[sample]())
	want := `{"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,` +
		`"properties":{"at":{"format":"date-time","type":"string"},"color":{"pattern":"^#[0-9a-f]{6}$|^[a-z,]+$","type":"string"},` +
		`"done":{"type":"boolean"},"due":{"format":"date-time","type":["string","null"]},"id":{"pattern":"^[A-Za-z0-9_.-]{1,128}$","type":"string"},` +
		`"name":{"minLength":1,"type":"string"},"note":{"type":["string","null"]},"status":{"enum":["todo","done"],"type":"string"},` +
		`"tags":{"type":"array"},"version":{"minimum":1,"type":"integer"}},` +
		`"required":["id","name","color","status","version","note","at","tags","done","due"],"type":"object"}`
	if got != want {
		t.Errorf("Schema:\n got %s\nwant %s", got, want)
	}
	sdktest.CheckPayload(t, sample{}, sdk.Schema[sample]())
	s := sdktest.CompileSchemas(t, []sdk.EventType{{Type: "x", Schema: sdk.Schema[*sample]()}})
	ok := sample{ID: "a", Name: "n", Color: "#00ff00", Status: "done", Version: 1, At: time.Now(), Tags: []string{}}
	if err := s.Validate("x", ok); err != nil {
		t.Errorf("valid: %v", err)
	}
	for _, bad := range []func(*sample){
		func(s *sample) { s.ID = "a b" }, func(s *sample) { s.Name = "" }, func(s *sample) { s.Color = "red!" },
		func(s *sample) { s.Status = "later" }, func(s *sample) { s.Version = 0 },
	} {
		v := ok
		bad(&v)
		if s.Validate("x", v) == nil {
			t.Errorf("%+v accepted", v)
		}
	}
}
