package testnode

import "syscall"

// procAttr kills the node if the test process dies (no orphan nodes
// holding ports and data dirs).
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
