//go:build !linux

package moto

// forkServer reports that no zygote runs here: forking a Python process
// that has loaded moto is safe only on Linux.
func forkServer([]string, string, int) (*Server, error) { return nil, errNoZygote }
