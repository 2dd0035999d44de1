// Command switchboard-cluster starts a local three-node Switchboard cluster
// for development and stops it on Ctrl-C; `make cluster` runs it.
//
// It runs three processes of `switchboard serve`, with the configs n1.hcl,
// n2.hcl and n3.hcl of this directory: their embedded NATS servers form one
// cluster over routes on 127.0.0.1:6221-6223, the history stream keeps
// three replicas, and the nodes listen on 127.0.0.1:8081-8083. When a
// PostgreSQL answers (the configs' DSN, or $SWITCHBOARD_CLUSTER_DATABASE;
// a missing database is created), every node runs the bundled plugins
// against it; otherwise the plugins are off and it says why. Each node logs
// to DATA/nN/switchboard.log. Once every node is ready it prints the URLs
// and commands to try the cluster.
//
// Usage:
//
//	switchboard-cluster [--bin bin/switchboard] [--configs cmd/switchboard-cluster] [--no-plugins]
//
// A node that dies once the cluster is up (kill -9 one to try failover) is
// reported and the others go on. Ctrl-C (or SIGTERM) asks every node to
// shut down (a drain), waits up to --stop-timeout, then kills what is
// left. Exit status: 0 stopped on a signal, 1 a node failed to start or
// every node died, 2 usage error.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
