package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

// The plugin in-process: a request to its route emits one event.
func Example() {
	h := sdktest.NewHost(&testing.T{}, "hello")
	p, _ := newHello(config{Greeting: "hi"}, h)
	resp, _ := p.Handle(context.Background(), sdktest.Request("POST", "/hello/{user}",
		map[string]string{"user": "u1"}, nil, &sdk.Principal{User: "u0"}))
	ev := h.Emitted()[0]
	fmt.Println(resp.Status, ev.Type, ev.Rooms, ev.Data, ev.Actor)
	// Output: 202 demo.hello.said [user:u1] map[text:hi to:u1] u0
}
