package functest_test

import (
	"os"
	"testing"

	"github.com/webhookguard/webhookguard/internal/testenv/functest"
	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/shared/provider"
)

func TestMain(m *testing.M) { os.Exit(mototest.Run(m)) }

// BenchmarkColdStart measures each function's cold start against the floor
// (testdata/floor), interleaved, over TLS: make bench runs it.
func BenchmarkColdStart(b *testing.B) {
	cb := functest.NewColdBench(b, "testdata/floor")
	for _, p := range provider.All {
		b.Run(p.Name, func(b *testing.B) { cb.Run(b, p, "../../../functions/"+p.Name) })
	}
}
