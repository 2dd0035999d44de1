package sbclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/switchboard-rt/switchboard/schema/wire"
)

// ErrClosed is returned by calls on a Client after Close.
var ErrClosed = errors.New("sbclient: client closed")

// HTTPError is a refused WebSocket upgrade or SSE request: the server
// answered with an HTTP error before the connection started.
type HTTPError struct {
	Status int
	Err    *wire.Error // the error body; Code is "" when the body was not one
	Body   string      // the body when it was not a wire error
}

func (e *HTTPError) Error() string {
	if e.Err != nil && e.Err.Code != "" {
		return fmt.Sprintf("HTTP %d: %s", e.Status, e.Err)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body)
}

// Unwrap gives errors.As the *wire.Error.
func (e *HTTPError) Unwrap() error {
	if e.Err == nil || e.Err.Code == "" {
		return nil
	}
	return e.Err
}

// Temporary reports whether trying again later may succeed: 408, 429 and
// every status from 500 on.
func (e *HTTPError) Temporary() bool {
	return e.Status >= 500 || e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooManyRequests
}

// ReadHTTPError reads an HTTP error answer of the server (a wire error body
// {"error":{"code","message"}}, or anything else kept as text).
func ReadHTTPError(status int, body io.Reader) *HTTPError {
	b, _ := io.ReadAll(io.LimitReader(body, 64<<10))
	e := &HTTPError{Status: status, Body: strings.TrimSpace(string(b))}
	var wb wire.Body
	if json.Unmarshal(b, &wb) == nil && wb.Error.Code != "" {
		e.Err = &wire.Error{Code: wb.Error.Code, Message: wb.Error.Message}
	}
	return e
}

// CloseError is the close frame the server ended a WebSocket with
// (docs/PROTOCOL.md §3.6).
type CloseError struct {
	Code   uint16
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("server closed the connection (%d %s)", e.Code, e.Reason)
}

// Retry reports whether a client should reconnect and resume after this
// close: every code but 1000 (normal), 1002 (protocol error), 1007 (not UTF-8) and 1009
// (frame too large).
func (e *CloseError) Retry() bool { return wire.Reason{Code: e.Code}.Retry() }

// JoinError is a join the server refused with an error frame. errors.As
// finds the *wire.Error in it.
type JoinError struct {
	Room string
	Err  *wire.Error
}

func (e *JoinError) Error() string { return fmt.Sprintf("join %s: %s", e.Room, e.Err) }
func (e *JoinError) Unwrap() error { return e.Err }

// temporaryCode reports whether a join refused with c may pass later.
// token_expired is: the next connection sends the token Refresh gave (and
// one refused with 401 ends the client).
func temporaryCode(c wire.Code) bool {
	switch c {
	case wire.Internal, wire.RateLimited, wire.Unavailable, wire.Timeout, wire.TokenExpired:
		return true
	}
	return false
}

// permanent reports whether err ends a Client instead of a reconnect.
func permanent(err error) bool {
	var he *HTTPError
	if errors.As(err, &he) {
		return !he.Temporary()
	}
	var je *JoinError
	if errors.As(err, &je) {
		return !temporaryCode(je.Err.Code)
	}
	var ce *CloseError
	if errors.As(err, &ce) {
		return !ce.Retry()
	}
	var se *streamError
	return errors.As(err, &se) && !temporaryCode(se.Err.Code)
}

// streamError is an SSE "error" event: the stream ends with it.
type streamError struct{ Err *wire.Error }

func (e *streamError) Error() string { return e.Err.Error() }
func (e *streamError) Unwrap() error { return e.Err }
