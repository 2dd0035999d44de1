package hclconf

import (
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Decoder fills plain Go structs from HCL bodies, strictly:
//
//   - a string is never taken for a number or the other way round, except
//     that a Size may be either;
//   - `name = null` (or leaving name out) keeps the value the field had, so
//     decode over a struct holding the defaults;
//   - unknown attributes and blocks, repeated singleton blocks and repeated
//     labels are errors with their position;
//   - every value read records its source range in Ranges under its path.
//
// Fields are chosen by `hcl` struct tags:
//
//	Name  string         `hcl:"name"`          an optional attribute
//	Block Sub            `hcl:"sub,block"`     a block that may appear once, decoded in place
//	Ptr   *Sub           `hcl:"sub,block"`     the same; nil unless the block is present
//	List  []Item         `hcl:"item,block"`    labelled blocks, in file order; Item has a label field
//	Name  string         `hcl:"name,label"`    the block's label (in Item)
//	Decl  hcl.Range      `hcl:",def_range"`    the block's header position
//	Raw   hcl.Body       `hcl:"config,block"`  a block kept opaque, for its owner to decode
//	Rest  hcl.Body       `hcl:",remain"`       every attribute and block not named by other fields
//	Own   T              `hcl:"t,block"`       where *T is a BlocksDecoder: T decodes its blocks itself
//
// Attribute fields may be string, bool, int, int64, float64, []string,
// Duration (or time.Duration) or Size. A path names a value the way messages show it:
// `server: listen`, `auth: api_keys[1]`, `nats: cluster`, `transport "ws": path`.
type Decoder struct {
	// Ctx evaluates expressions; nil means EvalContext().
	Ctx *hcl.EvalContext
	// Ranges, if not nil, receives the range of every value decoded, by
	// path, and of every block (its header) by the block's path.
	Ranges map[string]hcl.Range
}

// BlocksDecoder is a field type that decodes the blocks of its type itself
// (for example blocks whose body depends on their label).
type BlocksDecoder interface {
	// HCLLabels names the labels its blocks take.
	HCLLabels() []string
	// DecodeHCL decodes blocks (all of the field's type, in file order);
	// parent is the path of the enclosing block, "" at the top level.
	DecodeHCL(d *Decoder, parent string, blocks hcl.Blocks) hcl.Diagnostics
}

var (
	bodyType          = reflect.TypeFor[hcl.Body]()
	durationType      = reflect.TypeFor[Duration]()
	stdDurationType   = reflect.TypeFor[time.Duration]()
	sizeType          = reflect.TypeFor[Size]()
	blocksDecoderType = reflect.TypeFor[BlocksDecoder]()
)

// Path joins a block path and an attribute name: Path("server", "listen")
// is "server: listen"; an empty block gives the name alone.
func Path(block, name string) string {
	if block == "" {
		return name
	}
	return block + ": " + name
}

// BlockPath is the path of a block of type typ with labels inside parent:
// `server`, `nats: cluster`, `transport "ws"`.
func BlockPath(parent, typ string, labels []string) string {
	p := typ
	for _, l := range labels {
		p += fmt.Sprintf(" %q", l)
	}
	return Path(parent, p)
}

// Decode decodes body into the struct v points to; path is the path of the
// block body belongs to ("" for a whole file).
func (d *Decoder) Decode(body hcl.Body, path string, v any) hcl.Diagnostics {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("hclconf: Decode needs a pointer to a struct, got %T", v))
	}
	return d.decodeBody(body, path, rv.Elem(), nil)
}

// field is one tagged struct field.
type field struct {
	index int
	name  string
	kind  string // "", "block", "label", "def_range", "remain"
}

func fieldsOf(t reflect.Type) []field {
	var fs []field
	for i := range t.NumField() {
		tag, ok := t.Field(i).Tag.Lookup("hcl")
		if !ok || tag == "-" {
			continue
		}
		name, kind, _ := strings.Cut(tag, ",")
		fs = append(fs, field{index: i, name: name, kind: kind})
	}
	return fs
}

func (d *Decoder) record(path string, r hcl.Range) {
	if d.Ranges != nil {
		d.Ranges[path] = r
	}
}

func (d *Decoder) ctx() *hcl.EvalContext {
	if d.Ctx == nil {
		d.Ctx = EvalContext()
	}
	return d.Ctx
}

// decodeBody fills the struct sv from body; block is the block body came
// from (nil for a file), for its labels and def_range.
func (d *Decoder) decodeBody(body hcl.Body, path string, sv reflect.Value, block *hcl.Block) hcl.Diagnostics {
	fs := fieldsOf(sv.Type())
	schema := &hcl.BodySchema{}
	remain := -1
	for _, f := range fs {
		ft := sv.Field(f.index).Type()
		switch f.kind {
		case "":
			schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: f.name})
		case "block":
			var labels []string
			if reflect.PointerTo(ft).Implements(blocksDecoderType) {
				labels = reflect.New(ft).Interface().(BlocksDecoder).HCLLabels()
			} else if ft.Kind() == reflect.Slice {
				labels = labelNames(ft.Elem())
			}
			schema.Blocks = append(schema.Blocks, hcl.BlockHeaderSchema{Type: f.name, LabelNames: labels})
		case "remain":
			remain = f.index
		}
	}
	var content *hcl.BodyContent
	var rest hcl.Body
	var diags hcl.Diagnostics
	if remain >= 0 {
		content, rest, diags = body.PartialContent(schema)
	} else {
		content, diags = body.Content(schema)
	}
	if content == nil {
		return diags
	}
	for _, f := range fs {
		fv := sv.Field(f.index)
		switch f.kind {
		case "":
			if a := content.Attributes[f.name]; a != nil {
				diags = append(diags, d.attr(a, Path(path, f.name), fv)...)
			}
		case "block":
			diags = append(diags, d.blocks(content.Blocks.OfType(f.name), path, f.name, fv)...)
		case "label":
			if block != nil {
				n := 0
				for _, g := range fs[:slicesIndex(fs, f)] {
					if g.kind == "label" {
						n++
					}
				}
				if n < len(block.Labels) {
					fv.SetString(block.Labels[n])
				}
			}
		case "def_range":
			if block != nil {
				fv.Set(reflect.ValueOf(block.DefRange))
			}
		case "remain":
			fv.Set(reflect.ValueOf(&rest).Elem())
		}
	}
	return diags
}

func slicesIndex(fs []field, f field) int {
	for i, g := range fs {
		if g == f {
			return i
		}
	}
	return -1
}

// labelNames are the names of t's label fields (t a struct).
func labelNames(t reflect.Type) []string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var ls []string
	for _, f := range fieldsOf(t) {
		if f.kind == "label" {
			name := f.name
			if name == "" {
				name = strings.ToLower(t.Field(f.index).Name)
			}
			ls = append(ls, name)
		}
	}
	return ls
}

// blocks decodes the blocks of one type into fv.
func (d *Decoder) blocks(bs hcl.Blocks, parent, typ string, fv reflect.Value) hcl.Diagnostics {
	if fv.Addr().Type().Implements(blocksDecoderType) {
		return fv.Addr().Interface().(BlocksDecoder).DecodeHCL(d, parent, bs)
	}
	ft := fv.Type()
	if ft.Kind() == reflect.Slice && ft != bodyType {
		return d.labelled(bs, parent, typ, fv)
	}
	if len(bs) == 0 {
		return nil
	}
	var diags hcl.Diagnostics
	if len(bs) > 1 {
		for _, b := range bs[1:] {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Duplicate %s block", typ),
				Detail:   fmt.Sprintf("Only one %s block is allowed. Another was defined at %s.", typ, bs[0].DefRange.String()),
				Subject:  b.DefRange.Ptr(),
			})
		}
	}
	b := bs[0]
	path := BlockPath(parent, typ, nil)
	d.record(path, b.DefRange)
	switch {
	case ft == bodyType:
		fv.Set(reflect.ValueOf(&b.Body).Elem())
	case ft.Kind() == reflect.Pointer:
		nv := reflect.New(ft.Elem())
		diags = append(diags, d.decodeBody(b.Body, path, nv.Elem(), b)...)
		fv.Set(nv)
	default:
		diags = append(diags, d.decodeBody(b.Body, path, fv, b)...)
	}
	return diags
}

// labelled appends one element per block to the slice fv; a label seen
// twice is an error.
func (d *Decoder) labelled(bs hcl.Blocks, parent, typ string, fv reflect.Value) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]hcl.Range{}
	et := fv.Type().Elem()
	for _, b := range bs {
		path := BlockPath(parent, typ, b.Labels)
		if dup := DuplicateLabel(seen, path, b); dup != nil {
			diags = append(diags, dup)
			continue
		}
		d.record(path, b.DefRange)
		ev := reflect.New(et).Elem()
		target := ev
		if et.Kind() == reflect.Pointer {
			ev.Set(reflect.New(et.Elem()))
			target = ev.Elem()
		}
		if def, ok := target.Addr().Interface().(interface{ SetDefaults() }); ok {
			def.SetDefaults()
		}
		diags = append(diags, d.decodeBody(b.Body, path, target, b)...)
		fv.Set(reflect.Append(fv, ev))
	}
	return diags
}

// DuplicateLabel reports a labelled block (path `plugin "a"`) seen before,
// and otherwise remembers it in seen.
func DuplicateLabel(seen map[string]hcl.Range, path string, b *hcl.Block) *hcl.Diagnostic {
	if prev, dup := seen[path]; dup {
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate " + path + " block",
			Detail:   fmt.Sprintf("only one %s block is allowed; another was defined at %s", path, Pos(prev)),
			Subject:  b.DefRange.Ptr(),
		}
	}
	seen[path] = b.DefRange
	return nil
}

// Pos formats the start of r as file:line:col.
func Pos(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

func fail(rng hcl.Range, summary, format string, args ...any) hcl.Diagnostics {
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  rng.Ptr(),
	}}
}

// attr decodes attribute a into fv; null keeps fv as it is.
func (d *Decoder) attr(a *hcl.Attribute, path string, fv reflect.Value) hcl.Diagnostics {
	v, diags := a.Expr.Value(d.ctx())
	if diags.HasErrors() || v.IsNull() {
		return diags
	}
	rng := a.Expr.Range()
	if !v.IsWhollyKnown() {
		return append(diags, fail(rng, path, "value is not known")...)
	}
	d.record(path, rng)
	wrong := func(want string) hcl.Diagnostics {
		return append(diags, fail(rng, path, "%s is required, got %s", want, v.Type().FriendlyName())...)
	}
	switch t := fv.Type(); {
	case t == durationType || t == stdDurationType:
		if v.Type() != cty.String {
			return wrong(`a duration string such as "30s"`)
		}
		dur, err := ParseDuration(v.AsString())
		if err != nil {
			return append(diags, fail(rng, path, "%v", err)...)
		}
		fv.SetInt(int64(dur))
	case t == sizeType:
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
			return wrong(`a size (bytes, or a string such as "64KiB")`)
		}
		if err != nil {
			return append(diags, fail(rng, path, "%v", err)...)
		}
		fv.SetInt(n)
	case t.Kind() == reflect.String:
		if v.Type() != cty.String {
			return wrong("a string")
		}
		fv.SetString(v.AsString())
	case t.Kind() == reflect.Bool:
		if v.Type() != cty.Bool {
			return wrong("a bool")
		}
		fv.SetBool(v.True())
	case t.Kind() == reflect.Float64:
		if v.Type() != cty.Number {
			return wrong("a number")
		}
		f, _ := v.AsBigFloat().Float64()
		fv.SetFloat(f)
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		if v.Type() != cty.Number {
			return wrong("a whole number")
		}
		n, err := wholeNumber(v.AsBigFloat())
		if err != nil {
			return append(diags, fail(rng, path, "%v", err)...)
		}
		fv.SetInt(n)
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return append(diags, d.strings(a, path, v, fv)...)
	default:
		panic(fmt.Sprintf("hclconf: %s: unsupported field type %s", path, t))
	}
	return diags
}

// strings decodes a list of strings, recording each element's range.
func (d *Decoder) strings(a *hcl.Attribute, path string, v cty.Value, fv reflect.Value) hcl.Diagnostics {
	ty := v.Type()
	if !ty.IsListType() && !ty.IsTupleType() && !ty.IsSetType() {
		return fail(a.Expr.Range(), path, "a list of strings is required, got %s", ty.FriendlyName())
	}
	var diags hcl.Diagnostics
	exprs, _ := hcl.ExprList(a.Expr) // element positions, when a is a literal list
	out := make([]string, 0, v.LengthInt())
	for i, ev := range v.AsValueSlice() {
		rng := a.Expr.Range()
		if len(exprs) == v.LengthInt() {
			rng = exprs[i].Range()
		}
		elem := fmt.Sprintf("%s[%d]", path, i)
		if ev.IsNull() || ev.Type() != cty.String {
			diags = append(diags, fail(rng, elem, "a string is required, got %s", friendly(ev))...)
			continue
		}
		d.record(elem, rng)
		out = append(out, ev.AsString())
	}
	if !diags.HasErrors() {
		fv.Set(reflect.ValueOf(out).Convert(fv.Type()))
	}
	return diags
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

// Names lists the attribute and block names the hcl tags of the struct v
// (or *v) declare, in field order: what a reference table must document.
func Names(v any) []string {
	t := reflect.TypeOf(v)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var names []string
	for _, f := range fieldsOf(t) {
		if f.kind == "" || f.kind == "block" {
			names = append(names, f.name)
		}
	}
	return names
}
