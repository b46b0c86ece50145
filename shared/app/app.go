// Package app wires a provider's function from its environment: the AWS
// clients, the key cache, the destinations (an SQS queue, an EventBridge
// bus, a Lambda function that answers), the replay guard and the handler.
// Each function's main is a few lines over it, the local API (make run)
// uses the same code, and so can a main.go of your own that adds an
// in-process answer:
//
//	h, err := app.New(ctx, provider.SignalWire, os.Getenv, app.WithAnswerer(myAnswer))
//	// handle err
//	lambda.Start(h.Handle)
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/webhookguard/webhookguard/shared/bus"
	"github.com/webhookguard/webhookguard/shared/dedup"
	"github.com/webhookguard/webhookguard/shared/destination"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/queue"
	"github.com/webhookguard/webhookguard/shared/secrets"
	"github.com/webhookguard/webhookguard/shared/webhook"
)

// Config is a function's configuration, read from its environment. Zero
// values mean the owning package's default. The README's configuration
// reference lists every variable.
type Config struct {
	SecretID       string        // SECRET_ID: the provider's signing secret (name or ARN), or every source's (a name ending in {source})
	QueueURL       string        // QUEUE_URL: the SQS queue accepted events go to
	EventBusName   string        // EVENT_BUS_NAME: the EventBridge bus accepted events go to (name or ARN)
	AnswerFunction string        // ANSWER_FUNCTION: SignalWire: the Lambda function that answers (name or ARN)
	AnswerTimeout  time.Duration // ANSWER_TIMEOUT: default answer.DefaultTimeout
	DedupTable     string        // DEDUP_TABLE: the replay guard's DynamoDB table; no guard when unset
	DedupWindow    time.Duration // DEDUP_WINDOW: default dedup.DefaultWindow; a Go duration or days (7d)
	MaxBodyBytes   int           // MAX_BODY_BYTES: default webhook.DefaultMaxBodyBytes
	SecretsTTL     time.Duration // SECRETS_TTL: default secrets.DefaultTTL
	MinRefresh     time.Duration // SECRETS_MIN_REFRESH: default secrets.DefaultMinRefresh
	RequestTimeout time.Duration // REQUEST_TIMEOUT: default webhook.DefaultTimeout
	PublicURL      string        // PUBLIC_URL: the URL as configured at a provider that signs it
	MaxEventAge    time.Duration // WEBEX_MAX_EVENT_AGE: refuse older Webex events (off when unset)
	LogLevel       slog.Level    // AWS_LAMBDA_LOG_LEVEL: TRACE, DEBUG, INFO, WARN, ERROR or FATAL
	MaxSources     int           // SOURCE_CACHE_SIZE: sources whose keys are held; default secrets.DefaultMaxSources
	// Getenv reads the provider's own settings (policy, replies).
	Getenv func(string) string
}

// FromEnv reads the configuration through getenv (os.Getenv in a function).
// It refuses a configuration the function cannot run with, naming every
// problem. Whether there is a destination at all is checked by NewHandler,
// which knows the provider and the options.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		SecretID:       strings.TrimSpace(getenv("SECRET_ID")),
		QueueURL:       strings.TrimSpace(getenv("QUEUE_URL")),
		EventBusName:   strings.TrimSpace(getenv("EVENT_BUS_NAME")),
		AnswerFunction: strings.TrimSpace(getenv("ANSWER_FUNCTION")),
		DedupTable:     strings.TrimSpace(getenv("DEDUP_TABLE")),
		PublicURL:      strings.TrimSpace(getenv("PUBLIC_URL")),
		Getenv:         getenv,
	}
	var errs []error
	if c.SecretID == "" {
		errs = append(errs, errors.New("SECRET_ID is not set"))
	}
	var err error
	if c.MaxBodyBytes, err = intVar(getenv, "MAX_BODY_BYTES", webhook.MaxBodyBytesLimit); err != nil {
		errs = append(errs, err)
	}
	if c.MaxSources, err = intVar(getenv, "SOURCE_CACHE_SIZE", maxSourceCacheSize); err != nil {
		errs = append(errs, err)
	}
	for _, d := range []struct {
		dst  *time.Duration
		name string
	}{
		{&c.SecretsTTL, "SECRETS_TTL"},
		{&c.MinRefresh, "SECRETS_MIN_REFRESH"},
		{&c.RequestTimeout, "REQUEST_TIMEOUT"},
		{&c.MaxEventAge, "WEBEX_MAX_EVENT_AGE"},
		{&c.AnswerTimeout, "ANSWER_TIMEOUT"},
	} {
		if *d.dst, err = durationVar(getenv, d.name); err != nil {
			errs = append(errs, err)
		}
	}
	if c.DedupWindow, err = windowVar(getenv, "DEDUP_WINDOW"); err != nil {
		errs = append(errs, err)
	}
	if c.AnswerTimeout > 0 && c.AnswerTimeout >= c.requestTimeout() {
		errs = append(errs, fmt.Errorf("ANSWER_TIMEOUT=%s must be shorter than REQUEST_TIMEOUT (%s), which bounds the whole request", c.AnswerTimeout, c.requestTimeout()))
	}
	if c.LogLevel, err = LogLevel(getenv("AWS_LAMBDA_LOG_LEVEL")); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// maxSourceCacheSize is the largest SOURCE_CACHE_SIZE.
const maxSourceCacheSize = 100000

// LogLevel reads a Lambda log level: TRACE and DEBUG are debug, INFO,
// WARN, ERROR, and FATAL is error; empty is INFO.
func LogLevel(s string) (slog.Level, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "TRACE", "DEBUG":
		return slog.LevelDebug, nil
	case "", "INFO":
		return slog.LevelInfo, nil
	case "WARN", "WARNING":
		return slog.LevelWarn, nil
	case "ERROR", "FATAL":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("AWS_LAMBDA_LOG_LEVEL=%q: want TRACE, DEBUG, INFO, WARN, ERROR or FATAL", s)
}

// intVar reads a positive whole number no larger than max; 0 when unset.
func intVar(getenv func(string) string, name string, max int) (int, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n > max {
		return 0, fmt.Errorf("%s=%q: want a whole number from 1 to %d", name, v, max)
	}
	return n, nil
}

// durationVar reads a positive duration; 0 when unset.
func durationVar(getenv func(string) string, name string) (time.Duration, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive duration such as 30s or 5m", name, v)
	}
	return d, nil
}

// requestTimeout is the request budget: REQUEST_TIMEOUT or its default.
func (c Config) requestTimeout() time.Duration {
	if c.RequestTimeout > 0 {
		return c.RequestTimeout
	}
	return webhook.DefaultTimeout
}

// windowVar reads a positive duration given as a Go duration (36h) or a
// whole number of days (7d); 0 when unset.
func windowVar(getenv func(string) string, name string) (time.Duration, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 && n <= 3650 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("%s=%q: want a number of days such as 7d, or a duration such as 36h", name, v)
}

// Clients are the AWS clients a function uses. Bus and DynamoDB are built
// from AWS when left nil, and only when configured, so a function builds no
// client it does not use. The answer function's Lambda client is built
// from AWS by the AnswerFunction given to WithAnswerFunction.
type Clients struct {
	Secrets  secrets.Client
	Queue    queue.Client
	Bus      bus.Client
	DynamoDB dedup.Client
	// AWS is the configuration the clients left nil are built from.
	AWS aws.Config
	// Preconnect, when set, opens during init the connection the first
	// SQS send will use.
	Preconnect func(context.Context)
}

// NewClients builds the AWS clients from the default configuration chain
// (so AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> point them at a local
// server). Building them does no network I/O.
func NewClients(ctx context.Context) (Clients, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(2))
	if err != nil {
		return Clients{}, fmt.Errorf("app: load AWS config: %w", err)
	}
	return ClientsFromConfig(cfg), nil
}

// ClientsFromConfig builds the Secrets Manager and SQS clients from cfg,
// and keeps cfg for the others.
func ClientsFromConfig(cfg aws.Config) Clients {
	q := queue.NewClient(cfg)
	return Clients{Secrets: secretsmanager.NewFromConfig(cfg), Queue: q, AWS: cfg, Preconnect: q.Preconnect}
}

// bus returns the EventBridge client, building it when needed.
func (c *Clients) bus() bus.Client {
	if c.Bus == nil {
		c.Bus = bus.NewClient(c.AWS)
	}
	return c.Bus
}

// dynamoDB returns the DynamoDB client, building it when needed.
func (c *Clients) dynamoDB() dedup.Client {
	if c.DynamoDB == nil {
		c.DynamoDB = dedup.NewClient(c.AWS)
	}
	return c.DynamoDB
}

// Logger returns the logger for request lines: JSON on stdout, one line a
// record, with Lambda's key names (timestamp, message) and the Lambda
// request id (requestId), whatever AWS_LAMBDA_LOG_FORMAT says, at
// LogLevel. (lambdacontext.NewLogHandler writes the same lines, but reads
// AWS_LAMBDA_LOG_LEVEL itself and takes TRACE and FATAL for INFO.)
func (c Config) Logger() *slog.Logger { return c.logger(os.Stdout) }

func (c Config) logger(w io.Writer) *slog.Logger {
	return slog.New(requestIDHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: c.LogLevel, ReplaceAttr: lambdacontext.ReplaceAttr})})
}

// requestIDHandler adds the Lambda request id to records logged with the
// context of an invocation.
type requestIDHandler struct{ slog.Handler }

// Handle adds requestId and writes r.
func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		r.AddAttrs(slog.String("requestId", lc.AwsRequestID))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs returns the handler with attrs, still adding requestId.
func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup returns the handler with a group, still adding requestId.
func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// Option adds to what the environment configures.
type Option func(*options)

// options is what Options set: additions to the handler's configuration,
// and how ANSWER_FUNCTION is invoked.
type options struct {
	handler        *webhook.Config
	answerFunction AnswerFunction
}

// WithAnswerer answers accepted requests with a, in process: the
// instructions SignalWire waits for, computed by your own code. It takes
// the place of ANSWER_FUNCTION.
func WithAnswerer(a webhook.Answerer) Option { return func(o *options) { o.handler.Answerer = a } }

// AnswerFunction builds the answerer that invokes the Lambda function
// ANSWER_FUNCTION names, with clients from cfg, each call bounded by
// timeout (0 for the default). answer.Build is one.
type AnswerFunction func(cfg aws.Config, name string, timeout time.Duration) webhook.Answerer

// WithAnswerFunction lets ANSWER_FUNCTION name a Lambda function that
// answers, invoked through build (answer.Build); functions/signalwire
// passes it. Without it, a function refuses to start with ANSWER_FUNCTION
// set. It is an option, not built in, so that the functions of providers
// that never read an answer do not carry the code that invokes one.
func WithAnswerFunction(build AnswerFunction) Option {
	return func(o *options) { o.answerFunction = build }
}

// WithGuard refuses replays with g instead of the DynamoDB guard
// DEDUP_TABLE configures.
func WithGuard(g webhook.Guard) Option { return func(o *options) { o.handler.Guard = g } }

// WithDestination hands accepted events to d too.
func WithDestination(d destination.Destination) Option {
	return func(o *options) { o.handler.Destinations = append(o.handler.Destinations, d) }
}

// New builds p's handler from the environment read through getenv, with
// AWS clients from the default configuration chain, and loads the keys
// before it returns, so the first request does not wait for them.
func New(ctx context.Context, p provider.Provider, getenv func(string) string, opts ...Option) (*webhook.Handler, error) {
	cfg, err := FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	clients, err := NewClients(ctx)
	if err != nil {
		return nil, err
	}
	return NewHandler(ctx, p, cfg, clients, cfg.Logger(), opts...)
}

// prefetchTimeout bounds the key load during init: long enough for a TLS
// handshake and one call, short enough that a slow Secrets Manager does not
// hold the function's start; the first request then loads the keys.
const prefetchTimeout = 2 * time.Second

// NewHandler builds p's handler from cfg and clients and loads the keys.
// When cfg.SecretID contains {source}, the handler serves several sources
// (routes POST /<provider>/{source}), each verified with its own secret,
// and lists the sources instead of loading keys.
func NewHandler(ctx context.Context, p provider.Provider, cfg Config, clients Clients, log *slog.Logger, opts ...Option) (*webhook.Handler, error) {
	var (
		cache   *secrets.Cache
		sources *secrets.Sources
		err     error
	)
	if secrets.HasSource(cfg.SecretID) {
		sources, err = newSources(p, cfg, clients)
	} else {
		cache, err = secrets.New(clients.Secrets, secrets.Config{
			SecretID:   cfg.SecretID,
			TTL:        cfg.SecretsTTL,
			MinRefresh: cfg.MinRefresh,
			Build:      p.NewVerifier,
		})
	}
	if err != nil {
		return nil, err
	}
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	wc := webhook.Config{
		Provider:     p,
		MaxBodyBytes: cfg.MaxBodyBytes,
		MaxEventAge:  cfg.MaxEventAge,
		Timeout:      cfg.RequestTimeout,
		PublicURL:    cfg.PublicURL,
		Log:          log,
	}
	if cfg.AnswerFunction != "" && p.Reply == nil {
		return nil, fmt.Errorf("ANSWER_FUNCTION is set, but %s does not read the answer to its webhooks (only SignalWire does): unset it, and use QUEUE_URL or EVENT_BUS_NAME", p.Name)
	}
	if cfg.QueueURL != "" {
		wc.Destinations = append(wc.Destinations, &queue.SQS{Client: clients.Queue, QueueURL: cfg.QueueURL})
	}
	if cfg.EventBusName != "" {
		wc.Destinations = append(wc.Destinations, &bus.EventBridge{Client: clients.bus(), BusName: cfg.EventBusName})
	}
	if cfg.DedupTable != "" {
		if wc.Guard, err = dedup.New(dedup.Config{
			Client: clients.dynamoDB(),
			Table:  cfg.DedupTable,
			Window: cfg.DedupWindow,
			// A claim outlasts the request budget, in which every
			// destination has answered or given up, and the marking of
			// the record.
			Lease: cfg.requestTimeout() + 2*time.Second,
			// Each call may take a quarter of the budget (1 s by
			// default): a slow table answers 503 with time left.
			Timeout: cfg.requestTimeout() / 4,
		}); err != nil {
			return nil, err
		}
	}
	if p.Reply != nil {
		if wc.Reply, err = p.Reply(getenv); err != nil {
			return nil, err
		}
	}
	if sources != nil {
		wc.Sources = sources
	} else {
		wc.Keys = cache
	}
	if p.Policy != nil {
		if wc.Policy, err = p.Policy(provider.Env{Getenv: getenv, Secrets: clients.Secrets, Sources: sources != nil}); err != nil {
			return nil, err
		}
	}
	o := options{handler: &wc}
	for _, opt := range opts {
		opt(&o)
	}
	if cfg.AnswerFunction != "" && wc.Answerer == nil {
		if o.answerFunction == nil {
			return nil, errors.New("ANSWER_FUNCTION is set, but this function was built without app.WithAnswerFunction(answer.Build) in its main")
		}
		wc.Answerer = o.answerFunction(clients.AWS, cfg.AnswerFunction, cfg.AnswerTimeout)
	}
	if len(wc.Destinations) == 0 && wc.Answerer == nil {
		return nil, errors.New("no destination: set QUEUE_URL, EVENT_BUS_NAME or (SignalWire only) ANSWER_FUNCTION")
	}
	h, err := webhook.New(wc)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, prefetchTimeout)
	defer cancel()
	if sources != nil {
		_ = sources.Prefetch(pctx) // the list of sources; keys load on first use
		return h, nil
	}
	_ = cache.Prefetch(pctx) // a failure is retried by the first request
	if clients.Preconnect != nil && cfg.QueueURL != "" {
		// After the key load, not beside it: concurrently they cost more
		// CPU (measured). A failure is left to the first send.
		clients.Preconnect(pctx)
	}
	return h, nil
}

// newSources builds the sources of a function serving several, over a
// Secrets Manager client that can list secrets.
func newSources(p provider.Provider, cfg Config, clients Clients) (*secrets.Sources, error) {
	lc, ok := clients.Secrets.(secrets.ListClient)
	if !ok {
		return nil, fmt.Errorf("app: SECRET_ID %q serves several sources, which needs a Secrets Manager client that can list secrets", cfg.SecretID)
	}
	return secrets.NewSources(lc, secrets.SourcesConfig{
		SecretID:   cfg.SecretID,
		TTL:        cfg.SecretsTTL,
		MinRefresh: cfg.MinRefresh,
		Build:      p.NewVerifier,
		MaxSources: cfg.MaxSources,
	})
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
