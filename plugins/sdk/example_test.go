package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

// Config is a plugin's `config { }` block.
type Config struct {
	Greeting string `hcl:"greeting,optional"`
	MaxLen   int    `hcl:"max_len,optional"`
}

// Defaults runs before the block is decoded.
func (c *Config) Defaults() { c.Greeting, c.MaxLen = "hello", 100 }

// Validate runs after; an AttrError is reported at its attribute's
// file:line:col.
func (c *Config) Validate() error {
	if c.MaxLen < 1 {
		return sdk.AttrError("max_len", "must be >= 1, got %d", c.MaxLen)
	}
	return nil
}

// note is a row of the plugin's table, named after the plugin.
type note struct {
	bun.BaseModel `bun:"table:notes_notes"`
	ID            string `bun:"id,pk"`
	ProjectID     string `bun:"project_id,notnull"`
	Text          string `bun:"text,notnull"`
}

type notes struct {
	cfg  Config
	host sdk.Host
	rt   *sdk.Router
}

// New is the factory given to sdk.Serve: main is `sdk.Serve(New)`.
func New(cfg Config, h sdk.Host) (sdk.Plugin, error) {
	p := &notes{cfg: cfg, host: h, rt: sdk.NewRouter()}
	p.rt.Handle("POST", "/projects/{id}/notes", p.create)
	return p, nil
}

// Info describes the plugin; the SDK adds its name and API version, lists
// the Router's routes and runs the migrations.
func (p *notes) Info() sdk.Info {
	return sdk.Info{
		Router: p.rt,
		Events: []sdk.EventType{{Type: "demo.note.created", Rooms: []string{"project:{projectId}"},
			Schema: []byte(`{"type":"object","required":["id","projectId","text"],"additionalProperties":false,
			  "properties":{"id":{"type":"string"},"projectId":{"type":"string"},"text":{"type":"string"}}}`)}},
		Migrations: []sdk.Migration{
			{Name: "notes", Up: sdk.CreateTables(sdk.Table{Model: (*note)(nil)})},
		},
	}
}

// create: members only; the row and its event commit together.
func (p *notes) create(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	pid := r.Param("id")
	if err := sdk.ProjectMember(ctx, p.host, r, pid); err != nil {
		return nil, err
	}
	var in struct{ Text string }
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if len(in.Text) > p.cfg.MaxLen {
		return nil, sdk.BadRequest("text: at most %d bytes", p.cfg.MaxLen)
	}
	n := &note{ID: sdk.NewID(), ProjectID: pid, Text: in.Text}
	err := p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
		if _, err := tx.NewInsert().Model(n).Exec(ctx); err != nil {
			return err
		}
		emit(sdk.NewEvent("demo.note.created", map[string]string{"id": n.ID, "projectId": pid, "text": n.Text}).
			To("project:" + pid).For(r))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sdk.JSON(201, n), nil
}

// A complete plugin with a table, an event and a members-only route,
// started and called in-process as the core would.
func Example() {
	t := &testing.T{}
	e := sdktest.Start(t, "notes", New, sdktest.Config[Config](t, `greeting = "hi"`), "",
		sdktest.WithMembers(map[string][]string{"p1": {"ann"}}))
	ann, bob := &sdk.Principal{User: "ann"}, &sdk.Principal{User: "bob"}

	res := e.Do("POST", "/projects/{id}/notes", sdktest.Params("id", "p1"), `{"Text":"hi"}`, ann)
	ev := e.Events()[0]
	fmt.Println(res.Status, ev.Type, ev.Rooms, ev.Actor)

	res = e.Do("POST", "/projects/{id}/notes", sdktest.Params("id", "p1"), `{"Text":"hi"}`, bob)
	fmt.Println(res.Status, res.Code)
	// Output:
	// 201 demo.note.created [project:p1] ann
	// 403 forbidden
}

// A handler that returns no response answers 204, one that returns an
// *Error its status and code, any other error 500: in tests and for real.
func ExampleCall() {
	rt := sdk.NewRouter()
	rt.Handle("DELETE", "/things/{id}", func(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
		if r.Param("id") != "t1" {
			return nil, fmt.Errorf("find: %w", sdk.NotFound("thing %s not found", r.Param("id")))
		}
		return nil, nil
	})
	p := plugin{rt}
	for _, id := range []string{"t1", "t2"} {
		resp, _ := sdk.Call(context.Background(), p, sdktest.Request("DELETE", "/things/{id}", sdktest.Params("id", id), nil, nil))
		fmt.Println(strings.TrimSpace(fmt.Sprint(resp.Status, " ", string(resp.Body))))
	}
	// Output:
	// 204
	// 404 {"error":{"code":"not_found","message":"thing t2 not found"}}
}

type plugin struct{ rt *sdk.Router }

func (p plugin) Info() sdk.Info { return sdk.Info{Router: p.rt} }

// Validate's errors name the attribute; the plugin process reports them at
// its file:line:col in the config file.
func ExampleAttrError() {
	cfg := Config{MaxLen: 0}
	err := cfg.Validate()
	var ce *sdk.ConfigError
	fmt.Println(err, errors.As(err, &ce), ce.Attr)
	// Output: max_len: must be >= 1, got 0 true max_len
}
