# Switchboard development configuration: `make run` uses it as is.
#
# DEV-ONLY: the JWT secret and API key below are public. `switchboard serve`
# warns when they are used on a non-loopback address. In production set
# SWITCHBOARD_JWT_SECRET and SWITCHBOARD_API_KEYS (comma-separated), which
# override these values, or edit them here.
#
# Every attribute is documented in core/config/REFERENCE.md; anything left
# out keeps its default.

server {
  listen          = ":8080"
  data_dir        = "./data"
  allowed_origins = ["*"]
  # The web console at http://localhost:8080/console (off by default).
  console         = true
  # Go profiles (net/http/pprof) on their own loopback port (off by default):
  # pprof_listen  = "127.0.0.1:6060"
}

# OpenTelemetry traces to an OTLP/HTTP collector (off by default):
# telemetry {
#   otlp_endpoint = "http://127.0.0.1:4318"
#   sample_ratio  = 1.0
# }

auth {
  jwt_secret = env("SWITCHBOARD_JWT_SECRET", "dev-only-insecure-jwt-secret-change-me")
  api_keys   = ["dev-only-insecure-api-key"]
  token_ttl  = "1h"
}

# History: how far back `since` / Last-Event-ID can resume.
history {
  max_age          = "24h"
  max_msgs         = 1000000
  max_bytes        = "1GiB"
  duplicate_window = "2m"
}

transport "ws" {
  max_frame_bytes = "64KiB"
  max_rooms       = 128
  queue_bytes     = "1MiB"
  ping_interval   = "25s"
  idle_timeout    = "60s"
}

transport "sse" {
  keepalive = "15s"
  retry     = "2s"
}

# The bundled project-management plugins. A block without `path` runs the
# plugin built into the switchboard binary (as `switchboard plugin NAME`); a
# third-party plugin gives the `path` of its executable (and `args`, if any).
# Each keeps its data in SQLite under data_dir/plugins/NAME/ by default. For
# PostgreSQL add `database = "postgres://user:pass@localhost:5432/switchboard?sslmode=disable"`
# to a block (plugins may share one database: every table is prefixed with
# the plugin's name), or read it from the environment with
# `database = env("SWITCHBOARD_PM_DATABASE", "")` ("" keeps SQLite).
plugin "projects" {}

plugin "phases" {}

plugin "tasks" {
  # config {
  #   max_title_length       = 200
  #   max_description_length = 10000
  # }
}

plugin "comments" {
  # config {
  #   max_body_length = 10000
  # }
}
