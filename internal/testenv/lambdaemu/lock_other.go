//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package lambdaemu

import "errors"

// lockDir is not available here: Build builds into the test's directory.
func lockDir(string) (func(), error) {
	return nil, errors.New("no file locks on this system")
}
