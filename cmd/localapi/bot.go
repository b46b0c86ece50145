package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/webhookguard/webhookguard/examples/webex-echo-bot/echobot"
	"github.com/webhookguard/webhookguard/internal/devkit/devenv"
	"github.com/webhookguard/webhookguard/internal/webexstub"
	"github.com/webhookguard/webhookguard/shared/event"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/secrets"
	"github.com/webhookguard/webhookguard/shared/webexapi"
)

// localBot is the bot of the Webex stand-in: the person the sample
// webhook's message mentions.
var localBot = webexapi.Person{
	ID:          "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9ib3Q", // ciscospark://us/PEOPLE/bot
	DisplayName: "Echo Bot", NickName: "Echo", Emails: []string{"echo-bot@webex.bot"}, Type: "bot",
}

// sampleText is what the sample webhook's message says.
const sampleText = "hello from webhookctl"

// startStandIn starts the Webex stand-in, stores the bot token in the
// local Secrets Manager, and makes the message of the Webex sample webhook
// known, mentioning the bot, so that webhookctl send -provider webex gets
// an answer.
func startStandIn(ctx context.Context, sm *secretsmanager.Client) (*webexstub.Server, error) {
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(devenv.BotTokenSecretID), SecretString: aws.String(devenv.BotToken),
	}); err != nil {
		return nil, fmt.Errorf("seed secret %s: %w", devenv.BotTokenSecretID, err)
	}
	wx, err := event.DecodeWebex(provider.Webex.Sample.Body)
	if err != nil {
		return nil, err
	}
	stub := webexstub.New(devenv.BotToken, localBot)
	stub.AddMessage(webexapi.Message{
		ID: wx.Data.ID, RoomID: wx.Data.RoomID, RoomType: wx.Data.RoomType, PersonID: wx.Data.PersonID, PersonEmail: wx.Data.PersonEmail,
		Text:            localBot.DisplayName + " " + sampleText,
		HTML:            `<p><spark-mention data-object-type="person" data-object-id="` + localBot.ID + `">` + localBot.DisplayName + `</spark-mention> ` + sampleText + `</p>`,
		MentionedPeople: []string{localBot.ID}, Created: wx.Data.Created,
	})
	return stub, nil
}

// newBot builds the reference bot as its Lambda function does, from the
// environment, with its log and replies shown here.
func newBot(getenv func(string) string, sm secrets.Client, log *slog.Logger, pr *printer) (*echobot.Bot, error) {
	cfg, err := echobot.ConfigFromEnv(getenv, sm)
	if err != nil {
		return nil, err
	}
	cfg.Log = log
	cfg.API = &printingAPI{API: cfg.API, p: pr}
	return echobot.New(cfg)
}

// printingAPI shows each message the bot posts.
type printingAPI struct {
	echobot.API
	p *printer
}

// CreateMessage posts m, then shows it.
func (a *printingAPI) CreateMessage(ctx context.Context, m webexapi.Message) (webexapi.Message, error) {
	out, err := a.API.CreateMessage(ctx, m)
	if err == nil {
		a.p.printf("BOT REPLY in room %s: %s\n", m.RoomID, preview([]byte(m.Text)))
	}
	return out, err
}

// botTimeout is the bot's time per batch, as its function's timeout, and
// how long a failed record stays invisible before it is retried.
const botTimeout = 30 * time.Second

// serveBot feeds the queue's messages to the bot as Lambda's SQS trigger
// does: batches of up to 10, the records it reports as failed left on the
// queue to come back after the visibility timeout, the others deleted.
func serveBot(ctx context.Context, c *sqs.Client, queueURL string, bot *echobot.Bot, pr *printer) {
	arn := "arn:aws:sqs:us-east-1:123456789012:" + devenv.QueueName
	for ctx.Err() == nil {
		res, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: int32(botTimeout / time.Second),
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, context.Canceled) {
				fmt.Fprintln(os.Stderr, "queue:", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		if len(res.Messages) == 0 {
			continue
		}
		in := events.SQSEvent{}
		handles := map[string]*string{}
		for _, m := range res.Messages {
			id := aws.ToString(m.MessageId)
			handles[id] = m.ReceiptHandle
			in.Records = append(in.Records, events.SQSMessage{
				MessageId: id, ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body), Attributes: m.Attributes,
				EventSource: "aws:sqs", EventSourceARN: arn, AWSRegion: "us-east-1",
			})
		}
		bctx, cancel := context.WithTimeout(ctx, botTimeout)
		resp, _ := bot.Handle(bctx, in) // Handle never fails a batch
		cancel()
		failed := map[string]bool{}
		for _, f := range resp.BatchItemFailures {
			failed[f.ItemIdentifier] = true
		}
		for id, h := range handles {
			if !failed[id] {
				c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: h})
			}
		}
		if len(failed) > 0 {
			pr.printf("BOT could not handle %d of %d record(s) now: they come back in %s (after 5 receives, to the dead-letter queue)\n",
				len(failed), len(in.Records), botTimeout)
		}
	}
}
