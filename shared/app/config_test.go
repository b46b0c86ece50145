package app_test

import (
	"log/slog"
	"strconv"
	"testing"

	"github.com/webhookguard/webhookguard/shared/app"
	"github.com/webhookguard/webhookguard/shared/webhook"
)

func TestLogLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    slog.Level
		wantErr bool
	}{
		{"reads INFO when unset", "", slog.LevelInfo, false},
		{"reads TRACE as debug", "TRACE", slog.LevelDebug, false},
		{"reads DEBUG as debug", "DEBUG", slog.LevelDebug, false},
		{"reads INFO", "INFO", slog.LevelInfo, false},
		{"reads WARN", "WARN", slog.LevelWarn, false},
		{"reads ERROR", "ERROR", slog.LevelError, false},
		{"reads FATAL as error", "FATAL", slog.LevelError, false},
		{"reads lower case", "trace", slog.LevelDebug, false},
		{"reads mixed case around spaces", " Fatal ", slog.LevelError, false},
		{"refuses an unknown level", "VERBOSE", 0, true},
		{"refuses a number", "4", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := app.LogLevel(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("LogLevel(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// env returns a getenv over a function's required settings and extra.
func env(extra map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := extra[k]; ok {
			return v
		}
		return map[string]string{"SECRET_ID": "s", "QUEUE_URL": "q"}[k]
	}
}

func TestFromEnvTakesEveryLambdaLogLevel(t *testing.T) {
	t.Parallel()
	for _, level := range []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"} {
		if _, err := app.FromEnv(env(map[string]string{"AWS_LAMBDA_LOG_LEVEL": level})); err != nil {
			t.Errorf("AWS_LAMBDA_LOG_LEVEL=%s: %v", level, err)
		}
	}
}

func TestFromEnvBodyLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		value   string
		want    int
		wantErr bool
	}{
		{"leaves the default when unset", "", 0, false},
		{"takes the largest body that can be queued", strconv.Itoa(webhook.MaxBodyBytesLimit), webhook.MaxBodyBytesLimit, false},
		{"takes a smaller limit", "65536", 65536, false},
		{"refuses a byte more than can be queued", strconv.Itoa(webhook.MaxBodyBytesLimit + 1), 0, true},
		{"refuses the size of an SQS message", "1048576", 0, true},
		{"refuses zero", "0", 0, true},
		{"refuses a word", "lots", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := app.FromEnv(env(map[string]string{"MAX_BODY_BYTES": tc.value}))
			if (err != nil) != tc.wantErr || (err == nil && c.MaxBodyBytes != tc.want) {
				t.Fatalf("MAX_BODY_BYTES=%q: MaxBodyBytes %d, err %v; want %d, error %v", tc.value, c.MaxBodyBytes, err, tc.want, tc.wantErr)
			}
		})
	}
}
