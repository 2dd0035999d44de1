package sdk

import (
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/switchboard-rt/switchboard/schema/hclconf"
)

// Defaulter is implemented by config types that set their own defaults
// before the config block is decoded over them.
type Defaulter interface {
	Defaults()
}

// Validator is implemented by config types that check themselves after
// decoding (on a pointer receiver it may also fill in derived values).
// Return AttrError values, joined with errors.Join: each is reported at
// the file:line:col of its attribute in the plugin's config block.
type Validator interface {
	Validate() error
}

// ConfigError is an invalid value of one attribute of the config block.
type ConfigError struct {
	Attr    string // the attribute's name in HCL, e.g. "max_title_length"
	Message string
}

func (e *ConfigError) Error() string { return e.Attr + ": " + e.Message }

// AttrError reports that attribute attr of the config block is invalid.
func AttrError(attr, format string, args ...any) error {
	return &ConfigError{Attr: attr, Message: fmt.Sprintf(format, args...)}
}

// DecodeConfig decodes a config block's body (src, from file filename) as
// the plugin process does: Defaults, the attributes, then Validate. Its
// error lists each problem as "file:line:col: message".
func DecodeConfig[C any](filename string, src []byte) (C, error) {
	cfg, diags := decodeConfig[C](filename, src, hcl.InitialPos)
	var errs []error
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		at := ""
		if d.Subject != nil {
			at = fmt.Sprintf("%s:%d:%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
		}
		msg := at + d.Summary
		if d.Detail != "" {
			msg += "; " + d.Detail
		}
		errs = append(errs, errors.New(msg))
	}
	return cfg, errors.Join(errs...)
}

// decodeConfig decodes a config block's source into a C: defaults, then
// the attributes (unknown ones are errors; env() works), then Validate.
// Every diagnostic has the position of what it is about.
func decodeConfig[C any](filename string, src []byte, start hcl.Pos) (C, hcl.Diagnostics) {
	var cfg C
	if d, ok := any(&cfg).(Defaulter); ok {
		d.Defaults()
	}
	f, diags := hclsyntax.ParseConfig(src, filename, start)
	if diags.HasErrors() {
		return cfg, diags
	}
	if diags = append(diags, gohcl.DecodeBody(f.Body, hclconf.EvalContext(), &cfg)...); diags.HasErrors() {
		return cfg, diags
	}
	v, ok := any(&cfg).(Validator)
	if !ok {
		return cfg, diags
	}
	body, _ := f.Body.(*hclsyntax.Body)
	for _, err := range unjoin(v.Validate()) {
		d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: err.Error()}
		var ce *ConfigError
		if errors.As(err, &ce) && body != nil {
			if a, ok := body.Attributes[ce.Attr]; ok {
				d.Subject = a.SrcRange.Ptr()
			}
		}
		if d.Subject == nil && body != nil {
			d.Subject = body.SrcRange.Ptr()
		}
		diags = append(diags, d)
	}
	return cfg, diags
}

// validate runs cfg's Validate, if it has one.
func validate[C any](cfg *C) error {
	if v, ok := any(cfg).(Validator); ok {
		return v.Validate()
	}
	return nil
}

// unjoin lists the errors joined in err (none for nil).
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}
