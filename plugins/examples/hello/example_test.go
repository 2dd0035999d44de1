package main

import (
	"fmt"
	"testing"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

// The plugin in-process: a request to its route emits one event.
func Example() {
	e := sdktest.Start(&testing.T{}, "hello", newHello, config{Greeting: "hi"}, "")
	res := e.Do("POST", "/hello/{user}", sdktest.Params("user", "u1"), nil, &sdk.Principal{User: "u0"})
	ev := e.Host.Emitted()[0]
	fmt.Println(res.Status, ev.Type, ev.Rooms, ev.Data, ev.Actor)
	// Output: 202 demo.hello.said [user:u1] map[text:hi to:u1] u0
}
