// Package webexhealth keeps the bot's Webex webhooks from staying disabled.
//
// Webex deactivates a webhook after 100 failed deliveries within five
// minutes and never turns it back on: the bot goes silent. Run on a
// schedule, Check lists the bot's webhooks whose targetUrl starts with
// WebhookURL and reactivates every inactive one (PUT /v1/webhooks/{id} with
// status active, its name, targetUrl, secret and owner unchanged). Handle
// does the same and writes one JSON line per run, which is also a CloudWatch
// embedded-metric record: webhookReactivations (Count) in the Webhookguard
// namespace, dimension provider=webex, for an alarm to watch.
package webexhealth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/webhookguard/webhookguard/shared/secrets"
	"github.com/webhookguard/webhookguard/shared/webexapi"
)

// The metric a run puts, for the template's alarm.
const (
	MetricsNamespace    = "Webhookguard"
	MetricReactivations = "webhookReactivations"
)

// Webhooks is the part of the Webex API the check uses: *webexapi.Client
// implements it.
type Webhooks interface {
	Webhooks(ctx context.Context) ([]webexapi.Webhook, error)
	Webhook(ctx context.Context, id string) (webexapi.Webhook, error)
	UpdateWebhook(ctx context.Context, id string, w webexapi.Webhook) (webexapi.Webhook, error)
}

// Config configures a Checker.
type Config struct {
	// Webex reaches the bot's webhooks, with the bot token.
	Webex Webhooks
	// WebhookURL selects the webhooks: those whose targetUrl starts with
	// it (WEBHOOK_URL). Required.
	WebhookURL string
	// Out receives the run's log line; default os.Stdout.
	Out io.Writer
}

// Checker checks and reactivates the bot's webhooks.
type Checker struct {
	cfg Config
	log *slog.Logger
}

// Result counts what one run found and did.
type Result struct {
	Checked     int // webhooks targeting WebhookURL
	Inactive    int // of them, found inactive
	Reactivated int // of them, active again
	Failed      int // of them, whose reactivation failed
}

// New returns a Checker. It refuses an empty WebhookURL, which would select
// every webhook of the bot.
func New(cfg Config) (*Checker, error) {
	var errs []error
	if cfg.Webex == nil {
		errs = append(errs, errors.New("webexhealth: no Webex client"))
	}
	if strings.TrimSpace(cfg.WebhookURL) == "" {
		errs = append(errs, errors.New("webexhealth: WEBHOOK_URL is not set: it selects the webhooks to watch"))
	}
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	log := slog.New(slog.NewJSONHandler(cfg.Out, &slog.HandlerOptions{ReplaceAttr: lambdacontext.ReplaceAttr}))
	return &Checker{cfg: cfg, log: log}, errors.Join(errs...)
}

// Check reactivates the inactive webhooks that target WebhookURL. The
// error wraps every Webex failure; the result counts what was done anyway.
func (c *Checker) Check(ctx context.Context) (Result, error) {
	var res Result
	all, err := c.cfg.Webex.Webhooks(ctx)
	if err != nil {
		return res, fmt.Errorf("webexhealth: list the webhooks: %w", err)
	}
	var errs []error
	for _, w := range all {
		if !strings.HasPrefix(w.TargetURL, c.cfg.WebhookURL) {
			continue
		}
		res.Checked++
		if w.Status == webexapi.StatusActive {
			continue
		}
		res.Inactive++
		if err := c.reactivate(ctx, w.ID); err != nil {
			res.Failed++
			errs = append(errs, err)
			continue
		}
		res.Reactivated++
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("webexhealth: %d of %d inactive webhooks not reactivated: %w", len(errs), res.Inactive, errors.Join(errs...))
	}
	return res, nil
}

// reactivate reads the webhook again, so the update sends back the name,
// targetUrl and secret it has at this moment (a rotation may just have
// changed the secret), and sets it active.
func (c *Checker) reactivate(ctx context.Context, id string) error {
	w, err := c.cfg.Webex.Webhook(ctx, id)
	if err != nil {
		return err
	}
	if w.Status == webexapi.StatusActive {
		return nil
	}
	_, err = c.cfg.Webex.UpdateWebhook(ctx, id, webexapi.Webhook{
		Name: w.Name, TargetURL: w.TargetURL, Secret: w.Secret, OwnedBy: w.OwnedBy, Status: webexapi.StatusActive,
	})
	return err
}

// Handle runs Check for a scheduled event (whatever its content) and
// writes the run's line. It returns Check's error, so a Webex failure
// fails the invocation.
func (c *Checker) Handle(ctx context.Context, _ json.RawMessage) error {
	start := time.Now()
	res, err := c.Check(ctx)
	attrs := []slog.Attr{
		slog.String("provider", "webex"),
		slog.Int("checked", res.Checked), slog.Int("inactive", res.Inactive),
		slog.Int("reactivated", res.Reactivated), slog.Int("failed", res.Failed),
		slog.Float64("durationMs", float64(time.Since(start).Microseconds())/1000),
		slog.Int(MetricReactivations, res.Reactivated),
		slog.Any("_aws", map[string]any{
			"Timestamp": time.Now().UnixMilli(),
			"CloudWatchMetrics": []map[string]any{{
				"Namespace":  MetricsNamespace,
				"Dimensions": [][]string{{"provider"}},
				"Metrics":    []map[string]string{{"Name": MetricReactivations, "Unit": "Count"}},
			}},
		}),
	}
	level := slog.LevelInfo
	switch {
	case err != nil:
		level = slog.LevelError
		attrs = append(attrs, slog.String("error", err.Error()))
	case res.Checked == 0:
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("warning", "no webhook of the bot targets WEBHOOK_URL"))
	}
	c.log.LogAttrs(ctx, level, "webhook health", attrs...)
	return err
}

// FromEnv builds a Checker from WEBEX_BOT_TOKEN_SECRET_ID (the secret
// holding the bot token), WEBEX_API_URL (default webexapi.DefaultBaseURL)
// and WEBHOOK_URL, read through getenv, with the AWS clients of the
// default configuration chain. Nothing is fetched until the first run.
func FromEnv(ctx context.Context, getenv func(string) string) (*Checker, error) {
	tokenID := strings.TrimSpace(getenv("WEBEX_BOT_TOKEN_SECRET_ID"))
	if tokenID == "" {
		return nil, errors.New("WEBEX_BOT_TOKEN_SECRET_ID is not set")
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	token := secrets.NewValue(secretsmanager.NewFromConfig(awsCfg), tokenID, 0)
	return New(Config{
		Webex:      &webexapi.Client{BaseURL: strings.TrimSpace(getenv("WEBEX_API_URL")), Token: token.Get},
		WebhookURL: strings.TrimSpace(getenv("WEBHOOK_URL")),
	})
}
