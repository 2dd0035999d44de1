package sdk

import (
	"strconv"
)

// Page is a page of a collection: ?limit=N&offset=M.
type Page struct {
	Limit  int
	Offset int
}

// Page reads ?limit and ?offset (defaults: 50 and 0; limit at most 500).
// Bad values are a 400 *Error.
func (r *Request) Page() (Page, error) {
	p := Page{Limit: 50}
	if s := r.Query.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return p, BadRequest("limit must be an integer from 1 to 500, got %q", s)
		}
		p.Limit = n
	}
	if s := r.Query.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return p, BadRequest("offset must be a non-negative integer, got %q", s)
		}
		p.Offset = n
	}
	return p, nil
}

// List is the JSON shape of a page: {"items":[…],"nextOffset":N}, with
// nextOffset absent on the last page. Fetch Limit+1 rows and pass them all:
// List trims the extra row and sets NextOffset.
type List[T any] struct {
	Items      []T  `json:"items"`
	NextOffset *int `json:"nextOffset,omitempty"`
}

// NewList builds a List from up to p.Limit+1 rows.
func NewList[T any](p Page, rows []T) List[T] {
	l := List[T]{Items: rows}
	if l.Items == nil {
		l.Items = []T{}
	}
	if len(rows) > p.Limit {
		l.Items = rows[:p.Limit]
		next := p.Offset + p.Limit
		l.NextOffset = &next
	}
	return l
}
