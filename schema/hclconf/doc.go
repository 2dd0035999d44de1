// Package hclconf is the configuration language shared by the router's
// config file and the config blocks of plugins and transports: the
// functions an expression may call (env), and the value types and strict
// decoder that turn attributes into Go values with positions in errors.
//
// It lives under schema/ because both sides of the plugin protocol use it:
// core decodes config.hcl with it, and a plugin built against plugins/sdk
// decodes its own `config { }` block with the same rules, without linking
// any package under core/.
package hclconf
