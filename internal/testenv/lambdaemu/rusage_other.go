//go:build !unix

package lambdaemu

import "os"

// maxRSSKiB is not measured where getrusage does not exist.
func maxRSSKiB(*os.ProcessState) int64 { return 0 }
