package sdk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Call serves r with p exactly as the plugin process does for the core:
// by p's Handle if it implements Handler, else by Info().Router. An *Error
// becomes its status and JSON body, a nil response 204 No Content, and any
// other error (or a panic) 500 internal, returned as err too so that the
// caller can log it. sdktest.Serve and the gRPC server both use it.
func Call(ctx context.Context, p Plugin, r *Request) (resp *Response, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic in %s %s: %v", r.Method, r.Pattern, v)
			resp = errorResponse(Internal("internal error"))
		}
	}()
	if h, ok := p.(Handler); ok {
		resp, err = h.Handle(ctx, r)
	} else if rt := p.Info().Router; rt != nil {
		resp, err = rt.Serve(ctx, r)
	} else {
		err = NotFound("no route %s %s", r.Method, r.Pattern)
	}
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return errorResponse(e), nil
		}
		return errorResponse(Internal("internal error")), err
	}
	if resp == nil {
		return NoContent(), nil
	}
	if resp.Status == 0 {
		resp.Status = http.StatusOK
	}
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	return resp, nil
}
