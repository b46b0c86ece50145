package mototest

import (
	"flag"
	"os/exec"
	"runtime"
	"strconv"
	"testing"

	"github.com/webhookguard/webhookguard/internal/moto"
)

// parallel is how many parallel tests Run lets run at once unless the
// command line says otherwise (-parallel), when it is more than
// GOMAXPROCS, the default. Integration tests spend their time waiting for
// moto_server, a function's process or a timer, not computing: on a small
// machine, GOMAXPROCS at a time leaves it idle.
const parallel = 8

// raiseParallel sets -test.parallel to parallel when the command line did
// not set it and no fuzzing was asked for (-parallel also counts fuzzing
// workers). It parses the command line, as testing.M.Run would.
func raiseParallel() {
	if !flag.Parsed() {
		flag.Parse()
	}
	set := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "test.parallel" || f.Name == "test.fuzz" {
			set = true
		}
	})
	if !set && runtime.GOMAXPROCS(0) < parallel {
		_ = flag.Set("test.parallel", strconv.Itoa(parallel))
	}
}

// Require skips the test, saying why, where moto_server is not installed,
// and fails it under CI (CI set), as Shared and Start do, without starting
// one: for tests of programs that start their own.
func Require(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("moto_server"); err != nil {
		skipOrFail(t, moto.ErrNotInstalled)
	}
}
