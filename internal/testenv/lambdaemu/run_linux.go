package lambdaemu

import (
	"os"
	"strconv"
	"strings"
)

// runID names the run of the program that started this process (for a
// test binary, the go test command): its pid and the time it started, as
// the kernel counts it, so that a later program with the same pid is
// another run.
func runID() (string, bool) {
	ppid := os.Getppid()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(ppid) + "/stat")
	if err != nil {
		return "", false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", false
	}
	// Field 22 (starttime) is the 20th after the command's closing ')'.
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return "", false
	}
	return strconv.Itoa(ppid) + "-" + f[19], true
}
