package webhook

import (
	"context"
	"log/slog"
	"time"
)

// Outcomes of a request, as logged.
const (
	// OutcomeAccepted: verified and handed to the queue.
	OutcomeAccepted = "accepted"
	// OutcomeFiltered: verified, acknowledged, deliberately not forwarded.
	OutcomeFiltered = "filtered"
	// OutcomeRejected: refused because of the request (4xx).
	OutcomeRejected = "rejected"
	// OutcomeFailed: refused because a dependency failed (5xx); the
	// provider retries.
	OutcomeFailed = "failed"
)

// MetricsNamespace is the CloudWatch namespace of the embedded metrics.
const MetricsNamespace = "Webhookguard"

// record is what is known about one request; it becomes one log line.
type record struct {
	Provider   string
	RequestID  string
	Outcome    string
	Reason     string
	Status     int
	KeyStage   string
	Scheme     string
	URLVariant string
	EventType  string
	BodyBytes  int
	Refreshed  bool
	Duration   time.Duration
	Err        error
}

// emfMetadata declares, in CloudWatch Embedded Metric Format, the metrics
// carried by every request line: a count of requests by outcome, by reason
// and by the key stage that matched (a match on AWSPREVIOUS or AWSPENDING
// tells operators whether the old key is still in use), and the duration.
var emfDirectives = []map[string]any{{
	"Namespace":  MetricsNamespace,
	"Dimensions": [][]string{{"provider", "outcome"}, {"provider", "outcome", "reason"}, {"provider", "keyStage"}},
	"Metrics": []map[string]string{
		{"Name": "requests", "Unit": "Count"},
		{"Name": "durationMs", "Unit": "Milliseconds"},
	},
}}

// log writes the request's line: the fields people read, and the embedded
// metrics CloudWatch extracts from the same line. It never carries secrets,
// signatures, tokens or bodies: the error text comes from this project's
// sentinels and the AWS SDK, neither of which quotes them.
func (r *record) log(ctx context.Context, l *slog.Logger) {
	if l == nil {
		return
	}
	level := slog.LevelInfo
	switch r.Outcome {
	case OutcomeFailed:
		level = slog.LevelError
	case OutcomeRejected:
		level = slog.LevelWarn
	}
	keyStage := r.KeyStage
	if keyStage == "" {
		keyStage = "none"
	}
	reason := r.Reason
	if reason == "" {
		reason = "none"
	}
	attrs := []slog.Attr{
		slog.String("provider", r.Provider),
		slog.String("outcome", r.Outcome),
		slog.String("reason", reason),
		slog.Int("status", r.Status),
		slog.String("keyStage", keyStage),
		slog.Int("bodyBytes", r.BodyBytes),
		slog.Float64("durationMs", float64(r.Duration.Microseconds())/1000),
		slog.String("apiRequestId", r.RequestID),
		slog.Int("requests", 1),
	}
	if r.Scheme != "" {
		attrs = append(attrs, slog.String("scheme", r.Scheme))
	}
	if r.URLVariant != "" {
		attrs = append(attrs, slog.String("urlVariant", r.URLVariant))
	}
	if r.EventType != "" {
		attrs = append(attrs, slog.String("eventType", r.EventType))
	}
	if r.Refreshed {
		attrs = append(attrs, slog.Bool("keysRefreshed", true))
	}
	if r.Err != nil {
		attrs = append(attrs, slog.String("error", r.Err.Error()))
	}
	attrs = append(attrs, slog.Any("_aws", map[string]any{
		"Timestamp":         time.Now().UnixMilli(),
		"CloudWatchMetrics": emfDirectives,
	}))
	l.LogAttrs(ctx, level, "webhook", attrs...)
}
