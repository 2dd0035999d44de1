// Package config reads the router's HCL configuration (`switchboard serve
// --config config.hcl`) into a Config.
//
// # Loading
//
// Load (or Parse, for bytes) does, in order:
//
//  1. start from DefaultConfig(), the one place where defaults live;
//  2. decode the file over it with hclconf.Decoder (the Config struct's hcl
//     tags are the schema), strictly: unknown blocks and attributes,
//     repeated blocks, wrong types and malformed durations or sizes are
//     errors. What the file leaves out, and `name = null`, keeps its default;
//     a list in the file replaces the default list;
//  3. apply the environment overrides SWITCHBOARD_JWT_SECRET,
//     SWITCHBOARD_API_KEYS (comma-separated), SWITCHBOARD_LISTEN and
//     SWITCHBOARD_DATA_DIR (unset or empty changes nothing);
//  4. compute Auth.DevSecrets and run Validate.
//
// Every problem is reported, not just the first: the error is an
// errors.Join of *Error values, one per line, sorted by position, each
// formatted `file:line:col: summary: detail`, for example
//
//	config.hcl:12:21: transport "ws": max_frame_bytes: invalid size "12XB"; use ...
//	config.hcl:20:3: Unsupported argument: An argument named "bogus" is not expected here
//	config.hcl:31:15: hub: shards: must be a power of two (1, 2, 4, … 64, …), got 3
//
// They all match errors.Is(err, ErrInvalid); a file that cannot be read
// does not. On any error the returned Config is nil.
//
// # Values
//
// Durations are strings for time.ParseDuration ("500ms", "30s", "24h"; there
// is no day unit; hclconf.Duration). Sizes are a number of bytes or a string
// with a unit (hclconf.Size, hclconf.ParseSize: "512B", "64KiB", "1MiB",
// "10MB"). Types are strict: a string is
// not taken for a number, nor a number for a string.
//
// Expressions may call env: env("NAME") is the variable's value and an
// error when it is unset or empty; env("NAME", "default") falls back to the
// default. It keeps secrets out of the file:
//
//	auth {
//	  jwt_secret = env("SWITCHBOARD_JWT_SECRET", "dev-only-insecure-jwt-secret-change-me")
//	}
//
// Relative paths (data_dir, jwks_file, a plugin's path) are kept as written
// and so are relative to the process's working directory, not to the config
// file, as with most servers. Run the router from the directory the paths
// assume, or write absolute paths.
//
// # Blocks
//
// server, auth, nats (with an optional cluster block), history, hub and
// publish may each appear once. Each registered transport (see
// TransportRegistry; the standard ones are "ws" and "sse") may have one
// transport "NAME" block, whose body this package hands to the transport's
// own config struct (TransportConfig: its defaults, its decoding, its Check).
// When the file has any transport block, only those present are enabled (a
// block may also say enabled = false); with none, every registered one is.
// A name nobody registered is an error listing the known ones, so a program
// that loads configs must import its transports first (cmd/switchboard
// imports transports/standard).
// plugin "NAME" blocks, one per name, hold a path and an opaque config
// block that this package keeps as a raw hcl.Body (Plugin.Config) for the
// plugin host to decode with the plugin's own schema and EvalContext().
// REFERENCE.md in this directory lists every attribute with its default.
//
// # Validation
//
// Validate names each problem by its config path, for example
// `transport "ws": max_frame_bytes: must be > 0`. Load and Parse add the
// position of the offending value, or name the environment variable that
// set it. Call Validate again after changing a Config in Go.
//
// Config.JSON renders a config, secrets redacted, for golden tests and
// `--print-config`: the same structs, by their json tags, with durations
// as strings and sizes as integers.
package config
