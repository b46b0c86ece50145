package webhook

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Outcomes of a request, as logged.
const (
	// OutcomeAccepted: verified and handed to every destination.
	OutcomeAccepted = "accepted"
	// OutcomeFiltered: verified, acknowledged, deliberately not handed on.
	OutcomeFiltered = "filtered"
	// OutcomeDuplicate: verified, but its signature was already handled:
	// acknowledged and not handed on again.
	OutcomeDuplicate = "duplicate"
	// OutcomeRejected: refused because of the request (4xx).
	OutcomeRejected = "rejected"
	// OutcomeFailed: refused because a dependency failed (5xx); the
	// provider retries.
	OutcomeFailed = "failed"
)

// ReasonReplayedSignature is the reason of a duplicate.
const ReasonReplayedSignature = "replayed_signature"

// Delivery results of one destination, as logged.
const (
	DeliveryDone    = "delivered"
	DeliveryFailed  = "failed"
	DeliverySkipped = "already_delivered"
)

// MetricsNamespace is the CloudWatch namespace of the embedded metrics.
const MetricsNamespace = "Webhookguard"

// record is what is known about one request; it becomes one log line.
type record struct {
	Provider   string
	Source     string
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
	GuardErr   error
	// deliveries lists each destination's result, in order.
	deliveries []delivery

	// SourceKnown tells that Source names a source of the deployment; only
	// then is it a metric dimension, so made-up names cannot multiply the
	// metrics.
	SourceKnown bool
}

type delivery struct {
	name   string
	result string
	took   time.Duration
}

func (r *record) destination(name, result string, took time.Duration) {
	r.deliveries = append(r.deliveries, delivery{name, result, took})
}

// requestDimensions are the dimension sets of the request metrics: a count
// of requests by outcome, by reason and by the key stage that matched (a
// match on AWSPREVIOUS or AWSPENDING tells whether the old key is still in
// use), and the duration.
var requestDimensions = [][]string{{"provider", "outcome"}, {"provider", "outcome", "reason"}, {"provider", "keyStage"}}

// log writes the request's line: the fields people read, and the embedded
// metrics (CloudWatch Embedded Metric Format) CloudWatch extracts from the
// same line. It never carries secrets, signatures, tokens, bodies or
// credentials: error texts come from this project's sentinels and the AWS
// SDK, and URLs are cut out of network errors.
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
		slog.Float64("durationMs", ms(r.Duration)),
		slog.String("apiRequestId", r.RequestID),
		slog.Int("requests", 1),
	}
	if r.Source != "" {
		attrs = append(attrs, slog.String("source", r.Source))
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
		attrs = append(attrs, slog.String("error", safeError(r.Err)))
	}
	if r.GuardErr != nil {
		attrs = append(attrs, slog.String("guardError", safeError(r.GuardErr)))
	}
	metrics := []map[string]string{
		{"Name": "requests", "Unit": "Count"},
		{"Name": "durationMs", "Unit": "Milliseconds"},
	}
	if r.Outcome == OutcomeDuplicate {
		attrs = append(attrs, slog.Int("duplicates", 1))
		metrics = append(metrics, map[string]string{"Name": "duplicates", "Unit": "Count"})
	}
	if len(r.deliveries) > 0 {
		results := make([]any, 0, 2*len(r.deliveries))
		for _, d := range r.deliveries {
			results = append(results, slog.String(d.name, d.result))
			if d.result == DeliverySkipped {
				continue
			}
			failed := 0
			if d.result == DeliveryFailed {
				failed = 1
			}
			// <name>Errors is 0 or 1 per attempt: its sum counts failures,
			// its sample count attempts.
			attrs = append(attrs, slog.Int(d.name+"Errors", failed), slog.Float64(d.name+"Ms", ms(d.took)))
			metrics = append(metrics, map[string]string{"Name": d.name + "Errors", "Unit": "Count"}, map[string]string{"Name": d.name + "Ms", "Unit": "Milliseconds"})
		}
		attrs = append(attrs, slog.Group("destinations", results...))
	}
	dims := requestDimensions
	if r.SourceKnown {
		dims = append(dims[:len(dims):len(dims)], []string{"provider", "source", "outcome"})
	}
	attrs = append(attrs, slog.Any("_aws", map[string]any{
		"Timestamp": time.Now().UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  MetricsNamespace,
			"Dimensions": dims,
			"Metrics":    metrics,
		}},
	}))
	l.LogAttrs(ctx, level, "webhook", attrs...)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// safeError returns err's text with the URL of any failed HTTP call left
// out: a URL may carry a person id or an e-mail address.
func safeError(err error) string {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err.Error()
	}
	return strings.Replace(err.Error(), ue.Error(), ue.Op+" (url): "+ue.Err.Error(), 1)
}
