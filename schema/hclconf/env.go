package hclconf

import (
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// EvalContext returns the context expressions in a config file are
// evaluated in: no variables, and the function env.
//
//	env("NAME")            the variable's value; an error if it is unset or empty
//	env("NAME", "default") the variable's value, or default if it is unset or empty
func EvalContext() *hcl.EvalContext {
	return &hcl.EvalContext{Functions: map[string]function.Function{"env": envFunc}}
}

var envFunc = function.New(&function.Spec{
	Description: "Returns the value of an environment variable, or a default.",
	Params:      []function.Parameter{{Name: "name", Type: cty.String}},
	VarParam:    &function.Parameter{Name: "default", Type: cty.String},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if len(args) > 2 {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(2,
				"env takes a variable name and an optional default, not %d arguments", len(args))
		}
		name := args[0].AsString()
		if v := os.Getenv(name); v != "" {
			return cty.StringVal(v), nil
		}
		if len(args) == 2 {
			return args[1], nil
		}
		return cty.UnknownVal(cty.String), function.NewArgErrorf(0,
			"environment variable %s is not set; set it or give a default: env(%q, \"...\")", name, name)
	},
})
