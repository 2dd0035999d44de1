package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// APIVersion1 is the version of the plugin API this SDK speaks; the SDK
// reports it to the core (Info.APIVersion need not be set).
const APIVersion1 = "v1"

// Plugin is a Switchboard plugin: it describes itself with Info. Its routes
// are served by Info.Router, or by Handle if it implements Handler. It may
// also implement Authorizer (for the room kinds it owns), EventHandler
// (for Info.Subscriptions) and Stopper.
type Plugin interface {
	Info() Info
}

// Handler serves a plugin's routes itself, instead of Info.Router.
type Handler interface {
	Handle(ctx context.Context, r *Request) (*Response, error)
}

// Authorizer decides who may join rooms of the kinds in Info.RoomKinds.
// It returns nil to allow, or an *Error (Forbidden, NotFound) to refuse.
type Authorizer interface {
	Authorize(ctx context.Context, p Principal, room Room) error
}

// Stopper is told when the plugin is being stopped.
type Stopper interface {
	Stop(ctx context.Context) error
}

// Info describes a plugin to the core.
type Info struct {
	// Name is optional: the SDK reports the name of the plugin's block in
	// the config file.
	Name string
	// APIVersion is optional: the SDK reports APIVersion1.
	APIVersion  string
	Description string
	// Router serves the plugin's routes (under /v1) and lists them to the
	// core; a plugin that implements Handler lists them in Routes instead.
	Router *Router
	// Routes are added to Router's; only a Handler needs them.
	Routes []Route
	// Migrations are the plugin's schema changes, in order; the SDK runs
	// the new ones when the plugin starts (see Migration).
	Migrations []Migration
	// Events are the event types the plugin emits, with their schemas.
	Events []EventType
	// RoomKinds are the room kinds whose joins the plugin authorizes.
	RoomKinds []string
	// Subscriptions are event types (of any plugin) delivered to the
	// plugin's HandleEvent; the plugin must implement EventHandler.
	Subscriptions []string
}

// Route is one HTTP route: Method and a Pattern under /v1 with {name}
// wildcards, e.g. "POST", "/projects/{id}/tasks".
type Route struct {
	Method  string
	Pattern string
}

// EventType declares an event type and the JSON Schema of its data.
type EventType struct {
	Type        string
	Schema      []byte
	Description string
	// Rooms documents where the event goes, e.g. "project:{projectId}".
	Rooms []string
}

// Principal is the authenticated caller.
type Principal struct {
	User       string
	Workspaces []string
}

// InWorkspace reports whether the caller's token lists workspace w.
func (p Principal) InWorkspace(w string) bool {
	for _, x := range p.Workspaces {
		if x == w {
			return true
		}
	}
	return false
}

// Room is a room name split into kind and id.
type Room struct {
	Kind string
	ID   string
}

// String returns kind:id.
func (r Room) String() string { return r.Kind + ":" + r.ID }

// ParseRoom splits kind:id (the core has validated it).
func ParseRoom(s string) Room {
	k, id, _ := strings.Cut(s, ":")
	return Room{Kind: k, ID: id}
}

// Request is one HTTP request to a plugin route.
type Request struct {
	Method        string
	Path          string // the full path, /v1/...
	Pattern       string // the route pattern that matched
	Params        map[string]string
	Query         url.Values
	Header        http.Header
	Body          []byte
	Principal     *Principal // nil for an anonymous caller
	CorrelationID string
}

// Param returns a path parameter.
func (r *Request) Param(name string) string { return r.Params[name] }

// Decode reads the JSON body into v, refusing unknown fields and any string
// (key or value) with a NUL character, invalid UTF-8 or a lone surrogate
// escape, which encoding/json would silently rewrite and databases refuse.
// Its error is a 400 *Error naming the field by JSON pointer:
// "invalid JSON body: NUL character (\u0000) in the string at /title".
func (r *Request) Decode(v any) error {
	if err := checkText(r.Body); err != nil {
		return BadRequest("invalid JSON body: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(r.Body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return BadRequest("invalid JSON body: %v", err)
	}
	if dec.More() {
		return BadRequest("invalid JSON body: trailing data")
	}
	return nil
}

// Response is what a route answers.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON answers with v as JSON.
func JSON(status int, v any) *Response {
	b, err := json.Marshal(v)
	if err != nil {
		return errorResponse(Internal("encoding response: %v", err))
	}
	return &Response{Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: b}
}

// NoContent answers 204.
func NoContent() *Response { return &Response{Status: http.StatusNoContent} }

// Error is an error shown to callers: an HTTP status and a wire code
// (docs/PROTOCOL.md §6: {"error":{"code":…,"message":…}}).
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func newError(status int, code, format string, args []any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// BadRequest is a 400 bad_request.
func BadRequest(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "bad_request", format, args)
}

// Forbidden is a 403 forbidden.
func Forbidden(format string, args ...any) *Error {
	return newError(http.StatusForbidden, "forbidden", format, args)
}

// NotFound is a 404 not_found.
func NotFound(format string, args ...any) *Error {
	return newError(http.StatusNotFound, "not_found", format, args)
}

// Conflict is a 409 conflict.
func Conflict(format string, args ...any) *Error {
	return newError(http.StatusConflict, "conflict", format, args)
}

// PreconditionFailed is a 412 precondition_failed (If-Match mismatch).
func PreconditionFailed(format string, args ...any) *Error {
	return newError(http.StatusPreconditionFailed, "precondition_failed", format, args)
}

// Unauthorized is a 401 unauthorized.
func Unauthorized(format string, args ...any) *Error {
	return newError(http.StatusUnauthorized, "unauthorized", format, args)
}

// Internal is a 500 internal.
func Internal(format string, args ...any) *Error {
	return newError(http.StatusInternalServerError, "internal", format, args)
}

func errorResponse(e *Error) *Response {
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": e.Code, "message": e.Message}})
	return &Response{Status: e.Status, Header: http.Header{"Content-Type": {"application/json"}}, Body: b}
}
