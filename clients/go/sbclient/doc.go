// Package sbclient is the Go client of Switchboard: it connects to a node
// over WebSocket or Server-Sent Events, joins rooms, and delivers their
// events in order, once each, across reconnects.
//
// # Client
//
// Dial connects, joins the rooms given and returns once all are joined.
// Events reach Options.OnEvent on the client's reading goroutine, one at
// a time, in the order the server sent them, each with its room and seq.
// When the connection drops (the node restarts, the server cuts off a
// slow reader, the network fails) the client waits (Options.MinBackoff,
// doubling up to MaxBackoff, with jitter), reconnects, and joins each
// room again with since set to the last seq it delivered; SSE sends the
// last id as Last-Event-ID. Events seen before are dropped, so the caller
// sees no gap and no duplicate while the server's history reaches back;
// when it does not, OnJoin reports Recovered false (docs/PROTOCOL.md §7).
//
// A refused connection is an *HTTPError and a refused join a *JoinError;
// both wrap the server's *wire.Error (package schema/wire), so
//
//	var we *wire.Error
//	if errors.As(err, &we) && we.Code == wire.Forbidden { … }
//
// works for both. Errors that trying again cannot fix (a 4xx answer other
// than 408 and 429, a refused rejoin, a protocol-error close) end the
// client: Done is closed and Err says why.
//
// # Lower level
//
// Conn (DialWS) is one WebSocket read frame by frame, with the welcome
// frame, raw payloads and the server's close code and reason (*CloseError):
// for protocol tests and for tools that manage thousands of sockets
// themselves. DialSSE and BlockReader do the same for an SSE stream.
// JoinFrame, LeaveFrame and PingFrame build client frames.
//
// The protocol is described in docs/PROTOCOL.md.
package sbclient
