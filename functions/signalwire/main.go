// Command signalwire is the AWS Lambda function that receives SignalWire
// webhooks behind API Gateway, verifies them, hands them on and answers
// with the instructions SignalWire waits for.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/webhookguard/webhookguard/shared/answer"
	"github.com/webhookguard/webhookguard/shared/app"
	"github.com/webhookguard/webhookguard/shared/provider"
)

func main() {
	h := app.Must(app.New(context.Background(), provider.SignalWire, os.Getenv, app.WithAnswerFunction(answer.Build)))
	lambda.Start(h.Handle)
}
