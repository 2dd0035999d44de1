// Package sse is the Server-Sent Events transport (docs/PROTOCOL.md §4).
//
// GET /v1/sse?room=A&room=B authenticates, checks every room (400 when
// malformed, 403 when not allowed) before the stream starts, then streams
// each event as `id: SEQ`, `event: TYPE`, `data: {"room","seq","event"}`.
// Last-Event-ID (or ?since=) resumes with no gap and no duplicate: the
// sequence is global, so one id covers every room of the stream. A
// `: keepalive` comment is sent every keepalive interval and `retry:` once.
// When history no longer reaches back to Last-Event-ID, the stream starts
// with `event: recovery` / `data: {"recovered":false,"since":N}`.
package sse
