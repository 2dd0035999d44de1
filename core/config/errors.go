package config

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// ErrInvalid matches (with errors.Is) every problem reported by Load, Parse,
// Validate and FormatDiagnostics, so callers can tell a bad config from an
// I/O error.
var ErrInvalid = errors.New("config: invalid")

// Error is one configuration problem. Load, Parse and Validate return several
// of them joined with errors.Join; use errors.As to get at one.
type Error struct {
	// Range is where the problem is in the file; nil when unknown (a Config
	// built in Go, or a value taken from the environment).
	Range *hcl.Range
	// Summary names the problem: a config path such as
	// `transport "ws": max_frame_bytes`, or an HCL diagnostic summary.
	Summary string
	// Detail says what is wrong, e.g. "must be > 0". May be empty.
	Detail string
	// Warning is set for HCL warning diagnostics.
	Warning bool
}

// Error formats e as `file:line:col: summary: detail`.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Range != nil && e.Range.Filename != "" {
		fmt.Fprintf(&b, "%s:%d:%d: ", e.Range.Filename, e.Range.Start.Line, e.Range.Start.Column)
	}
	if e.Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(e.Summary)
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Is reports whether target is ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// FormatDiagnostics turns HCL diagnostics into one error whose Error() has a
// `file:line:col: summary: detail` line per diagnostic, in order. Each line
// is an *Error (see errors.As). It returns nil when diags is empty.
func FormatDiagnostics(diags hcl.Diagnostics) error {
	return errors.Join(diagErrors(diags)...)
}

func diagErrors(diags hcl.Diagnostics) []error {
	errs := make([]error, 0, len(diags))
	for _, d := range diags {
		e := &Error{
			Summary: d.Summary,
			Detail:  oneLine(d.Detail),
			Warning: d.Severity == hcl.DiagWarning,
		}
		if d.Subject != nil {
			r := *d.Subject
			e.Range = &r
		}
		errs = append(errs, e)
	}
	return errs
}

// hclRange matches hcl.Range.String() ("f.hcl:3,1-7", "f.hcl:3,1-4,2").
var hclRange = regexp.MustCompile(`:(\d+),(\d+)-(?:\d+,)?\d+\b`)

// oneLine keeps a diagnostic detail on one line, writes the ranges HCL puts
// in it as file:line:col, and drops its final period.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = hclRange.ReplaceAllString(s, ":$1:$2")
	return strings.TrimSuffix(s, ".")
}

// sortErrors orders errs by position in the file; those without one go last.
func sortErrors(errs []error) {
	rangeOf := func(err error) *hcl.Range {
		var e *Error
		if errors.As(err, &e) {
			return e.Range
		}
		return nil
	}
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := rangeOf(errs[i]), rangeOf(errs[j])
		switch {
		case a == nil || b == nil:
			return a != nil && b == nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		default:
			return a.Start.Byte < b.Start.Byte
		}
	})
}
