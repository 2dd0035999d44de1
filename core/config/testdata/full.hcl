# Every block and attribute, each set to a value other than its default.

server {
  listen           = "127.0.0.1:9090"
  data_dir         = "/var/lib/switchboard"
  allowed_origins  = ["https://app.example.com", "http://localhost:3000"]
  shutdown_timeout = "30s"
  log_level        = "debug"
  log_format       = "json"
  body_timeout       = "15s"
  idle_timeout       = "1m"
  max_conns_per_ip   = 50
  max_conns_per_user = 20
  connect_rate       = 5
  connect_burst      = 10
  publish_rate       = 100
  publish_burst      = 200
  metrics_listen     = "127.0.0.1:9091"
  metrics_key        = "metrics-secret"
  trusted_proxies    = ["10.0.0.0/8", "192.0.2.1"]
  console            = true
  pprof_listen       = "127.0.0.1:6060"
}

auth {
  jwt_secret = env("SB_CONFIG_TEST_FULL_SECRET", "a-very-long-production-secret-0123456789")
  jwks_file  = "./keys/jwks.json"
  jwks_url   = "https://id.example.com/.well-known/jwks.json"
  jwks_refresh = "15m"
  issuer     = "https://id.example.com"
  audience   = "switchboard"
  leeway     = "1m"
  expiry_grace = "30s"
  token_ttl  = "12h"
  api_keys   = ["publisher-key-1", "publisher-key-2"]
  api_key "crm" {
    key   = "crm-secret-key"
    rooms = ["workspace:w1", "project:*"]
    types = ["pm.*", "note.added"]
  }
}

nats {
  server_name   = "node-1"
  listen        = "127.0.0.1:4222"
  replicas      = 3
  sync_interval = "1s"
  sync_always   = true
  max_pending   = 131072
  heartbeat     = "2s"
  peer_timeout  = "10s"

  cluster {
    name   = "sb"
    listen = "127.0.0.1:6222"
    routes = ["nats://user:pass@10.0.0.2:6222", "nats://10.0.0.3:6222"]
  }
}

history {
  max_age          = "168h"
  max_msgs         = 5000000
  max_bytes        = "10GB"
  duplicate_window = "5m"
  stream           = "ROOMS"
}

hub {
  shards = 128
  presence = false
  presence_max_members = 50
  presence_debounce    = "2s"
  direct_writes = 16
  presence_flush = "100ms"
  auto_join     = ["user", "workspace"]
}

transport "ws" {
  path              = "/ws"
  max_frame_bytes   = "128KiB"
  max_rooms         = 256
  queue_bytes       = "2MiB"
  ping_interval     = "20s"
  idle_timeout      = "1m30s"
  write_timeout     = "5s"
  handshake_timeout = "3s"
  rate_limit        = 12.5
  rate_burst        = 25
  max_errors        = 5
}

transport "sse" {
  path          = "/sse"
  max_rooms     = 64
  queue_bytes   = 524288
  keepalive     = "10s"
  retry         = "500ms"
  write_timeout = "7s"
}

publish {
  max_body_bytes  = "4MiB"
  max_batch       = 500
  max_rooms       = 8
  max_event_bytes = "256KiB"
  strict_types    = true
}

telemetry {
  otlp_endpoint = "http://127.0.0.1:4318"
  sample_ratio  = 0.25
  service_name  = "switchboard-eu1"
}

plugin "tasks" {
  path    = "./bin/tasks-fork"
  args    = ["--verbose"]
  timeout = "5s"
  database = "postgres://sb:secret@db.example.com/sb"

  config {
    database = env("SB_CONFIG_TEST_FULL_DSN", "sqlite://./data/tasks.db")
    nested {
      anything = "goes"
    }
  }
}

plugin "comments" {
}
