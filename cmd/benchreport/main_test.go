package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestReportComputesRatiosFromBenchmarkLines(t *testing.T) {
	in := `goos: linux
BenchmarkWebex/1KiB/bare-hmac-2    437269    2000 ns/op   353.20 MB/s   472 B/op   6 allocs/op
BenchmarkWebex/1KiB/verify-2       690447    1500 ns/op   648.61 MB/s     0 B/op   0 allocs/op
BenchmarkWarmPath/webex/invoke-2    15380   22560 ns/op    29.21 MB/s  8435 B/op  72 allocs/op
BenchmarkWarmPath/webex/handle-2    45007    7829 ns/op    84.17 MB/s  3048 B/op  26 allocs/op
BenchmarkColdStart/webex-2             10  73342208 ns/op  73.34 first-response-ms  38.84 init-ms  12.5 peak-rss-MiB
`
	var out bytes.Buffer
	write(&out, parse(strings.NewReader(in)), t.TempDir())
	for _, want := range []string{
		"| Webex | 1KiB | 1500 | 2000 | 0.75x | 0 | 6 |",
		"| webex | 22560 | 72 | 7829 | 26 |",
		"| webex | 38.8 | 73.3 | 12.5 | n/a |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("report lacks %q:\n%s", want, out.String())
		}
	}
}
