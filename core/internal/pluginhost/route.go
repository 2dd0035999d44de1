package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"

	"github.com/switchboard-rt/switchboard/core/internal/api"
	"github.com/switchboard-rt/switchboard/core/web"
	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
	"github.com/switchboard-rt/switchboard/schema/wire"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

var wildcard = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)(\.\.\.)?\}`)

// hopHeaders are not forwarded to plugins: credentials stay in the core.
var hopHeaders = map[string]bool{"Authorization": true, "Cookie": true, "X-Api-Key": true, "Connection": true}

// route forwards requests of one route to the plugin.
func (in *instance) route(rt *pluginv1.Route) http.Handler {
	var params []string
	for _, m := range wildcard.FindAllStringSubmatch(rt.Pattern, -1) {
		params = append(params, m[1])
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := in.h.o.Auth.FromRequest(r)
		if err != nil {
			web.RefuseBeforeBody(w, wire.NewError(wire.Unauthorized, err.Error()))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, in.h.o.MaxBodyBytes))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				wire.WriteStatus(w, http.StatusRequestEntityTooLarge, wire.NewError(wire.BadRequest, fmt.Sprintf("body larger than %d bytes", mbe.Limit)))
				return
			}
			wire.Write(w, wire.NewError(wire.BadRequest, "reading body: "+err.Error()))
			return
		}
		c := in.current()
		if c == nil {
			w.Header().Set("Retry-After", "1")
			wire.Write(w, wire.NewError(wire.Unavailable, "plugin "+in.cfg.Name+" is restarting"))
			return
		}
		corr := api.CorrelationID(r)
		req := &pluginv1.HTTPRequest{Method: r.Method, Path: r.URL.Path, Pattern: rt.Pattern, PathParams: map[string]string{},
			RawQuery: r.URL.RawQuery, Headers: map[string]*pluginv1.HeaderValues{}, Body: body,
			Principal: &pluginv1.Principal{User: p.User, Workspaces: p.Workspaces}, CorrelationId: corr}
		for _, name := range params {
			req.PathParams[name] = r.PathValue(name)
		}
		for k, v := range r.Header {
			if !hopHeaders[k] {
				req.Headers[k] = &pluginv1.HeaderValues{Values: v}
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), in.timeout())
		defer cancel()
		resp, err := c.HandleHTTP(ctx, req)
		if err != nil {
			code := http.StatusServiceUnavailable
			// The plugin side enforces the propagated deadline too and may
			// report it a moment before our own timer fires.
			if errors.Is(ctx.Err(), context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded {
				code = http.StatusGatewayTimeout
			}
			in.log.Error("plugin request failed", "method", r.Method, "path", r.URL.Path, "err", err, "correlationid", corr)
			wire.WriteStatus(w, code, wire.NewError(wire.Unavailable, "plugin "+in.cfg.Name+" did not answer"))
			return
		}
		for k, v := range resp.Headers {
			w.Header()[k] = v.Values
		}
		w.Header().Set("X-Correlation-Id", corr)
		status := int(resp.Status)
		if status < 100 || status > 599 {
			status = http.StatusInternalServerError
		}
		w.WriteHeader(status)
		_, _ = w.Write(resp.Body)
	})
}
