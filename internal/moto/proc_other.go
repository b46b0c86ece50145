//go:build !unix

package moto

import "os/exec"

// ownProcessGroup does nothing where process groups are not portable.
func ownProcessGroup(*exec.Cmd) {}

// killProcessGroup kills moto_server.
func killProcessGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
