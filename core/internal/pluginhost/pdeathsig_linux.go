package pluginhost

import (
	"os/exec"
	"syscall"
)

// setPdeathsig makes the kernel kill the plugin if the core dies, even by
// SIGKILL: no orphans.
func setPdeathsig(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
