// Package app wires a provider's function from its environment: the AWS
// clients, the key cache, the queue and the handler. Each function's main
// is a few lines over it, and the local server uses the same code.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"webhookguard/shared/provider"
	"webhookguard/shared/queue"
	"webhookguard/shared/secrets"
	"webhookguard/shared/webexapi"
	"webhookguard/shared/webexpolicy"
	"webhookguard/shared/webhook"
)

// Config is a function's configuration, read from its environment. The
// README's configuration reference lists every variable.
type Config struct {
	SecretID       string        // SECRET_ID: the provider's signing secret (name or ARN)
	QueueURL       string        // QUEUE_URL: where accepted events go
	MaxBodyBytes   int           // MAX_BODY_BYTES: default 1048576
	SecretsTTL     time.Duration // SECRETS_TTL: default 5m
	MinRefresh     time.Duration // SECRETS_MIN_REFRESH: default 30s
	RequestTimeout time.Duration // REQUEST_TIMEOUT: default 4s
	PublicURL      string        // PUBLIC_URL: SignalWire's webhook URL as configured there
	CXMLResponse   string        // SIGNALWIRE_CXML_RESPONSE
	JSONResponse   string        // SIGNALWIRE_JSON_RESPONSE
	JSONLogs       bool          // AWS_LAMBDA_LOG_FORMAT=JSON (else JSON to stdout all the same)
	LogLevel       slog.Level    // AWS_LAMBDA_LOG_LEVEL
}

// FromEnv reads the configuration through getenv (os.Getenv in a function).
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		SecretID:     getenv("SECRET_ID"),
		QueueURL:     getenv("QUEUE_URL"),
		PublicURL:    getenv("PUBLIC_URL"),
		CXMLResponse: getenv("SIGNALWIRE_CXML_RESPONSE"),
		JSONResponse: getenv("SIGNALWIRE_JSON_RESPONSE"),
		JSONLogs:     strings.EqualFold(getenv("AWS_LAMBDA_LOG_FORMAT"), "JSON"),
	}
	var errs []error
	if c.SecretID == "" {
		errs = append(errs, errors.New("SECRET_ID is not set"))
	}
	if c.QueueURL == "" {
		errs = append(errs, errors.New("QUEUE_URL is not set"))
	}
	var err error
	if c.MaxBodyBytes, err = intVar(getenv, "MAX_BODY_BYTES", 1<<20); err != nil {
		errs = append(errs, err)
	}
	for _, d := range []struct {
		dst  *time.Duration
		name string
		def  time.Duration
	}{
		{&c.SecretsTTL, "SECRETS_TTL", 5 * time.Minute},
		{&c.MinRefresh, "SECRETS_MIN_REFRESH", 30 * time.Second},
		{&c.RequestTimeout, "REQUEST_TIMEOUT", 4 * time.Second},
	} {
		if *d.dst, err = durationVar(getenv, d.name, d.def); err != nil {
			errs = append(errs, err)
		}
	}
	if err := c.LogLevel.UnmarshalText([]byte(orDefault(getenv("AWS_LAMBDA_LOG_LEVEL"), "INFO"))); err != nil {
		errs = append(errs, fmt.Errorf("AWS_LAMBDA_LOG_LEVEL: %w", err))
	}
	return c, errors.Join(errs...)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func intVar(getenv func(string) string, name string, def int) (int, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive whole number", name, v)
	}
	return n, nil
}

func durationVar(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive duration such as 30s or 5m", name, v)
	}
	return d, nil
}

// Clients are the AWS clients a function uses.
type Clients struct {
	Secrets secrets.Client
	Queue   queue.Client
}

// NewClients builds the AWS clients from the default configuration chain
// (so AWS_ENDPOINT_URL points them at a local server). Building them does
// no network I/O.
func NewClients(ctx context.Context) (Clients, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(2))
	if err != nil {
		return Clients{}, fmt.Errorf("app: load AWS config: %w", err)
	}
	return ClientsFromConfig(cfg), nil
}

// ClientsFromConfig builds the AWS clients from cfg.
func ClientsFromConfig(cfg aws.Config) Clients {
	return Clients{Secrets: secretsmanager.NewFromConfig(cfg), Queue: sqs.NewFromConfig(cfg)}
}

// Logger returns the logger for request lines: Lambda's own structured
// logger when the function's log format is JSON, else a JSON logger on
// stdout, so every line is JSON either way.
func (c Config) Logger() *slog.Logger {
	if c.JSONLogs {
		return lambdacontext.NewLogger()
	}
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: c.LogLevel, ReplaceAttr: lambdacontext.ReplaceAttr}))
}

// NewHandler builds the handler for p.
func NewHandler(p provider.Provider, c Config, clients Clients, log *slog.Logger) (*webhook.Handler, error) {
	cache, err := secrets.New(clients.Secrets, secrets.Config{
		SecretID:   c.SecretID,
		TTL:        c.SecretsTTL,
		MinRefresh: c.MinRefresh,
		Build:      p.NewVerifier,
	})
	if err != nil {
		return nil, err
	}
	h := &webhook.Handler{
		Provider:     p.Name,
		Keys:         cache,
		Queue:        &queue.SQS{Client: clients.Queue, QueueURL: c.QueueURL},
		EventType:    p.EventType,
		MaxBodyBytes: c.MaxBodyBytes,
		Timeout:      c.RequestTimeout,
		Log:          log,
	}
	if p.UsesURL {
		h.UsesURL, h.PublicURL = true, c.PublicURL
		h.Accepted = provider.SignalWireAnswer(c.CXMLResponse, c.JSONResponse)
	}
	return h, nil
}

// Must ends the process with a clear message when err is set: a function
// that cannot start must not answer at all.
func Must[T any](v T, err error) T {
	if err != nil {
		fmt.Fprintln(os.Stderr, "webhookguard: cannot start:", err)
		os.Exit(1)
	}
	return v
}

// WebexPolicy builds the Webex sender policy from the environment, or
// returns nil when none is configured (every verified event is forwarded).
// Variables: WEBEX_ALLOWED_EMAILS, WEBEX_ALLOWED_DOMAINS,
// WEBEX_ALLOWED_ORG_IDS (comma-separated), WEBEX_BOT_ID,
// WEBEX_BOT_TOKEN_SECRET_ID (the bot token's secret, for People lookups) and
// WEBEX_API_URL (default https://webexapis.com).
func WebexPolicy(getenv func(string) string, clients Clients) (webhook.Policy, error) {
	cfg := webexpolicy.Config{
		AllowedEmails:  list(getenv("WEBEX_ALLOWED_EMAILS")),
		AllowedDomains: list(getenv("WEBEX_ALLOWED_DOMAINS")),
		AllowedOrgIDs:  list(getenv("WEBEX_ALLOWED_ORG_IDS")),
		BotID:          strings.TrimSpace(getenv("WEBEX_BOT_ID")),
	}
	if id := strings.TrimSpace(getenv("WEBEX_BOT_TOKEN_SECRET_ID")); id != "" {
		token := secrets.NewValue(clients.Secrets, id, 0)
		cfg.People = &webexapi.Client{BaseURL: getenv("WEBEX_API_URL"), Token: token.Get}
	}
	if cfg.People == nil && cfg.BotID == "" && len(cfg.AllowedEmails)+len(cfg.AllowedDomains)+len(cfg.AllowedOrgIDs) == 0 {
		return nil, nil
	}
	p, err := webexpolicy.New(cfg)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func list(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
