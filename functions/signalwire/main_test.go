package main

import (
	"os"
	"testing"

	"github.com/webhookguard/webhookguard/internal/testenv/functest"
	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/shared/provider"
)

func TestMain(m *testing.M) { os.Exit(mototest.Run(m)) }

func TestFunction(t *testing.T) {
	t.Parallel()
	functest.Exercise(t, provider.SignalWire)
}

func TestFunctionWithSources(t *testing.T) {
	t.Parallel()
	functest.ExerciseSources(t, provider.SignalWire)
}
