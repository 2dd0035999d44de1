// Command hello is the smallest Switchboard plugin: POST /v1/hello/{user}
// emits demo.hello.said to room user:{user}. Load it with
//
//	plugin "hello" {
//	  path = "./bin/hello"
//	  config { greeting = "hi" }
//	}
package main

import (
	"context"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

type config struct {
	Greeting string `hcl:"greeting,optional"`
}

func (c *config) Defaults() { c.Greeting = "hello" }

var saidSchema = []byte(`{"type":"object","required":["text","to"],"additionalProperties":false,
  "properties":{"text":{"type":"string"},"to":{"type":"string"}}}`)

type hello struct {
	cfg  config
	host sdk.Host
	rt   *sdk.Router
}

func newHello(cfg config, h sdk.Host) (sdk.Plugin, error) {
	p := &hello{cfg: cfg, host: h, rt: sdk.NewRouter()}
	p.rt.Handle("POST", "/hello/{user}", p.say)
	return p, nil
}

func (p *hello) Info() sdk.Info {
	return sdk.Info{Router: p.rt,
		Events: []sdk.EventType{{Type: "demo.hello.said", Schema: saidSchema, Rooms: []string{"user:{to}"}}}}
}

func (p *hello) say(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	to := r.Param("user")
	ev := sdk.NewEvent("demo.hello.said", map[string]string{"text": p.cfg.Greeting, "to": to}).To("user:" + to).For(r)
	if err := p.host.Emit(ctx, ev); err != nil {
		return nil, err
	}
	return sdk.JSON(202, map[string]string{"id": ev.ID}), nil
}

func main() { sdk.Serve(newHello) }
