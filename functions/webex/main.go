// Command webex is the AWS Lambda function that receives Cisco Webex
// webhooks behind API Gateway, verifies them, applies the sender policy and
// hands them to SQS.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"webhookguard/shared/app"
	"webhookguard/shared/provider"
)

func main() {
	cfg := app.Must(app.FromEnv(os.Getenv))
	clients := app.Must(app.NewClients(context.Background()))
	h := app.Must(app.NewHandler(provider.Webex, cfg, clients, cfg.Logger()))
	h.Policy = app.Must(app.WebexPolicy(os.Getenv, clients))
	lambda.Start(h.Handle)
}
