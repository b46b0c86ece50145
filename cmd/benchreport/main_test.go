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
BenchmarkColdStart/webex-2             10         0 ns/op  41.70 cold-cpu-ms  1.033 cold-cpu-x-floor  3.640 first-cpu-ms  0.3280 first-cpu-x-floor  105.0 first-response-ms  40.37 floor-cold-cpu-ms  11.11 floor-first-cpu-ms  28.84 floor-init-cpu-ms  1.000 floor-sm-conns  1.000 floor-sqs-conns  37.73 init-cpu-ms  88.00 init-ms  17.00 peak-rss-MiB  1.000 sm-conns  1.000 sqs-conns
BenchmarkColdStart/qiscus-2            10         0 ns/op  41.00 cold-cpu-ms  1.150 cold-cpu-x-floor  4.040 first-cpu-ms  0.3630 first-cpu-x-floor  738.0 first-response-ms  40.37 floor-cold-cpu-ms  11.11 floor-first-cpu-ms  28.84 floor-init-cpu-ms  1.000 floor-sm-conns  1.000 floor-sqs-conns  37.43 init-cpu-ms  726.0 init-ms  17.10 peak-rss-MiB  3.000 sm-conns  1.000 sqs-conns
BenchmarkForged1MiB/bare-hmac-sha1-2        100    600000 ns/op    500000 cpu-ns/op   472 B/op   6 allocs/op
BenchmarkForged1MiB/value-plus-2            100   1500000 ns/op   1000000 cpu-ns/op     0 B/op   0 allocs/op
BenchmarkForged1MiB/value-pct41-2           100   1200000 ns/op   1250000 cpu-ns/op     0 B/op   0 allocs/op
`
	var out bytes.Buffer
	write(&out, parse(strings.NewReader(in)), t.TempDir())
	for _, want := range []string{
		"| Webex | 1KiB | 1500 | 2000 | 0.75x | 0 | 6 |",
		"| webex | 22560 | 72 | 7829 | 26 |",
		"| webex | 37.7 | 3.6 | 41.7 | 28.8, 11.1, 40.4 | 1.03x | 0.33x | 1 / 1 (1 / 1) | met | 88.0 | 105.0 | 17.0 | n/a |",
		"| qiscus | 37.4 | 4.0 | 41.0 | 28.8, 11.1, 40.4 | 1.15x | 0.36x | 3 / 1 (1 / 1) | **missed** | 726.0 | 738.0 | 17.1 | n/a |",
		"| signalwire | n/a |",
		"| value-pct41 | 1200000 | 1250000 | 2.50x |\n| value-plus | 1500000 | 1000000 | 2.00x |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestCommandLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "describes itself on -h", args: []string{"-h"}, wantCode: 0, wantStdout: "Turn go test -bench output into the benchmark report"},
		{name: "refuses an extra argument", args: []string{"-bench", "x", "y"}, wantCode: 2, wantStderr: `unexpected argument "y"`},
		{name: "refuses an unknown flag", args: []string{"-benchmarks", "x"}, wantCode: 2, wantStderr: "flag provided but not defined"},
		{name: "fails with 1 on a missing file", args: []string{"-bench", "testdata/none.txt"}, wantCode: 1, wantStderr: "benchreport: open testdata/none.txt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			if code != tc.wantCode || !strings.Contains(stdout.String(), tc.wantStdout) || !strings.Contains(stderr.String(), tc.wantStderr) {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, stdout.String(), stderr.String())
			}
			if code == 2 && !strings.Contains(stderr.String(), "Usage: benchreport") {
				t.Fatalf("no usage on stderr:\n%s", stderr.String())
			}
		})
	}
}
