//go:build !linux

package lambdaemu

// runID reports that a run cannot be named here: each test binary runs go
// build itself.
func runID() (string, bool) { return "", false }
