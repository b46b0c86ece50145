package functest_test

import (
	"os"
	"testing"

	"webhookguard/shared/functest"
	"webhookguard/shared/mototest"
)

func TestMain(m *testing.M) { os.Exit(mototest.Run(m)) }

func BenchmarkColdStart(b *testing.B) {
	b.Run("bare-aws-lambda-go", func(b *testing.B) { functest.ColdStartBaseline(b, "testdata/bare") })
}
