//go:build unix

package lambdaemu

import (
	"os"
	"runtime"
	"syscall"
)

// maxRSSKiB returns the peak resident memory of an exited process, in KiB.
func maxRSSKiB(st *os.ProcessState) int64 {
	ru, ok := st.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) / 1024 // bytes there
	}
	return int64(ru.Maxrss)
}
