package app

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestLoggerWritesOneJSONLineWithTheLambdaRequestIDAtTheConfiguredLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		level      string
		wantLevels []string
	}{
		{"TRACE logs debug lines", "TRACE", []string{"DEBUG", "INFO", "WARN", "ERROR"}},
		{"DEBUG logs debug lines", "DEBUG", []string{"DEBUG", "INFO", "WARN", "ERROR"}},
		{"the default is INFO", "", []string{"INFO", "WARN", "ERROR"}},
		{"WARN drops info lines", "WARN", []string{"WARN", "ERROR"}},
		{"FATAL logs errors only", "FATAL", []string{"ERROR"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			level, err := LogLevel(tc.level)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			log := Config{LogLevel: level}.logger(&out)
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
			for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
				log.With("provider", "webex").Log(ctx, l, "webhook")
			}
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if len(lines) != len(tc.wantLevels) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(tc.wantLevels), out.String())
			}
			for i, line := range lines {
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatalf("line %q is not JSON: %v", line, err)
				}
				if rec["level"] != tc.wantLevels[i] || rec["requestId"] != "req-1" || rec["message"] != "webhook" || rec["timestamp"] == nil || rec["provider"] != "webex" {
					t.Fatalf("line %d = %v, want level %s, requestId req-1, message, timestamp and provider", i, rec, tc.wantLevels[i])
				}
			}
		})
	}
}
