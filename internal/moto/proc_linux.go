package moto

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts moto_server in a process group of its own, killed
// with this process when it dies.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killProcessGroup kills moto_server and the workers it started.
func killProcessGroup(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
