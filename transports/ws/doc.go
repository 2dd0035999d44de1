// Package ws is the WebSocket transport (docs/PROTOCOL.md §3), built on gobwas/ws.
//
// The handler authenticates during the upgrade (401, no upgrade), checks
// the Origin, upgrades, and hands the connection to an epoll poller: an
// idle connection holds no goroutine and no buffer. When a connection
// becomes readable, a goroutine reads the frames that arrived with a pooled
// reader, handles them, and re-arms the poller. Every write goes through
// the connection's hub.Client queue, whose single writer coalesces queued
// frames into one writev. A sweeper pings connections every ping_interval
// and closes those silent for longer than idle_timeout.
package ws
