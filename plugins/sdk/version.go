package sdk

import (
	"strconv"
	"strings"
)

// Precondition is a request's If-Match header read as a resource version:
// If-Match: 3, "3" and W/"3" all mean version 3. Absent or "*" matches any
// version.
type Precondition struct {
	Set     bool
	Version int64
}

// IfMatch reads r's If-Match header; a value that is not a version is a
// bad request.
func IfMatch(r *Request) (Precondition, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return Precondition{}, nil
	}
	s := strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 1 {
		return Precondition{}, BadRequest(`If-Match must be a version such as 3 or "3", got %q`, h)
	}
	return Precondition{Set: true, Version: v}, nil
}

// Check answers 412 precondition_failed when the precondition names
// another version than have, the current version of what (e.g. "task t1").
func (pc Precondition) Check(what string, have int64) error {
	if pc.Set && pc.Version != have {
		return PreconditionFailed("%s is at version %d, not %d", what, have, pc.Version)
	}
	return nil
}

// ETag is the ETag header value of a version: "3".
func ETag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// WithVersion sets resp's ETag to version and returns resp.
func WithVersion(resp *Response, version int64) *Response {
	resp.Header.Set("ETag", ETag(version))
	return resp
}
