// Command webex-echo-bot is the reference Webex bot: an SQS-triggered
// Lambda function on webhookguard's events queue that echoes every message
// sent to the bot back to its space. See README.md and package echobot.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/webhookguard/webhookguard/examples/webex-echo-bot/echobot"
	"github.com/webhookguard/webhookguard/shared/app"
)

func main() {
	clients := app.Must(app.NewClients(context.Background()))
	bot := app.Must(echobot.FromEnv(os.Getenv, clients.Secrets))
	lambda.Start(bot.Handle)
}
