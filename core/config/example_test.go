package config_test

import (
	"fmt"
	"os"

	"github.com/switchboard-rt/switchboard/transports/ws"

	"github.com/switchboard-rt/switchboard/core/config"
)

func ExampleParse() {
	os.Setenv("SB_EXAMPLE_SECRET", "example-secret-from-env-32-bytes-long")
	defer os.Unsetenv("SB_EXAMPLE_SECRET")

	src := `
server {
  listen = "127.0.0.1:8080"
}

auth {
  jwt_secret = env("SB_EXAMPLE_SECRET", "dev-only-insecure-jwt-secret-change-me")
}

transport "ws" {
  max_frame_bytes = "128KiB"
}
`
	c, err := config.Parse([]byte(src), "config.hcl")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Server.Listen, c.Server.DataDir)
	fmt.Println(c.Auth.JWTSecret, c.Auth.DevSecrets) // the default API key is still the dev one
	fmt.Println(c.Transports.Get("ws").Enabled, ws.ConfigOf(c).MaxFrameBytes, c.Transports.Get("sse").Enabled)
	// Output:
	// 127.0.0.1:8080 ./data
	// example-secret-from-env-32-bytes-long true
	// true 131072 false
}

func ExampleParse_errors() {
	src := `
hub {
  shards = 48
}

transport "ws" {
  ping_interval = 25
}
`
	_, err := config.Parse([]byte(src), "config.hcl")
	fmt.Println(err)
	// Output:
	// config.hcl:3:12: hub: shards: must be a power of two (1, 2, 4, … 64, …), got 48
	// config.hcl:7:19: transport "ws": ping_interval: a duration string such as "30s" is required, got number
}
