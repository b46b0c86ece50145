//go:build !linux

package verify_test

import "time"

// threadCPU reports no CPU time where the thread's cannot be read.
func threadCPU() func() (time.Duration, bool) {
	return func() (time.Duration, bool) { return 0, false }
}
