package config

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// decoder turns attribute expressions into Go values with strict types: a
// string is never taken for a number or the other way round, except that a
// size may be either. `name = null` keeps the default. Every problem becomes
// a diagnostic pointing at the value; every value read records its range.
type decoder struct {
	ctx   *hcl.EvalContext
	diags hcl.Diagnostics
	src   *sources
	file  []byte // the source, for opaque blocks handed on as written
}

// path names an attribute inside a block the way messages show it:
// `transport "ws": max_frame_bytes`.
func path(block, attr string) string { return block + ": " + attr }

func (d *decoder) fail(rng hcl.Range, summary, format string, args ...any) {
	d.diags = append(d.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  rng.Ptr(),
	})
}

// value evaluates a; ok is false when a is absent, null or broken.
func (d *decoder) value(block string, a *hcl.Attribute) (v cty.Value, ok bool) {
	if a == nil {
		return cty.NilVal, false
	}
	v, diags := a.Expr.Value(d.ctx)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() || v.IsNull() {
		return v, false
	}
	if !v.IsWhollyKnown() {
		d.fail(a.Expr.Range(), path(block, a.Name), "value is not known")
		return v, false
	}
	d.src.ranges[path(block, a.Name)] = a.Expr.Range()
	return v, true
}

func (d *decoder) wrongType(block string, a *hcl.Attribute, want string, v cty.Value) {
	d.fail(a.Expr.Range(), path(block, a.Name), "%s is required, got %s", want, v.Type().FriendlyName())
}

func (d *decoder) str(block string, a *hcl.Attribute, dst *string) {
	if v, ok := d.value(block, a); ok {
		if v.Type() != cty.String {
			d.wrongType(block, a, "a string", v)
			return
		}
		*dst = v.AsString()
	}
}

func (d *decoder) boolean(block string, a *hcl.Attribute, dst *bool) {
	if v, ok := d.value(block, a); ok {
		if v.Type() != cty.Bool {
			d.wrongType(block, a, "a bool", v)
			return
		}
		*dst = v.True()
	}
}

func (d *decoder) float(block string, a *hcl.Attribute, dst *float64) {
	if v, ok := d.value(block, a); ok {
		if v.Type() != cty.Number {
			d.wrongType(block, a, "a number", v)
			return
		}
		*dst, _ = v.AsBigFloat().Float64()
	}
}

func (d *decoder) int64(block string, a *hcl.Attribute, dst *int64) {
	if v, ok := d.value(block, a); ok {
		if v.Type() != cty.Number {
			d.wrongType(block, a, "a whole number", v)
			return
		}
		n, err := wholeNumber(v.AsBigFloat())
		if err != nil {
			d.fail(a.Expr.Range(), path(block, a.Name), "%v", err)
			return
		}
		*dst = n
	}
}

func (d *decoder) integer(block string, a *hcl.Attribute, dst *int) {
	n := int64(*dst)
	d.int64(block, a, &n)
	*dst = int(n) // int is 64 bits on every platform we build for
}

func (d *decoder) duration(block string, a *hcl.Attribute, dst *time.Duration) {
	if v, ok := d.value(block, a); ok {
		if v.Type() != cty.String {
			d.wrongType(block, a, `a duration string such as "30s"`, v)
			return
		}
		s := v.AsString()
		dur, err := time.ParseDuration(s)
		if err != nil {
			hint := ""
			if strings.ContainsAny(s, "dD") {
				hint = ` (there is no day unit: write "168h" for 7 days)`
			}
			d.fail(a.Expr.Range(), path(block, a.Name),
				`invalid duration %q; use a string such as "500ms", "30s", "5m" or "24h"%s`, s, hint)
			return
		}
		*dst = dur
	}
}

func (d *decoder) size(block string, a *hcl.Attribute, dst *int64) {
	v, ok := d.value(block, a)
	if !ok {
		return
	}
	var n int64
	var err error
	switch v.Type() {
	case cty.Number:
		n, err = wholeNumber(v.AsBigFloat())
		if err == nil && n < 0 {
			err = fmt.Errorf("size must not be negative")
		}
	case cty.String:
		n, err = ParseSize(v.AsString())
	default:
		d.wrongType(block, a, `a size (bytes, or a string such as "64KiB")`, v)
		return
	}
	if err != nil {
		d.fail(a.Expr.Range(), path(block, a.Name), "%v", err)
		return
	}
	*dst = n
}

func (d *decoder) strs(block string, a *hcl.Attribute, dst *[]string) {
	v, ok := d.value(block, a)
	if !ok {
		return
	}
	ty := v.Type()
	if !ty.IsListType() && !ty.IsTupleType() && !ty.IsSetType() {
		d.wrongType(block, a, "a list of strings", v)
		return
	}
	exprs, _ := hcl.ExprList(a.Expr) // element positions, when a is a literal list
	out := make([]string, 0, v.LengthInt())
	bad := false
	for i, ev := range v.AsValueSlice() {
		rng := a.Expr.Range()
		if len(exprs) == v.LengthInt() {
			rng = exprs[i].Range()
		}
		elem := fmt.Sprintf("%s[%d]", a.Name, i)
		if ev.IsNull() || ev.Type() != cty.String {
			d.fail(rng, path(block, elem), "a string is required, got %s", friendly(ev))
			bad = true
			continue
		}
		d.src.ranges[path(block, elem)] = rng
		out = append(out, ev.AsString())
	}
	if !bad {
		*dst = out
	}
}

func friendly(v cty.Value) string {
	if v.IsNull() {
		return "null"
	}
	return v.Type().FriendlyName()
}

func wholeNumber(f *big.Float) (int64, error) {
	if !f.IsInt() {
		return 0, fmt.Errorf("a whole number is required, got %s", f.Text('g', -1))
	}
	n, acc := f.Int64()
	if acc != big.Exact {
		return 0, fmt.Errorf("%s is out of range", f.Text('g', -1))
	}
	return n, nil
}

// sizeUnits are the units ParseSize accepts, matched case-insensitively.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// ParseSize parses a byte size: a whole or decimal number followed by an
// optional unit, B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB
// (powers of 1024), in any case, optionally separated by a space: "512",
// "512B", "64KiB", "1.5 GiB", "10MB". The result must be a whole number of
// bytes that fits in an int64.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, okUnit := sizeUnits[unit]
	r, okNum := new(big.Rat).SetString(num)
	if num == "" || !okNum || strings.Count(num, ".") > 1 || !okUnit {
		return 0, fmt.Errorf(`invalid size %q; use bytes or a number with a unit such as "512B", "64KiB", "1MiB", "1GiB", "10MB"`, s)
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	if !r.IsInt() {
		return 0, fmt.Errorf("invalid size %q: not a whole number of bytes", s)
	}
	if !r.Num().IsInt64() {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return r.Num().Int64(), nil
}

// formatDuration is time.Duration.String without trailing zero units:
// "24h" rather than "24h0m0s". ParseDuration reads it back.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
