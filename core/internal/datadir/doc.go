// Package datadir makes server.data_dir belong to one process at a time.
//
// Two nodes on one data directory would share the JetStream file store and
// the plugins' SQLite files and corrupt both. Lock takes an exclusive
// flock(2) on data_dir/switchboard.lock and writes the holder's PID and
// start time into it; a second process fails at once, with an error that
// names the holder. The kernel drops the lock when the holder exits, even
// by kill -9, so a stale file never blocks a restart.
package datadir
