# Only what differs from the defaults.
server {
  listen = "127.0.0.1:8080"
}
