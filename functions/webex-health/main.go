// Command webex-health is the scheduled function that reactivates the bot's
// Webex webhooks Webex disabled, and counts each reactivation in a metric
// (see package webexhealth).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/webhookguard/webhookguard/shared/webexhealth"
)

func main() {
	c, err := webexhealth.FromEnv(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "webex-health: cannot start:", err)
		os.Exit(1)
	}
	lambda.Start(c.Handle)
}
