package wire

// Reason says why the server ends a connection. Code is the WebSocket
// close code; Text is the close reason (and, for SSE, the reason logged).
type Reason struct {
	Code uint16
	Text string
}

// The reasons a connection ends (docs/PROTOCOL.md §3.6).
var (
	ReasonNormal   = Reason{1000, ""}
	ReasonShutdown = Reason{1001, "shutdown"}
	ReasonIdle     = Reason{1001, "idle_timeout"}
	ReasonProtocol = Reason{1002, "protocol_error"}
	ReasonUTF8     = Reason{1007, "invalid_utf8"}
	ReasonAbusive  = Reason{1008, "too_many_errors"}
	ReasonSlow     = Reason{1008, "slow_consumer"}
	ReasonTooBig   = Reason{1009, "frame_too_large"}
	ReasonWriteErr = Reason{1006, "write_failed"}
	ReasonInternal = Reason{1011, "internal_error"}
	// ReasonTokenExpired: the token expired (plus auth.expiry_grace) and
	// was not refreshed. A client reconnects with a fresh token.
	ReasonTokenExpired = Reason{4001, "token_expired"}
)

// Retry reports whether a client should reconnect (and resume) after a
// close with this code: every code but a normal close and the client's own
// bugs (a protocol violation, a message that is not UTF-8, one too large).
func (r Reason) Retry() bool {
	switch r.Code {
	case 1000, 1002, 1007, 1009:
		return false
	}
	return true
}
