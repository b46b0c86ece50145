// Command qiscus is the AWS Lambda function that receives Qiscus webhooks
// behind API Gateway, verifies them and hands them on.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/webhookguard/webhookguard/shared/app"
	"github.com/webhookguard/webhookguard/shared/provider"
)

func main() {
	h := app.Must(app.New(context.Background(), provider.Qiscus, os.Getenv))
	lambda.Start(h.Handle)
}
