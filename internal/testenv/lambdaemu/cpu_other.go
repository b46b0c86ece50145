//go:build !linux

package lambdaemu

import "time"

// processCPU is not measured while a process runs outside Linux.
func processCPU(int) (time.Duration, bool) { return 0, false }
