# Node n2 of the local three-node cluster that `make cluster` starts
# (cmd/switchboard-cluster). n1.hcl, n2.hcl and n3.hcl differ only in the
# node's name, ports and data dir. DEV-ONLY secrets, loopback addresses:
# see README "Several nodes" for production.

server {
  listen           = "127.0.0.1:8082"
  data_dir         = "./data/cluster/n2"
  shutdown_timeout = "10s"
}

auth {
  jwt_secret = env("SWITCHBOARD_JWT_SECRET", "dev-only-insecure-jwt-secret-change-me")
  api_keys   = ["dev-only-insecure-api-key"]
}

# The embedded NATS servers of the three nodes form one cluster over their
# route ports; the history stream keeps 3 replicas, so any one node may die.
nats {
  server_name = "n2"
  replicas    = 3

  cluster {
    name   = "switchboard-dev"
    listen = "127.0.0.1:6222"
    routes = ["nats://127.0.0.1:6221", "nats://127.0.0.1:6223"]
  }
}

# Every node runs the plugins against one PostgreSQL database (the launcher
# removes these blocks when no PostgreSQL is reachable: plugins off).
plugin "projects" {
  database = env("SWITCHBOARD_CLUSTER_DATABASE", "postgres://postgres@127.0.0.1:5432/switchboard_cluster?sslmode=disable")
}

plugin "phases" {
  database = env("SWITCHBOARD_CLUSTER_DATABASE", "postgres://postgres@127.0.0.1:5432/switchboard_cluster?sslmode=disable")
}

plugin "tasks" {
  database = env("SWITCHBOARD_CLUSTER_DATABASE", "postgres://postgres@127.0.0.1:5432/switchboard_cluster?sslmode=disable")
}

plugin "comments" {
  database = env("SWITCHBOARD_CLUSTER_DATABASE", "postgres://postgres@127.0.0.1:5432/switchboard_cluster?sslmode=disable")
}
