// Package echobot is the reference Webex bot: an SQS-triggered Lambda
// function that reads each verified messages.created event from
// webhookguard's queue, fetches the message with the bot token, and echoes
// its text, without the bot's mention, to the same space.
//
// It reports the records it could not handle now (Webex unavailable, rate
// limited past its retries, the token refused) in batchItemFailures, so SQS
// retries those and only those; a record it can never handle (not an
// envelope, not a Webex event, refused by Webex as invalid) is logged and
// dropped. It never answers itself.
//
//	bot, err := echobot.FromEnv(os.Getenv, secretsClient)
//	// handle err
//	lambda.Start(bot.Handle)
package echobot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhookguard/webhookguard/shared/app"
	"github.com/webhookguard/webhookguard/shared/event"
	"github.com/webhookguard/webhookguard/shared/secrets"
	"github.com/webhookguard/webhookguard/shared/webexapi"
)

// API is the part of the Webex API the bot uses; *webexapi.Client
// implements it.
type API interface {
	Me(ctx context.Context) (webexapi.Person, error)
	Message(ctx context.Context, id string) (webexapi.Message, error)
	CreateMessage(ctx context.Context, m webexapi.Message) (webexapi.Message, error)
}

// Config configures a Bot.
type Config struct {
	// API calls Webex with the bot's token. Required.
	API API
	// BotID is the bot's person id (WEBEX_BOT_ID). Empty: learnt once with
	// GET /v1/people/me.
	BotID string
	// Log receives one line per record; nil logs nothing.
	Log *slog.Logger
	// Reserve is the time kept free before the function's deadline: the
	// records not started by then are reported as failures, to be retried,
	// rather than cut off half-way. Default 2 s.
	Reserve time.Duration
}

// Bot handles batches of SQS records. It is safe for concurrent use.
type Bot struct {
	cfg Config

	mu sync.Mutex
	me webexapi.Person // ID from BotID or /people/me; names once /people/me answered
}

// New returns a bot.
func New(cfg Config) (*Bot, error) {
	if cfg.API == nil {
		return nil, errors.New("echobot: a Webex API client is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	cfg.Reserve = cmp.Or(cfg.Reserve, 2*time.Second)
	return &Bot{cfg: cfg, me: webexapi.Person{ID: strings.TrimSpace(cfg.BotID)}}, nil
}

// ConfigFromEnv reads the bot's configuration from its environment:
// WEBEX_BOT_TOKEN_SECRET_ID (required: the Secrets Manager secret holding
// the bot token, read with sm and cached), WEBEX_API_URL (default
// https://webexapis.com), WEBEX_BOT_ID and AWS_LAMBDA_LOG_LEVEL. The log
// is JSON on stdout, as Lambda wants it.
func ConfigFromEnv(getenv func(string) string, sm secrets.Client) (Config, error) {
	secretID := strings.TrimSpace(getenv("WEBEX_BOT_TOKEN_SECRET_ID"))
	if secretID == "" {
		return Config{}, errors.New("WEBEX_BOT_TOKEN_SECRET_ID is not set")
	}
	level, err := app.LogLevel(getenv("AWS_LAMBDA_LOG_LEVEL"))
	if err != nil {
		return Config{}, err
	}
	token := secrets.NewValue(sm, secretID, 0)
	return Config{
		API:   &webexapi.Client{BaseURL: strings.TrimSpace(getenv("WEBEX_API_URL")), Token: token.Get},
		BotID: getenv("WEBEX_BOT_ID"),
		Log:   app.Config{LogLevel: level}.Logger(),
	}, nil
}

// FromEnv builds the bot from its environment (see ConfigFromEnv).
func FromEnv(getenv func(string) string, sm secrets.Client) (*Bot, error) {
	cfg, err := ConfigFromEnv(getenv, sm)
	if err != nil {
		return nil, err
	}
	return New(cfg)
}

// Outcomes of a record, in the log.
const (
	// OutcomeReplied: the bot posted its echo.
	OutcomeReplied = "replied"
	// OutcomeSkipped: nothing to do (another event type, the bot's own
	// message, nothing left to echo).
	OutcomeSkipped = "skipped"
	// OutcomeDropped: the record can never be handled; it is deleted.
	OutcomeDropped = "dropped"
	// OutcomeFailed: the record could not be handled now; it is reported
	// in batchItemFailures and SQS delivers it again.
	OutcomeFailed = "failed"
)

// Handle handles a batch of SQS records, each a webhookguard envelope, and
// reports those to retry. It never fails the batch as a whole.
func (b *Bot) Handle(ctx context.Context, in events.SQSEvent) (events.SQSEventResponse, error) {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, rec := range in.Records {
		var outcome, reason string
		var err error
		if d, ok := ctx.Deadline(); ok && time.Until(d) < b.cfg.Reserve {
			outcome, reason = OutcomeFailed, "no_time_left"
		} else {
			outcome, reason, err = b.record(ctx, rec)
		}
		if outcome == OutcomeFailed {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
		attrs := []any{"messageId", rec.MessageId, "outcome", outcome}
		if reason != "" {
			attrs = append(attrs, "reason", reason)
		}
		if err != nil {
			attrs = append(attrs, "error", err.Error())
		}
		level := slog.LevelInfo
		if outcome == OutcomeFailed || outcome == OutcomeDropped {
			level = slog.LevelWarn
		}
		b.cfg.Log.Log(ctx, level, "record", attrs...)
	}
	return resp, nil
}

// record handles one record and says what came of it.
func (b *Bot) record(ctx context.Context, rec events.SQSMessage) (outcome, reason string, err error) {
	ev, err := event.FromSQS(rec)
	if err != nil {
		return OutcomeDropped, "not_an_envelope", err
	}
	wx, err := ev.Webex()
	switch {
	case errors.Is(err, event.ErrWrongProvider):
		return OutcomeDropped, "not_webex", nil
	case err != nil:
		return OutcomeDropped, "malformed_event", err
	case wx.Kind() != event.WebexMessageCreated:
		return OutcomeSkipped, "event_type", nil
	case wx.Data.ID == "":
		return OutcomeDropped, "no_message_id", nil
	}
	me, err := b.identity(ctx, false)
	if err != nil {
		return fail(err)
	}
	if event.SameWebexID(wx.Data.PersonID, me.ID) || event.SameWebexID(wx.ActorID, me.ID) {
		return OutcomeSkipped, "own_message", nil
	}
	msg, err := b.cfg.API.Message(ctx, wx.Data.ID)
	if err != nil {
		return fail(err)
	}
	if event.SameWebexID(msg.PersonID, me.ID) {
		return OutcomeSkipped, "own_message", nil
	}
	if msg.HTML == "" && me.DisplayName == "" {
		// Stripping a mention from plain text needs the bot's names.
		if me, err = b.identity(ctx, true); err != nil {
			return fail(err)
		}
	}
	text := Text(msg, me)
	if text == "" {
		return OutcomeSkipped, "nothing_to_echo", nil
	}
	room := cmp.Or(wx.Data.RoomID, msg.RoomID)
	if _, err := b.cfg.API.CreateMessage(ctx, webexapi.Message{RoomID: room, Text: text}); err != nil {
		return fail(err)
	}
	return OutcomeReplied, "", nil
}

// fail classifies a Webex API error: a request Webex refused as invalid
// is dropped, anything else retried.
func fail(err error) (string, string, error) {
	switch {
	case errors.Is(err, webexapi.ErrRejected):
		return OutcomeDropped, "webex_rejected", err
	case errors.Is(err, webexapi.ErrRateLimited):
		return OutcomeFailed, "webex_rate_limited", err
	case errors.Is(err, webexapi.ErrUnauthorized):
		return OutcomeFailed, "webex_token_refused", err
	case errors.Is(err, webexapi.ErrNotFound):
		// A message can be read a moment after its webhook; a deleted
		// one ends in the dead-letter queue after the retries.
		return OutcomeFailed, "webex_not_found", err
	}
	return OutcomeFailed, "webex_unavailable", err
}

// identity returns the bot's identity: its id, and, when names is set, its
// display name and nickname. It asks GET /v1/people/me once, when it needs
// what it does not know.
func (b *Bot) identity(ctx context.Context, names bool) (webexapi.Person, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.me.ID != "" && (!names || b.me.DisplayName != "") {
		return b.me, nil
	}
	me, err := b.cfg.API.Me(ctx)
	if err != nil {
		return webexapi.Person{}, fmt.Errorf("who am I: %w", err)
	}
	if b.me.ID != "" && !event.SameWebexID(b.me.ID, me.ID) {
		return webexapi.Person{}, fmt.Errorf("%w: WEBEX_BOT_ID is not the token's owner", webexapi.ErrUnauthorized)
	}
	b.me = me
	return me, nil
}
