package sdk

import (
	"context"
	"net/http"
)

// HandlerFunc serves one route.
type HandlerFunc func(ctx context.Context, r *Request) (*Response, error)

// Router maps "METHOD /pattern" to handlers. The core matches requests
// (net/http patterns under /v1) and tells the plugin which route matched.
type Router struct {
	routes   []Route
	handlers map[string]HandlerFunc
}

// NewRouter makes an empty router.
func NewRouter() *Router { return &Router{handlers: map[string]HandlerFunc{}} }

// Handle adds a route; pattern is "METHOD /path/{param}". It panics on a
// duplicate.
func (rt *Router) Handle(method, pattern string, h HandlerFunc) {
	key := method + " " + pattern
	if _, dup := rt.handlers[key]; dup {
		panic("sdk: duplicate route " + key)
	}
	rt.handlers[key] = h
	rt.routes = append(rt.routes, Route{Method: method, Pattern: pattern})
}

// Routes lists the routes, for Info.Routes.
func (rt *Router) Routes() []Route { return append([]Route(nil), rt.routes...) }

// Serve runs the handler of the route that matched r.
func (rt *Router) Serve(ctx context.Context, r *Request) (*Response, error) {
	h := rt.handlers[r.Method+" "+r.Pattern]
	if h == nil {
		return nil, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no route " + r.Method + " " + r.Pattern}
	}
	return h(ctx, r)
}
