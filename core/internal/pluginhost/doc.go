// Package pluginhost runs the plugins of the config file with
// hashicorp/go-plugin over gRPC (schema/plugin/v1), and connects them to
// the node:
//
//   - it starts each `plugin "NAME" { path = … }` (the executable with its
//     args; without path, this executable as `switchboard plugin NAME`, a
//     bundled plugin) with a versioned
//     handshake (Pdeathsig, so no orphan outlives a killed core), serves it
//     the Host service through the go-plugin broker, and hands it its
//     `config { }` block to decode (errors name the plugin and
//     file:line:col);
//   - it mounts the plugin's routes under /v1 and forwards each request
//     with the caller (from the JWT) and the correlation id;
//   - it makes the plugin the authorizer of the room kinds it owns;
//   - it validates every event the plugin emits against the JSON Schema of
//     its type, stamps the CloudEvent envelope and stores it once per room
//     (Nats-Msg-Id = event id|room, so a relay that resends is harmless);
//   - it supervises: a plugin that exits is restarted with capped backoff;
//     meanwhile its routes answer 503 and /readyz names it.
package pluginhost
