package webexrotation

import (
	"context"
	"errors"
	"fmt"
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

// DefaultSecretsTTL is the webhook functions' default SECRETS_TTL.
const DefaultSecretsTTL = 5 * time.Minute

// WaitMargin is added to SECRETS_TTL when ROTATION_WAIT is not set.
const WaitMargin = time.Minute

// Settings are a rotation function's settings.
type Settings struct {
	TokenSecretID string        // WEBEX_BOT_TOKEN_SECRET_ID: the secret holding the bot token
	APIURL        string        // WEBEX_API_URL: default webexapi.DefaultBaseURL
	WebhookURL    string        // WEBHOOK_URL: the webhooks rotated are those whose targetUrl starts with it
	Wait          time.Duration // ROTATION_WAIT: default SECRETS_TTL (default 5m) plus WaitMargin
}

// SettingsFromEnv reads the settings through getenv, naming every problem.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	s := Settings{
		TokenSecretID: strings.TrimSpace(getenv("WEBEX_BOT_TOKEN_SECRET_ID")),
		APIURL:        strings.TrimSpace(getenv("WEBEX_API_URL")),
		WebhookURL:    strings.TrimSpace(getenv("WEBHOOK_URL")),
	}
	var errs []error
	if s.TokenSecretID == "" {
		errs = append(errs, errors.New("WEBEX_BOT_TOKEN_SECRET_ID is not set"))
	}
	if s.WebhookURL == "" {
		errs = append(errs, errors.New("WEBHOOK_URL is not set"))
	}
	var err error
	if s.Wait, err = WaitFromEnv(getenv); err != nil {
		errs = append(errs, err)
	}
	return s, errors.Join(errs...)
}

// WaitFromEnv reads ROTATION_WAIT (0 or more), or else derives it from the
// functions' SECRETS_TTL plus WaitMargin.
func WaitFromEnv(getenv func(string) string) (time.Duration, error) {
	if v := strings.TrimSpace(getenv("ROTATION_WAIT")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("ROTATION_WAIT=%q: want a duration such as 6m, or 0s", v)
		}
		return d, nil
	}
	ttl := DefaultSecretsTTL
	if v := strings.TrimSpace(getenv("SECRETS_TTL")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("SECRETS_TTL=%q: want a positive duration such as 5m", v)
		}
		ttl = d
	}
	return ttl + WaitMargin, nil
}

// FromEnv builds a Rotator from the environment read through getenv, with
// the AWS clients of the default configuration chain. Nothing is fetched
// until the first step.
func FromEnv(ctx context.Context, getenv func(string) string) (*Rotator, error) {
	s, err := SettingsFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	sm := secretsmanager.NewFromConfig(awsCfg)
	return New(Config{
		Secrets:    sm,
		Webex:      &webexapi.Client{BaseURL: s.APIURL, Token: secrets.NewValue(sm, s.TokenSecretID, 0).Get},
		WebhookURL: s.WebhookURL,
		Wait:       s.Wait,
		Log:        JSONLogger(),
	})
}

// JSONLogger returns a logger writing JSON lines to stdout with Lambda's
// key names, as the webhook functions log.
func JSONLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: lambdacontext.ReplaceAttr}))
}
