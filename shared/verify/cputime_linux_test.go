package verify_test

import (
	"runtime"
	"syscall"
	"time"
)

// threadCPU starts measuring the CPU time of the calling goroutine, which
// it locks to its thread; the function returned stops and reports it. On a
// machine shared with other work, CPU time tells the cost of an operation
// where wall time also counts the waits for a processor.
func threadCPU() func() (time.Duration, bool) {
	runtime.LockOSThread()
	start := rusageThread()
	return func() (time.Duration, bool) {
		d := rusageThread() - start
		runtime.UnlockOSThread()
		return d, true
	}
}

func rusageThread() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
