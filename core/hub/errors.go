package hub

import (
	"errors"
	"fmt"
)

// Wire error codes (CONTRACT §6).
const (
	CodeBadRequest   = "bad_request"
	CodeUnauthorized = "unauthorized"
	CodeForbidden    = "forbidden"
	CodeNotFound     = "not_found"
	CodeRateLimited  = "rate_limited"
	CodeTooManyRooms = "too_many_rooms"
	CodeInternal     = "internal"
)

// Error is an error with a wire code, shown to clients as is.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf makes an *Error.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Sentinels for the hub's own refusals.
var (
	ErrClosed    = &Error{Code: CodeBadRequest, Message: "connection closed"}
	ErrNotJoined = &Error{Code: CodeNotFound, Message: "not in room"}
)

// AsError returns err as an *Error, mapping anything else to internal.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Message: "internal error"}
}

// Reason says why a connection ends. Code is the WebSocket close code.
type Reason struct {
	Code uint16
	Text string
}

// Reasons the hub and transports use.
var (
	ReasonNormal   = Reason{1000, ""}
	ReasonShutdown = Reason{1001, "shutdown"}
	ReasonProtocol = Reason{1002, "protocol_error"}
	ReasonAbusive  = Reason{1008, "too_many_errors"}
	ReasonTooBig   = Reason{1009, "frame_too_large"}
	ReasonSlow     = Reason{1008, "slow_consumer"}
	ReasonIdle     = Reason{1001, "idle_timeout"}
	ReasonWriteErr = Reason{1006, "write_failed"}
	ReasonInternal = Reason{1011, "internal_error"}
)
