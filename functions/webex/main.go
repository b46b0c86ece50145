// Command webex is the AWS Lambda function that receives Cisco Webex
// webhooks behind API Gateway, verifies them, applies the sender policy and
// hands them on.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/webhookguard/webhookguard/shared/app"
	"github.com/webhookguard/webhookguard/shared/provider"
)

func main() {
	h := app.Must(app.New(context.Background(), provider.Webex, os.Getenv))
	lambda.Start(h.Handle)
}
