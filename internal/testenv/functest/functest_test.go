package functest_test

import (
	"os"
	"testing"

	"github.com/webhookguard/webhookguard/internal/testenv/functest"
	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/shared/provider"
)

func TestMain(m *testing.M) { os.Exit(mototest.Run(m)) }

// functionDir is the folder of p's function (functions/<name>).
func functionDir(p provider.Provider) string { return "../../../functions/" + p.Name }

// TestFunctions checks the webhook function of every provider in
// provider.All end to end, built as it is deployed: a new provider's
// function is checked without a test of its own.
func TestFunctions(t *testing.T) {
	t.Parallel()
	for _, p := range provider.All {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			functest.Exercise(t, p, functionDir(p))
		})
		t.Run(p.Name+" with sources", func(t *testing.T) {
			t.Parallel()
			functest.ExerciseSources(t, p, functionDir(p))
		})
	}
}

// TestFunctionsStartAtEveryLambdaLogLevel checks one function at each of
// Lambda's log levels: the log level is read by code every function
// shares.
func TestFunctionsStartAtEveryLambdaLogLevel(t *testing.T) {
	t.Parallel()
	functest.StartsAtLogLevels(t, provider.Webex, functionDir(provider.Webex), "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
}

// BenchmarkColdStart measures each function's cold start against the floor
// (testdata/floor), interleaved, over TLS: make bench runs it.
func BenchmarkColdStart(b *testing.B) {
	cb := functest.NewColdBench(b, "testdata/floor")
	for _, p := range provider.All {
		b.Run(p.Name, func(b *testing.B) { cb.Run(b, p, functionDir(p)) })
	}
}
