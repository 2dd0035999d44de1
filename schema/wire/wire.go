// Package wire owns the error codes clients see, on every transport and
// on the HTTP API (docs/PROTOCOL.md §6), and how each one maps to
// an HTTP status. The hub, the transports, the HTTP API, the plugin SDK and
// the Go client all use these names; nothing else spells a code.
//
// It lives under schema/ because it is part of the protocol, shared by the
// router and by plugins, which link no package under core/.
package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Code is a wire error code: the "code" of a WebSocket error frame, an SSE
// error event or an HTTP error body.
type Code string

// The closed set of codes.
const (
	BadRequest         Code = "bad_request"         // 400: malformed input
	Unauthorized       Code = "unauthorized"        // 401: no valid credentials
	TokenExpired       Code = "token_expired"       // 401: the connection's token expired unrefreshed
	Forbidden          Code = "forbidden"           // 403: not allowed
	NotFound           Code = "not_found"           // 404
	MethodNotAllowed   Code = "method_not_allowed"  // 405
	Conflict           Code = "conflict"            // 409
	PreconditionFailed Code = "precondition_failed" // 412: If-Match mismatch
	RateLimited        Code = "rate_limited"        // 429
	TooManyRooms       Code = "too_many_rooms"      // 400 on HTTP: a connection's room limit
	Internal           Code = "internal"            // 500
	Unavailable        Code = "unavailable"         // 503: retry later (shutting down, plugin restarting)
	Timeout            Code = "timeout"             // 504: a plugin did not answer in time
)

var statuses = map[Code]int{
	BadRequest:         http.StatusBadRequest,
	Unauthorized:       http.StatusUnauthorized,
	TokenExpired:       http.StatusUnauthorized,
	Forbidden:          http.StatusForbidden,
	NotFound:           http.StatusNotFound,
	MethodNotAllowed:   http.StatusMethodNotAllowed,
	Conflict:           http.StatusConflict,
	PreconditionFailed: http.StatusPreconditionFailed,
	RateLimited:        http.StatusTooManyRequests,
	TooManyRooms:       http.StatusBadRequest,
	Internal:           http.StatusInternalServerError,
	Unavailable:        http.StatusServiceUnavailable,
	Timeout:            http.StatusGatewayTimeout,
}

// Status is the HTTP status that goes with c; 500 for a code outside the set.
func (c Code) Status() int {
	if s, ok := statuses[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Error is an error with a wire code, shown to clients as it is.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// NewError makes an *Error with msg as it is.
func NewError(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Errorf makes an *Error.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// As returns err as an *Error; anything else is internal, with a message
// that hides the cause (log the cause where it happened).
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: "internal error"}
}

// Body is the JSON error of the HTTP API: {"error":{"code":…,"message":…}}.
type Body struct {
	Error struct {
		Code    Code   `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// JSON is e as an HTTP error body.
func (e *Error) JSON() []byte {
	var b Body
	b.Error.Code, b.Error.Message = e.Code, e.Message
	out, _ := json.Marshal(b)
	return out
}

// Write writes e as an HTTP error with the status of its code.
func Write(w http.ResponseWriter, e *Error) {
	WriteStatus(w, e.Code.Status(), e)
}

// WriteStatus writes e with an explicit status, for the few answers whose
// status is not the code's own (413 for a body over its limit is a
// bad_request).
func WriteStatus(w http.ResponseWriter, status int, e *Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(e.JSON(), '\n'))
}
