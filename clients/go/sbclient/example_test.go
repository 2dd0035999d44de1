package sbclient_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/switchboard-rt/switchboard/clients/go/sbclient"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// Follow a project's room: print each event, resume after reconnects, and
// tell a refused join from a network failure.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := sbclient.Dial(ctx, sbclient.Options{
		URL:   "http://localhost:8080",
		Token: os.Getenv("SWITCHBOARD_TOKEN"),
		OnEvent: func(e sbclient.Event) {
			fmt.Printf("%s #%d %s %s\n", e.Room, e.Seq, e.Type, e.Cloud)
		},
		OnJoin: func(j sbclient.Joined) {
			if j.Since != nil && !j.Recovered {
				log.Printf("%s: history no longer reaches back to %d: events were missed", j.Room, *j.Since)
			}
		},
	}, sbclient.Room{Name: "project:p1"})
	var we *wire.Error
	switch {
	case errors.As(err, &we) && we.Code == wire.Forbidden:
		log.Fatalf("not a member: %v", err)
	case err != nil:
		log.Fatal(err)
	}
	defer c.Close()
	<-c.Done() // runs until Close, or an error that reconnecting cannot fix
	if err := c.Err(); err != nil {
		log.Fatal(err)
	}
}
