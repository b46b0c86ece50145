package main

import (
	"os"
	"testing"

	"webhookguard/shared/functest"
	"webhookguard/shared/mototest"
	"webhookguard/shared/provider"
)

func TestMain(m *testing.M) { os.Exit(mototest.Run(m)) }

func TestFunction(t *testing.T) { functest.Exercise(t, provider.Qiscus) }

func BenchmarkColdStart(b *testing.B) {
	b.Run("qiscus", func(b *testing.B) { functest.ColdStart(b, provider.Qiscus) })
}
